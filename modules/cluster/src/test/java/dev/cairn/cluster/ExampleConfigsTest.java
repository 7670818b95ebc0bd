package dev.cairn.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.core.config.CairnConfig;
import dev.cairn.core.config.ConfigLoader;
import dev.cairn.core.config.ModuleRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/** config/examples/cluster-*.yml pass the same checks as cairn check (with a secret file beside them). */
class ExampleConfigsTest {

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"cluster-2node.yml", "cluster-3node.yml"})
    void exampleIsValid(String name) throws Exception {
        Path root = Path.of("").toAbsolutePath();
        while (!Files.exists(root.resolve("config/examples"))) root = root.getParent();
        Path file = dir.resolve(name);
        Files.copy(root.resolve("config/examples").resolve(name), file);
        Files.writeString(dir.resolve("cluster.secret"), "example-secret-0123456789abcdef\n");
        CairnConfig cfg = new ConfigLoader(ModuleRegistry.of(new ClusterModule())).load(file, null);
        assertThat(cfg.cluster().members()).hasSizeGreaterThanOrEqualTo(2);
    }
}
