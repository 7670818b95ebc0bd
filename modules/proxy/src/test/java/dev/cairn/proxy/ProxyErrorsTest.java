package dev.cairn.proxy;

import dev.cairn.core.testing.ErrorIds;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The proxy module's error ids: well formed, unique, each used in its code, listed by errors(), the README's registered. */
class ProxyErrorsTest {

    @Test
    void registryMatchesTheCodeAndTheReadme() throws Exception {
        ErrorIds.assertRegistry(ProxyErrors.class, new ProxyModule(), "PROXY", Path.of("src/main/java"), Path.of("README.md"));
    }
}
