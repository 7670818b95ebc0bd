package dev.cairn.cluster;

import dev.cairn.core.config.ModuleRegistry;
import dev.cairn.core.lifecycle.Host;
import dev.cairn.core.lifecycle.ReloadResult;
import dev.cairn.core.testing.Metrics;
import dev.cairn.core.testing.TestHost;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Several real Cairn hosts in this JVM, one per cluster node, each bound to its own loopback
 * address (127.0.0.1, .2, .3 ...) on the same advert port, each with its own config file copy.
 */
final class LoopbackCluster implements AutoCloseable {

    static final String SECRET = "test-secret-0123456789abcdef";
    static final String VIP = "10.99.9.100/24";

    final Path dir;
    final int port;
    private final Map<String, Host> hosts = new LinkedHashMap<>();
    private final Map<String, ClusterModule> modules = new LinkedHashMap<>();
    private String yaml;

    LoopbackCluster(Path dir, String yaml) throws IOException {
        this.dir = dir;
        this.port = TestHost.freePort();
        this.yaml = yaml;
    }

    /** A cluster section: nodes n1 (prio 150, 127.0.0.1), n2 (100, .2), n3 (50, .3) ... and one VIP. */
    static String config(int nodes, String intervalAndMore) {
        StringBuilder b = new StringBuilder("cluster:\n  name: test\n  secret_file: secret\n  port: PORTPLACEHOLDER\n");
        b.append("  driver: {type: none}\n");
        b.append("  nodes:\n");
        int[] prio = {150, 100, 50, 40, 30};
        for (int i = 1; i <= nodes; i++) {
            b.append("    - {name: n").append(i).append(", address: 127.0.0.").append(i).append(", priority: ").append(prio[i - 1]).append("}\n");
        }
        b.append("  vips:\n    - {address: ").append(VIP).append(", dev: lo}\n");
        b.append(intervalAndMore.indent(2));
        return b.toString();
    }

    /** Per-node text substitutions (token -> value), for configs that differ by node in a test. */
    final Map<String, Map<String, String>> nodeVars = new LinkedHashMap<>();

    String yaml() {
        return yaml(null);
    }

    String yaml(String node) {
        String y = yaml.replace("PORTPLACEHOLDER", Integer.toString(port));
        if (node != null) {
            for (Map.Entry<String, String> e : nodeVars.getOrDefault(node, Map.of()).entrySet()) y = y.replace(e.getKey(), e.getValue());
        }
        return y + "admin:\n  listen: 127.0.0.1:0\n";
    }

    Host start(String node) throws Exception {
        Path nodeDir = dir.resolve(node);
        Files.createDirectories(nodeDir);
        Files.writeString(nodeDir.resolve("secret"), SECRET + "\n");
        Path file = nodeDir.resolve("cairn.yml");
        Files.writeString(file, yaml(node));
        ClusterModule m = new ClusterModule();
        Host h = new Host(ModuleRegistry.of(m), file, node, Map.of());
        h.start();
        hosts.put(node, h);
        modules.put(node, m);
        return h;
    }

    void startAll(String... nodes) throws Exception {
        for (String n : nodes) start(n);
    }

    /** Rewrites one node's file and reloads it (SIGHUP). */
    ReloadResult reload(String node, String newYaml) throws IOException {
        Path file = dir.resolve(node).resolve("cairn.yml");
        String saved = yaml;
        yaml = newYaml;
        Files.writeString(file, yaml(node));
        yaml = saved;
        return hosts.get(node).reload();
    }

    void setYaml(String yaml) {
        this.yaml = yaml;
    }

    ClusterModule module(String node) {
        return modules.get(node);
    }

    Host host(String node) {
        return hosts.get(node);
    }

    /** kill -9: no shutdown advert, the host's other parts just go away. */
    void crash(String node) {
        modules.get(node).election().crash();
        hosts.remove(node).close();
        modules.remove(node);
    }

    /** Graceful stop (SIGTERM). */
    void stop(String node) {
        hosts.remove(node).close();
        modules.remove(node);
    }

    @SuppressWarnings("unchecked")
    Map<String, Object> vip(String node) {
        List<Map<String, Object>> vips = (List<Map<String, Object>>) modules.get(node).status().details().get("vips");
        return vips.get(0);
    }

    String state(String node) {
        return (String) vip(node).get("state");
    }

    /** Nodes currently MASTER of the VIP, among the running ones. */
    List<String> masters() {
        return modules.keySet().stream().filter(n -> "MASTER".equals(state(n))).toList();
    }

    double metric(String node, String name, String... labels) {
        return Metrics.value(hosts.get(node).metrics(), name, labels);
    }

    @Override
    public void close() {
        for (Host h : hosts.values()) h.close();
        hosts.clear();
    }
}
