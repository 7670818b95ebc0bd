package dev.cairn.core.importer;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** docs/migrating.md lists every directive {@code cairn import} knows, in the table of its tool. */
class MigratingDocTest {

    private static final Map<String, String> HEADINGS = Map.of("haproxy", "## HAProxy", "keepalived", "## Keepalived",
            "bind", "## BIND");

    @Test
    void everyDirectiveTheImporterKnowsIsInItsTable() throws Exception {
        String doc = Files.readString(Path.of("../../docs/migrating.md"));
        List<String> missing = new ArrayList<>();
        for (Map.Entry<String, Set<String>> e : ConfigImporter.knownDirectives().entrySet()) {
            int start = doc.indexOf(HEADINGS.get(e.getKey()) + "\n");
            assertThat(start).as(HEADINGS.get(e.getKey())).isNotNegative();
            int end = doc.indexOf("\n## ", start + 1);
            String table = doc.substring(start, end < 0 ? doc.length() : end);
            for (String d : e.getValue()) {
                if (!table.contains("| `" + d + "` |")) missing.add(e.getKey() + ": " + d);
            }
        }
        assertThat(missing).as("directives missing from docs/migrating.md").isEmpty();
    }
}
