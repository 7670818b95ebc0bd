package dev.cairn.replication;

import dev.cairn.core.testing.ErrorIds;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class ReplicationErrorsTest {

    @Test
    void registryMatchesTheCodeAndTheReadme() throws Exception {
        ErrorIds.assertRegistry(ReplicationErrors.class, new ReplicationModule(), "REPLICATION", Path.of("src/main/java"), Path.of("README.md"));
    }
}
