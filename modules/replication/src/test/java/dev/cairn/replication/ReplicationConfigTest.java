package dev.cairn.replication;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.core.config.ConfigException;
import dev.cairn.core.config.ConfigLoader;
import dev.cairn.core.config.ModuleRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The replication section binds strictly and reports problems as file:line:col: key: message. */
class ReplicationConfigTest {

    @TempDir
    Path dir;

    private List<String> problems(String yaml) throws Exception {
        Path f = dir.resolve("cairn.yml");
        Files.writeString(f, yaml);
        try {
            new ConfigLoader(ModuleRegistry.of(new ReplicationModule()), Map.of("MON_PW", "x")).load(f, null);
            return List.of();
        } catch (ConfigException e) {
            return ConfigLoader.messages(e);
        }
    }

    private static final String OK = """
            replication:
              clusters:
                main:
                  nodes:
                    - 10.0.0.1:3306
                    - { address: 10.0.0.2:3306, name: db2 }
                  user: cairn
                  password: ${env:MON_PW}
                  publish: { primary: mysql-primary, replicas: mysql-replicas }
            """;

    @Test
    void aMinimalClusterBindsWithDefaults() throws Exception {
        assertThat(problems(OK)).isEmpty();
        Path f = dir.resolve("cairn.yml");
        var cfg = (ReplicationConfig) new ConfigLoader(ModuleRegistry.of(new ReplicationModule()), Map.of("MON_PW", "x"))
                .load(f, null).modules().get("replication");
        var c = cfg.clusters().get("main");
        assertThat(c.interval()).hasSeconds(1);
        assertThat(c.connectTimeout()).hasSeconds(1);
        assertThat(c.readTimeout()).hasSeconds(2);
        assertThat(c.heartbeat().enabled()).isTrue();
        assertThat(c.heartbeat().table()).isEqualTo("cairn.heartbeat");
        assertThat(c.nodes().get(0).displayName()).isEqualTo("10.0.0.1:3306");
        assertThat(c.nodes().get(1).displayName()).isEqualTo("db2");
        assertThat(c.password()).isEqualTo("x");
        assertThat(new ReplicationModule().publishedServices(cfg)).containsExactly("mysql-primary", "mysql-replicas");
    }

    @Test
    void unknownKeysAndBadValuesNameFileLineAndKey() throws Exception {
        assertThat(problems(OK.replace("      user: cairn", "      usr: cairn")))
                .anySatisfy(p -> assertThat(p).matches(".*cairn.yml:7:7: replication.clusters.main.usr: unknown key 'usr'.*did you mean 'user'.*"));
        assertThat(problems(OK.replace("    - 10.0.0.1:3306", "    - 10.0.0.1")))
                .anySatisfy(p -> assertThat(p).contains("cairn.yml:5:").contains("replication.clusters.main.nodes[0]").contains("has no port"));
        assertThat(problems(OK + "      read_timeout: soon\n"))
                .anySatisfy(p -> assertThat(p).contains("replication.clusters.main.read_timeout").contains("not a duration"));
    }

    @Test
    void semanticProblemsAreReportedTogether() throws Exception {
        List<String> p = problems(OK.replace("      password: ${env:MON_PW}", "      password_file: missing.pw")
                + "      warn_lag: 20s\n      max_lag: 5s\n      read_timeout: 10ms\n      heartbeat: { table: heartbeat }\n");
        assertThat(p).anySatisfy(m -> assertThat(m).contains("replication.clusters.main.password_file: CAIRN-REPLICATION-0005 cannot read"));
        assertThat(p).anySatisfy(m -> assertThat(m).contains("replication.clusters.main.max_lag: must be at least warn_lag (20s)"));
        assertThat(p).anySatisfy(m -> assertThat(m).contains("replication.clusters.main.read_timeout: must be at least 100ms"));
        assertThat(p).anySatisfy(m -> assertThat(m).contains("replication.clusters.main.heartbeat.table: 'heartbeat' is not schema.table"));
    }

    @Test
    void aPasswordIsRequiredAndAPublishedNameMayNotClashWithServices() throws Exception {
        assertThat(problems(OK.replace("      password: ${env:MON_PW}\n", "")))
                .anySatisfy(m -> assertThat(m).contains("password_file: set password_file (or password: ${env:NAME})"));
        assertThat(problems("services:\n  mysql-primary:\n    endpoints: [10.0.0.9:3306]\n" + OK))
                .anySatisfy(m -> assertThat(m).contains("mysql-primary"));
    }

    /** Clusters named in this order, each with one node on a closed port (probed, never reached). */
    private static String clustersYaml(List<String> names, int port) {
        StringBuilder b = new StringBuilder("replication:\n  clusters:\n");
        for (String n : names) {
            b.append("    ").append(n).append(":\n      nodes: [127.0.0.1:").append(port)
                    .append("]\n      user: cairn\n      password: x\n      heartbeat: { enabled: false }\n");
        }
        return b.toString();
    }

    /** The clusters in status once every one of them has been probed (a cluster shows after its first probe). */
    @SuppressWarnings("unchecked")
    private static List<String> statusClusters(dev.cairn.core.testing.TestHost t, int count) throws InterruptedException {
        java.util.function.Supplier<Map<String, Object>> details = () ->
                (Map<String, Object>) t.host().moduleStatus().get("replication").details().get("clusters");
        dev.cairn.core.testing.TestHost.await(java.time.Duration.ofSeconds(30), count + " clusters in status",
                () -> details.get() != null && details.get().size() == count);
        return List.copyOf(details.get().keySet());
    }

    @Test
    void clustersKeepTheFileOrderInStatusAndAcrossAReload() throws Exception {
        List<String> names = List.of("zulu", "alpha", "mike", "bravo", "yankee", "charlie");
        int closed = dev.cairn.core.testing.TestHost.freePort();
        try (var t = dev.cairn.core.testing.TestHost.start(dir, clustersYaml(names, closed), new ReplicationModule())) {
            assertThat(statusClusters(t, names.size())).containsExactlyElementsOf(names);
            List<String> reordered = List.of("charlie", "mike", "zulu", "yankee", "alpha", "bravo");
            var r = t.reload(clustersYaml(reordered, closed));
            assertThat(r.ok()).as(r.toString()).isTrue();
            assertThat(statusClusters(t, reordered.size())).containsExactlyElementsOf(reordered);
        }
    }
}
