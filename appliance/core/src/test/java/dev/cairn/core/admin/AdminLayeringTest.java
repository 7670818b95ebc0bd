package dev.cairn.core.admin;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The admin server sees the process only through {@link AdminApi}: nothing in the admin package names the host. */
class AdminLayeringTest {

    @Test
    void adminPackageDoesNotImportTheHost() throws Exception {
        List<Path> sources;
        try (Stream<Path> s = Files.list(Path.of("src/main/java/dev/cairn/core/admin"))) {
            sources = s.filter(p -> p.toString().endsWith(".java")).toList();
        }
        assertThat(sources).isNotEmpty();
        for (Path p : sources) {
            // Neither the import (or a qualified name) nor a variable, field or parameter of type Host;
            // "Host" in text (the Host header) is fine.
            assertThat(Files.readString(p)).as(p.toString()).doesNotContain("dev.cairn.core.lifecycle.Host;")
                    .doesNotContainPattern("lifecycle\\.Host\\b")
                    .doesNotContainPattern("\\bHost\\s+[a-z]\\w*\\s*[;,)=]");
        }
    }
}
