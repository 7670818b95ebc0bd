package dev.cairn.cluster;

import dev.cairn.core.testing.ErrorIds;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The cluster module's error ids: well formed, unique, each used in its code, listed by errors(), the README's registered. */
class ClusterErrorsTest {

    @Test
    void registryMatchesTheCodeAndTheReadme() throws Exception {
        ErrorIds.assertRegistry(ClusterErrors.class, new ClusterModule(), "CLUSTER", Path.of("src/main/java"), Path.of("README.md"));
    }
}
