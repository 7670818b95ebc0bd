package dev.cairn.replication.failover;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Cairn nodes in network namespaces of their own, for partition tests (root only): a bridge in
 * the root namespace ({@code crb<pid>}, {@code SUBNET.1/24}) with one extra address per database
 * server ({@code SUBNET.21}, {@code .22}, ...: the MariaDB servers of the test run in the root
 * namespace and bind those), and per Cairn node a namespace {@code cairn-repl-j<pid>-NODE} whose
 * {@code eth0} ({@code SUBNET.11}, {@code .12}, ...) is a veth pair to the bridge. A partition is
 * made with nftables inside a node's namespace: packets to and from the addresses it must not
 * reach are dropped (no RST, as a real partition), so the node's probes time out.
 *
 * <p>Cairn runs as a real process per namespace ({@code ip netns exec NS java ... Main run}), with
 * this JVM's class path; its admin API and metrics listen on 127.0.0.1 inside the namespace and
 * are read with {@code ip netns exec NS curl}. Every name carries this JVM's pid, so concurrent
 * runs never share an interface or namespace; leftovers of dead JVMs are removed by
 * {@link #create}. {@link #close()} kills the Cairn processes this lab started and deletes its
 * namespaces and bridge. Not thread-safe except {@link #get}, {@link #metric} and {@link #exec}.
 */
final class NetnsLab implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern OWN_NS = Pattern.compile("^cairn-repl-j(\\d+)-[a-z0-9]+$");
    private static final Pattern OWN_LINK = Pattern.compile("^\\d+: (cr[bv](\\d+)[a-z]?)[@:]");

    final long pid = ProcessHandle.current().pid();
    final String bridge = "crb" + pid;
    final String subnet;
    final List<String> nodes;
    private final int dbServers;
    private final Map<String, Process> cairn = new LinkedHashMap<>();
    private final Map<String, Path> logs = new LinkedHashMap<>();
    private final List<String> created = new ArrayList<>();

    private NetnsLab(String subnet, List<String> nodes, int dbServers) {
        this.subnet = subnet;
        this.nodes = List.copyOf(nodes);
        this.dbServers = dbServers;
    }

    /** Builds the bridge, its database addresses and one namespace per Cairn node ({@code a}, {@code b}, ...). */
    static NetnsLab create(List<String> nodes, int dbServers) throws IOException {
        String uid = run(List.of("id", "-u")).trim();
        if (!uid.equals("0")) {
            throw new AssertionError("NetnsLab needs root (network namespaces, veth, nft): CI runs as root; run the build as root");
        }
        gc();
        String addrs = run(List.of("ip", "-o", "-4", "addr"));
        long pid = ProcessHandle.current().pid();
        int n = (int) (100 + pid % 100);
        while (addrs.contains(" 10.97." + n + ".")) n = n == 199 ? 100 : n + 1;
        NetnsLab lab = new NetnsLab("10.97." + n, nodes, dbServers);
        try {
            lab.up();
        } catch (IOException | RuntimeException | Error e) {
            lab.close();
            throw e;
        }
        return lab;
    }

    private void up() throws IOException {
        sh("ip", "link", "add", bridge, "type", "bridge");
        created.add("link:" + bridge);
        sh("ip", "addr", "add", subnet + ".1/24", "dev", bridge);
        for (int i = 0; i < dbServers; i++) {
            sh("ip", "addr", "add", dbAddress(i) + "/32", "dev", bridge);
        }
        sh("ip", "link", "set", bridge, "up");
        for (String node : nodes) {
            String ns = ns(node);
            sh("ip", "netns", "add", ns);
            created.add("ns:" + ns);
            sh("ip", "-n", ns, "link", "set", "lo", "up");
            String veth = "crv" + pid + node;
            sh("ip", "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns);
            sh("ip", "link", "set", veth, "master", bridge);
            sh("ip", "link", "set", veth, "up");
            sh("ip", "-n", ns, "addr", "add", cairnAddress(node) + "/24", "dev", "eth0");
            sh("ip", "-n", ns, "link", "set", "eth0", "up");
        }
    }

    /** The namespace of a Cairn node. */
    String ns(String node) {
        return "cairn-repl-j" + pid + "-" + node;
    }

    /** A Cairn node's eth0 address. */
    String cairnAddress(String node) {
        return subnet + "." + (11 + nodes.indexOf(node));
    }

    /** The address database server {@code i} (0-based, node1 = 0) is configured at. */
    String dbAddress(int i) {
        return subnet + "." + (21 + i);
    }

    /** Every database address, comma-separated: for {@code --bind-address} (with 127.0.0.1 for the harness). */
    String bindAddresses() {
        StringBuilder b = new StringBuilder("127.0.0.1");
        for (int i = 0; i < dbServers; i++) b.append(',').append(dbAddress(i));
        return b.toString();
    }

    /** Drops every packet between {@code node} and {@code addresses} (both ways), inside its namespace. */
    void drop(String node, List<String> addresses) throws IOException {
        String set = String.join(", ", addresses);
        String rules = """
                table inet cairnpart {
                  chain in { type filter hook input priority 0; ip saddr { %s } drop; }
                  chain out { type filter hook output priority 0; ip daddr { %s } drop; }
                }
                """.formatted(set, set);
        Process p = new ProcessBuilder("ip", "netns", "exec", ns(node), "nft", "-f", "-").redirectErrorStream(true).start();
        p.getOutputStream().write(rules.getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (!p.waitFor(20, TimeUnit.SECONDS) || p.exitValue() != 0) throw new IOException("nft in " + ns(node) + ": " + out);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    /** Removes {@code node}'s drop rules. */
    void heal(String node) throws IOException {
        sh("ip", "netns", "exec", ns(node), "nft", "delete", "table", "inet", "cairnpart");
    }

    /** Starts Cairn ({@code run -c config --node NODE}) in the node's namespace; its log goes beside the config. */
    void startCairn(String node, Path config) throws IOException {
        Process old = cairn.get(node);
        if (old != null && old.isAlive()) throw new IllegalStateException("Cairn " + node + " is running");
        Path log = config.resolveSibling("cairn-" + node + ".log");
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns(node),
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx128m",
                "-cp", System.getProperty("java.class.path"), "dev.cairn.core.cli.Main",
                "run", "-c", config.toString(), "--node", node));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        cairn.put(node, p);
        logs.put(node, log);
    }

    /** SIGKILL of a node's Cairn (a crash: its database sessions and locks end with it). */
    void killCairn(String node) throws InterruptedException {
        Process p = cairn.get(node);
        if (p != null) {
            p.destroyForcibly();
            p.waitFor(20, TimeUnit.SECONDS);
        }
    }

    /** The last lines of a node's Cairn log, for failure messages. */
    String logTail(String node, int lines) {
        try {
            Path log = logs.get(node);
            if (log == null || !Files.exists(log)) return "(no log)";
            List<String> all = Files.readAllLines(log);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(log unreadable: " + e + ")";
        }
    }

    /** GET on a node's admin API (127.0.0.1:9000 in its namespace): the JSON, or null while it does not answer. */
    JsonNode get(String node, String path) {
        String body = exec(node, "curl", "-s", "-m", "3", "http://127.0.0.1:9000" + path);
        try {
            return body.isBlank() ? null : JSON.readTree(body);
        } catch (IOException e) {
            return null;
        }
    }

    /** POST on a node's admin API; the JSON answer (a missing node when it is none). */
    JsonNode post(String node, String path) {
        String body = exec(node, "curl", "-s", "-m", "60", "-X", "POST", "http://127.0.0.1:9000" + path);
        try {
            return JSON.readTree(body);
        } catch (IOException e) {
            throw new AssertionError("POST " + path + " on " + node + ": not JSON: " + body, e);
        }
    }

    /**
     * A sample of a node's /metrics (127.0.0.1:9100 in its namespace): {@code name{labels}} as
     * written, e.g. {@code cairn_replication_failovers_total{cluster="main",result="success"}};
     * NaN while it does not answer or has no such sample.
     */
    double metric(String node, String series) {
        String text = exec(node, "curl", "-s", "-m", "3", "http://127.0.0.1:9100/metrics");
        for (String line : text.split("\n")) {
            if (line.startsWith(series + " ")) return Double.parseDouble(line.substring(series.length() + 1).trim().split(" ")[0]);
        }
        return Double.NaN;
    }

    /** Runs a command in a node's namespace; its output (stdout and stderr). */
    String exec(String node, String... cmd) {
        List<String> argv = new ArrayList<>(List.of("ip", "netns", "exec", ns(node)));
        argv.addAll(List.of(cmd));
        return run(argv);
    }

    private static String run(List<String> argv) {
        try {
            Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS)) p.destroyForcibly();
            return out;
        } catch (IOException e) {
            throw new IllegalStateException(String.join(" ", argv) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private static void sh(String... argv) throws IOException {
        try {
            Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IOException(String.join(" ", argv) + " failed: " + out.trim());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    /** Removes namespaces and links of this lab's kind whose JVM is gone (and whose namespaces run nothing). */
    private static void gc() {
        for (String line : run(List.of("ip", "netns", "list")).split("\n")) {
            String name = line.split(" ")[0];
            Matcher m = OWN_NS.matcher(name);
            if (m.matches() && !Files.exists(Path.of("/proc", m.group(1)))
                    && run(List.of("ip", "netns", "pids", name)).isBlank()) {
                run(List.of("ip", "netns", "del", name));
            }
        }
        for (String line : run(List.of("ip", "-o", "link", "show")).split("\n")) {
            Matcher m = OWN_LINK.matcher(line);
            if (m.find() && !Files.exists(Path.of("/proc", m.group(2)))) {
                run(List.of("ip", "link", "del", m.group(1)));
            }
        }
    }

    @Override
    public void close() {
        for (Process p : cairn.values()) {
            p.destroyForcibly();
        }
        for (Process p : cairn.values()) {
            try {
                p.waitFor(20, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        for (int i = created.size() - 1; i >= 0; i--) {
            String c = created.get(i);
            if (c.startsWith("ns:")) {
                run(List.of("ip", "netns", "del", c.substring(3)));
            } else {
                run(List.of("ip", "link", "del", c.substring(5)));
            }
        }
    }
}
