package dev.cairn.replication.failover;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cairn.core.config.CairnConfig;
import dev.cairn.core.config.ConfigException;
import dev.cairn.core.config.ConfigLoader;
import dev.cairn.core.config.ModuleRegistry;
import dev.cairn.replication.ReplicationConfig;
import dev.cairn.replication.ReplicationModule;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The failover section: defaults, strict errors with file:line, and the example config. */
class FailoverConfigTest {

    @TempDir
    Path dir;

    static final String BASE = """
            services: {}
            replication:
              clusters:
                main:
                  nodes: [{ address: 127.0.0.1:3306, name: db1 }, { address: 127.0.0.1:3307, name: db2 }]
                  user: cairn
                  password: x
            """;

    ReplicationConfig load(String yaml) throws Exception {
        Path f = dir.resolve("cairn.yml");
        Files.writeString(f, yaml);
        CairnConfig c = new ConfigLoader(ModuleRegistry.of(new ReplicationModule())).load(f, null);
        return (ReplicationConfig) c.modules().get("replication");
    }

    @Test
    void failoverIsOffByDefaultWithDocumentedDefaults() throws Exception {
        FailoverConfig f = load(BASE).clusters().get("main").failover();
        assertThat(f.mode()).isEqualTo(FailoverConfig.Mode.OFF);
        assertThat(f.durability()).isEqualTo(FailoverConfig.Durability.LOSSLESS);
        assertThat(f.maxPromotionLag()).isEqualTo(Duration.ofSeconds(30));
        assertThat(f.blockPeriod()).isEqualTo(Duration.ofMinutes(10));
        assertThat(f.confirm()).isEqualTo(3);
        assertThat(f.hooks().timeout()).isEqualTo(Duration.ofSeconds(30));
    }

    @Test
    void badKeysAndNamesAreErrorsWithTheirLine() throws Exception {
        assertThatThrownBy(() -> load(BASE + "      failover: { mode: automatic }\n"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("cairn.yml:8:")
                .hasMessageContaining("failover.mode").hasMessageContaining("off, manual, auto");
        assertThatThrownBy(() -> load(BASE + "      failover: { mode: auto, promotion: { never: [db9] } }\n"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("'db9' is not a node of this cluster");
        assertThatThrownBy(() -> load(BASE + "      failover: { mode: auto, min_replicas: 2 }\n"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("min_replicas");
        assertThatThrownBy(() -> load(BASE + "      failover: { mode: auto, block_perod: 5m }\n"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("block_period");
    }

    @Test
    void exampleConfigWithFailoverOnIsValid() throws Exception {
        Path root = Path.of("").toAbsolutePath();
        while (!Files.exists(root.resolve("config/examples"))) root = root.getParent();
        String text = Files.readString(root.resolve("config/examples/mysql-failover.yml"));
        // The proxy section belongs to another module, not on this module's test class path.
        text = text.substring(0, text.indexOf("\nproxy:") + 1);
        Files.createDirectories(dir.resolve("secrets"));
        Files.writeString(dir.resolve("secrets/mysql-monitor"), "pw\n");
        Files.writeString(dir.resolve("secrets/mysql-repl"), "pw\n");
        FailoverConfig f = load(text).clusters().get("shop").failover();
        assertThat(f.mode()).isEqualTo(FailoverConfig.Mode.AUTO);
        assertThat(f.promotion().prefer()).containsExactly("db2");
    }
}
