package dev.cairn.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cairn.core.config.ConfigException;
import dev.cairn.core.testing.TestHost;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What cairn check reports for a wrong cluster section: file, line and key. */
class ClusterConfigTest {

    @TempDir
    Path dir;

    private String errors(String yaml) throws Exception {
        Files.writeString(dir.resolve("secret"), "short\n");
        try (TestHost h = TestHost.start(dir, yaml, new ClusterModule())) {
            return "";
        } catch (ConfigException e) {
            return e.getMessage();
        }
    }

    @Test
    void reportsEveryProblemWithItsLine() throws Exception {
        String msg = errors("""
                cluster:
                  secret_file: secret
                  quorum: majority
                  nodes:
                    - {name: a, address: 127.0.0.1}
                    - {name: b, address: 127.0.0.2}
                  vips:
                    - {address: 10.0.0.5, nodes: [a]}
                    - {address: 10.0.0.6/24, nodes: [c], label: "way-too-long-label"}
                  track:
                    - {service: nope}
                """);
        assertThat(errors("""
                cluster:
                  advert_interval: 5ms
                  nodes: [{name: a, address: 127.0.0.1}]
                """)).contains("cairn.yml:2:3: cluster: advert_interval 5ms is out of range 20ms..10s");
        assertThat(msg).contains("cluster.vips[0]: '10.0.0.5' needs a prefix length");
        assertThat(msg).contains("label 'way-too-long-label' must be 1..15");
    }

    @Test
    void crossReferencesAreChecked() throws Exception {
        String msg = errors("""
                cluster:
                  secret_file: secret
                  quorum: majority
                  nodes:
                    - {name: a, address: 127.0.0.1}
                    - {name: b, address: 127.0.0.2}
                  vips:
                    - {address: 10.0.0.6/24, nodes: [c]}
                  track:
                    - {service: nope}
                """);
        assertThat(msg).contains("cairn.yml:2:16: cluster.secret_file: cannot use");
        assertThat(msg).contains("shorter than 16 characters");
        assertThat(msg).contains("cluster.quorum: majority needs 3 or more nodes");
        assertThat(msg).contains("cluster.vips[0].nodes: no node named 'c'");
        assertThat(msg).contains("cluster.track[0].service: no service named 'nope'");
    }

    @Test
    void twoNodesNeedASecret() throws Exception {
        String msg = errors("""
                cluster:
                  nodes:
                    - {name: a, address: 127.0.0.1}
                    - {name: b, address: 127.0.0.2}
                """);
        assertThat(msg).contains("cluster.secret_file: a cluster of 2 nodes needs secret_file");
    }

    @Test
    void singleNodeClusterStartsWithoutSecret() throws Exception {
        try (TestHost h = TestHost.start(dir, """
                cluster:
                  port: %d
                  driver: {type: none}
                  nodes:
                    - {name: solo, address: 127.0.0.1}
                  vips:
                    - {address: 10.99.9.1/24, dev: lo}
                """.formatted(TestHost.freePort()), new ClusterModule())) {
            TestHost.await(java.time.Duration.ofSeconds(10), "solo MASTER",
                    () -> h.host().moduleStatus().get("cluster").summary().contains("MASTER"));
            assertThat(h.metric("cairn_vip_state", "vip", "10.99.9.1/24", "state", "MASTER")).isEqualTo(1);
        }
    }
}
