package dev.cairn.metrics;

import dev.cairn.core.testing.ErrorIds;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The metrics module's error ids: well formed, unique, each used in its code, listed by errors(), the README's registered. */
class MetricsErrorsTest {

    @Test
    void registryMatchesTheCodeAndTheReadme() throws Exception {
        ErrorIds.assertRegistry(MetricsErrors.class, new MetricsModule(), "METRICS", Path.of("src/main/java"), Path.of("README.md"));
    }
}
