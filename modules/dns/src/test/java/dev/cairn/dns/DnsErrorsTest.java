package dev.cairn.dns;

import dev.cairn.core.testing.ErrorIds;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The dns module's error ids: well formed, unique, each used in its code, listed by errors(), the README's registered. */
class DnsErrorsTest {

    @Test
    void registryMatchesTheCodeAndTheReadme() throws Exception {
        ErrorIds.assertRegistry(DnsErrors.class, new DnsModule(), "DNS", Path.of("src/main/java"), Path.of("README.md"));
    }
}
