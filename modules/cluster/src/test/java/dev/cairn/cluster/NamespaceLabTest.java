package dev.cairn.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cairn.cluster.advert.Advert;
import dev.cairn.cluster.advert.AdvertCodec;
import dev.cairn.cluster.advert.VipState;
import dev.cairn.core.testing.TestHost;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Real Cairn processes in network namespaces built by scripts/lab: VIPs really added with
 * {@code ip addr}, announced with arping, partitions made with nftables. Needs root (CI has it);
 * without root it fails with a message rather than skipping.
 *
 * <p>Timing: the lab runs at a 500 ms advert interval. The JVMs share a 2-core machine with other
 * builds, where the election thread of a node can stall for several hundred ms; at 250 ms such a
 * stall outlasts the 625 ms lease and makes a healthy master let go (a real, logged release, not a
 * test artifact), which made single samples flaky. At 500 ms the lease is 1.25 s. Every end state
 * is polled with a deadline; every bound is derived from the interval plus {@link #SLACK_MS} for
 * the lab's own commands (process spawns of ip/nft/bash under load), and safety (never two
 * holders) is checked by a watcher sampling the namespaces all along.
 *
 * <p>The lab is named after this JVM's pid ({@code LAB_ID=j<pid>}), so a concurrent run of the
 * tests or of scripts/bench/failover has its own namespaces; labs of dead test JVMs are removed.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class NamespaceLabTest {

    static final String VIP = "10.99.0.100";
    static final int INTERVAL_MS = 500;
    /** 3 × interval + skew of priority 150 (106/256 × interval). */
    static final long MASTER_DOWN_MS = 3 * INTERVAL_MS + (256 - 150) * INTERVAL_MS / 256;
    static final long LEASE_MS = 5 * INTERVAL_MS / 2;
    /** Lab commands (bash, ip, nft) and the holder polls take this long at worst on a loaded machine. */
    static final long SLACK_MS = 1500;
    static final Duration LONG = Duration.ofSeconds(40);
    static final int RISE = 4;
    static final int FALL = 2;
    static final ObjectMapper JSON = new ObjectMapper();

    static Path root;
    static Path work;
    static Path labRun;
    static String labId;
    static String prefix;
    static String cairn;
    static volatile List<String> nodes = List.of();
    /** The VIP {@link #holders()} looks for, with its {@code ip} family flag: the IPv6 scenario switches it. */
    static volatile String holderFamily = "-4";
    static volatile String holderVip = VIP;

    @BeforeAll
    static void up() throws Exception {
        Process id = new ProcessBuilder("id", "-u").start();
        String uid = new String(id.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        if (!uid.equals("0")) {
            throw new AssertionError("NamespaceLabTest needs root (network namespaces, ip addr, nft): CI runs as root; "
                    + "run the build as root or with sudo");
        }
        root = Path.of("").toAbsolutePath();
        while (!Files.exists(root.resolve("scripts/lab"))) root = root.getParent();
        work = Files.createTempDirectory("cairn-lab-test");
        labRun = work.resolve("run");
        labId = "j" + ProcessHandle.current().pid();
        prefix = "cairn-lab-" + labId + "-";
        cairn = "java -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xmx96m -cp " + System.getProperty("java.class.path")
                + " dev.cairn.core.cli.Main";
        Files.writeString(work.resolve("secret"), "lab-secret-0123456789abcdef\n");
        lab("gc");
    }

    @AfterAll
    static void down() throws Exception {
        if (labRun != null) lab("down");
    }

    // ---------------------------------------------------------------- helpers

    static String lab(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(root.resolve("scripts/lab").toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("CAIRN", cairn);
        pb.environment().put("LAB_RUN", labRun.toString());
        pb.environment().put("LAB_ID", labId);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new AssertionError("scripts/lab " + String.join(" ", args) + " failed:\n" + out);
        }
        return out;
    }

    static String run(List<String> argv) {
        try {
            Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor(20, TimeUnit.SECONDS);
            return out;
        } catch (IOException | InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    static String inNs(String node, String... cmd) {
        List<String> argv = new ArrayList<>(List.of("ip", "netns", "exec", prefix + node));
        argv.addAll(List.of(cmd));
        return run(argv);
    }

    /** Namespaces that have the VIP on eth0 right now ({@code ip -n}: no exec into the namespace). */
    static List<String> holders() {
        List<String> out = new ArrayList<>();
        for (String n : nodes) {
            if (!run(List.of("ip", "-n", prefix + n, "-o", holderFamily, "addr", "show", "dev", "eth0", "to", holderVip)).isBlank()) out.add(n);
        }
        return out;
    }

    static String mac(String node) {
        Matcher m = Pattern.compile("link/ether ([0-9a-f:]{17})").matcher(run(List.of("ip", "-n", prefix + node, "-o", "link", "show", "eth0")));
        assertThat(m.find()).isTrue();
        return m.group(1);
    }

    static String clientNeighbourMac() {
        Matcher m = Pattern.compile("lladdr ([0-9a-f:]{17})").matcher(run(List.of("ip", "-n", prefix + "client", "neigh", "show", VIP, "dev", "eth0")));
        return m.find() ? m.group(1) : "";
    }

    /** The cluster module's status details of a node (its admin API inside its namespace), or null while it does not answer. */
    static JsonNode cluster(String node) {
        String body = inNs(node, "curl", "-s", "-m", "3", "http://127.0.0.1:9000/api/status");
        try {
            for (JsonNode m : JSON.readTree(body).path("modules")) {
                if (m.path("name").asText().equals("cluster")) return m.path("details");
            }
        } catch (IOException e) {
            // not up (yet), or stopping
        }
        return null;
    }

    static JsonNode vip(String node) {
        JsonNode c = cluster(node);
        return c == null ? null : c.path("vips").path(0);
    }

    static String masterSeenBy(String node) {
        JsonNode v = vip(node);
        return v == null ? "" : v.path("master").asText();
    }

    static Map<String, Long> transitions(String node) {
        JsonNode v = vip(node);
        assertThat(v).as("status of " + node).isNotNull();
        Map<String, Long> m = new TreeMap<>();
        v.path("transitions").fields().forEachRemaining(e -> m.put(e.getKey(), e.getValue().asLong()));
        return m;
    }

    static long adverts(String node, String result) {
        JsonNode c = cluster(node);
        return c == null ? -1 : c.path("adverts").path(result).asLong(-1);
    }

    /** Election log lines of every node (transitions, releases, stalls): what explains a failure. */
    static String electionLogs() {
        StringBuilder b = new StringBuilder();
        try (Stream<Path> logs = Files.exists(labRun) ? Files.list(labRun) : Stream.empty()) {
            for (Path p : logs.filter(p -> p.getFileName().toString().matches("n\\d+\\.log")).sorted().toList()) {
                for (String l : Files.readAllLines(p)) {
                    if (l.contains("->") || l.contains("stalled") || l.contains("quorum") || l.contains("following")
                            || l.contains("is down") || l.contains("peer") || l.contains("ERROR")) {
                        b.append(p.getFileName()).append(": ").append(l).append('\n');
                    }
                }
            }
        } catch (IOException e) {
            b.append("(logs unreadable: ").append(e).append(")");
        }
        return b.toString();
    }

    /** {@link TestHost#await} with the nodes' election logs in the failure message. */
    static void await(Duration d, String what, BooleanSupplier cond) throws InterruptedException {
        try {
            TestHost.await(d, what, cond);
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "; holders now " + holders() + "\n--- election logs ---\n" + electionLogs(), e);
        }
    }

    static void writeConfig(String name, int n, int intervalMs, String more) throws IOException {
        StringBuilder b = new StringBuilder("""
                cluster:
                  name: lab
                  secret_file: %s
                  advert_interval: %dms
                  driver: {garp_repeat_after: 2s}
                  nodes:
                """.formatted(work.resolve("secret"), intervalMs));
        int[] prio = {150, 100, 50};
        for (int i = 1; i <= n; i++) {
            b.append("    - {name: n").append(i).append(", address: 10.99.0.1").append(i).append(", priority: ")
                    .append(prio[i - 1]).append("}\n");
        }
        b.append("  vips:\n    - {address: ").append(VIP).append("/24, dev: eth0, label: vip}\n");
        b.append(more.indent(2));
        b.append("admin:\n  listen: 127.0.0.1:9000\n");
        Files.writeString(work.resolve(name), b.toString());
    }

    /**
     * The 3-node config: each node tracks its own web server (the lab's HTTP server on :8080 in
     * its namespace) with weight -100, so a node whose web server is down drops below the others.
     */
    static void writeLab3(String more) throws IOException {
        writeConfig("lab3.yml", 3, INTERVAL_MS, """
                track:
                  - {service: web, weight: -100, rise: %d, fall: %d}
                %s""".formatted(RISE, FALL, more));
        Files.writeString(work.resolve("lab3.yml"), Files.readString(work.resolve("lab3.yml")) + """
                services:
                  web:
                    endpoints: [127.0.0.1:8080]
                    check: {type: tcp, interval: 100ms, timeout: 200ms, rise: 1, fall: 1}
                """);
    }

    static void startAll(String config) throws Exception {
        for (String n : nodes) lab("start", n, work.resolve(config).toString());
    }

    /** Samples the holders every ~20 ms in the background: any moment with two, and who held when. */
    static final class HolderWatch implements AutoCloseable {
        record Sample(long at, List<String> holders) {
        }

        /** One look at one node: the {@code ip} command ran between {@code from} and {@code to} (nanoTime). */
        record Check(String node, long from, long to, boolean held) {
        }

        final ConcurrentLinkedQueue<Check> checks = new ConcurrentLinkedQueue<>();

        final ConcurrentLinkedQueue<Sample> samples = new ConcurrentLinkedQueue<>();
        final Thread t;
        volatile boolean on = true;

        HolderWatch() {
            t = new Thread(() -> {
                while (on) {
                    long at = System.currentTimeMillis();
                    List<String> held = new ArrayList<>();
                    for (String n : nodes) {
                        long from = System.nanoTime();
                        boolean has = !run(List.of("ip", "-n", prefix + n, "-o", holderFamily, "addr", "show", "dev", "eth0",
                                "to", holderVip)).isBlank();
                        checks.add(new Check(n, from, System.nanoTime(), has));
                        if (has) held.add(n);
                    }
                    samples.add(new Sample(at, held));
                    try {
                        Thread.sleep(20); // sampling pace, not a wait for a condition
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
            t.setDaemon(true);
            t.start();
        }

        /** Moments with two holders, with the time and the election logs to explain them. */
        List<String> dual() {
            // One sweep looks at the nodes one after the other (an `ip` process each, tens of ms
            // under load), so a handover inside a sweep can show the old holder before it let go
            // and the new one after it took over. Two holders at once are proven when a node was
            // seen holding in two consecutive looks and another node was seen holding in a look
            // that ran entirely between them (the address does not come and go within 20 ms).
            List<Check> all = new ArrayList<>(checks);
            List<String> d = new ArrayList<>();
            for (String a : all.stream().map(Check::node).distinct().toList()) {
                List<Check> mine = all.stream().filter(c -> c.node().equals(a)).toList();
                for (int i = 0; i + 1 < mine.size(); i++) {
                    Check first = mine.get(i);
                    Check next = mine.get(i + 1);
                    if (!first.held() || !next.held()) continue;
                    for (Check b : all) {
                        if (!b.node().equals(a) && b.held() && b.from() >= first.to() && b.to() <= next.from()) {
                            d.add(a + " and " + b.node() + " both held (look at " + b.node() + " "
                                    + (b.to() - first.to()) / 1_000_000 + " ms after a look at " + a + ", which still held "
                                    + (next.from() - b.to()) / 1_000_000 + " ms later)");
                        }
                    }
                }
            }
            if (!d.isEmpty()) {
                List<String> withLogs = new ArrayList<>(d);
                withLogs.add("--- election logs ---\n" + electionLogs());
                return withLogs;
            }
            return d;
        }

        /** Distinct holder sets seen from {@code from} on. */
        Set<List<String>> seenSince(long from) {
            Set<List<String>> s = new java.util.LinkedHashSet<>();
            for (Sample x : samples) if (x.at() >= from) s.add(x.holders());
            return s;
        }

        /** Waits until at least {@code n} samples were taken after {@code from}: an observation window. */
        void observe(long from, long windowMs) throws InterruptedException {
            long until = from + windowMs;
            TestHost.await(LONG, "holder samples over the window", () -> samples.stream().anyMatch(x -> x.at() >= until));
        }

        @Override
        public void close() throws InterruptedException {
            on = false;
            t.join(5000);
        }
    }

    /** A client loop of HTTP requests to the VIP every 10 ms; records the time of each success. */
    static final class ClientLoop implements AutoCloseable {
        final Process p;
        final Path out;

        ClientLoop(Path out) throws IOException {
            this.out = out;
            // -m 0.2: a request to a dead master is abandoned after 200 ms instead of waiting for
            // TCP's 1 s SYN retransmit; still far above a healthy request (a few ms) under load.
            p = new ProcessBuilder("ip", "netns", "exec", prefix + "client", "bash", "-c",
                    "while :; do if curl -s -o /dev/null -m 0.2 http://" + VIP + ":8080/; then date +%s%3N; fi; sleep 0.01; done")
                    .redirectOutput(out.toFile()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        }

        List<Long> successes() {
            List<Long> t = new ArrayList<>();
            try {
                for (String l : Files.readAllLines(out)) if (l.trim().matches("\\d+")) t.add(Long.parseLong(l.trim()));
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            return t;
        }

        /** Longest time between two successes after {@code fromMillis}. */
        long maxGapAfter(long fromMillis) {
            List<Long> t = successes();
            long max = 0;
            for (int i = 1; i < t.size(); i++) if (t.get(i) >= fromMillis) max = Math.max(max, t.get(i) - t.get(i - 1));
            return max;
        }

        @Override
        public void close() {
            p.destroyForcibly();
        }
    }

    // ---------------------------------------------------------------- scenarios

    /** Scenario 1. */
    @Test
    @Order(1)
    void steadyStateOneHolderAndTheClientSeesOneMac() throws Exception {
        lab("up", "3");
        nodes = List.of("n1", "n2", "n3");
        writeLab3("");
        for (String n : nodes) lab("http", n);
        startAll("lab3.yml");
        await(LONG, "n1 holds the VIP", () -> holders().equals(List.of("n1")));
        assertThat(run(List.of("ip", "-n", prefix + "n1", "-o", "addr", "show", "dev", "eth0"))).contains("eth0:vip");
        try (HolderWatch w = new HolderWatch()) {
            long from = System.currentTimeMillis();
            String arping = inNs("client", "arping", "-c", "3", "-w", "4", "-I", "eth0", VIP);
            Set<String> macs = new TreeSet<>();
            Matcher m = Pattern.compile("\\[([0-9A-Fa-f:]{17})]").matcher(arping);
            while (m.find()) macs.add(m.group(1).toLowerCase());
            assertThat(macs).as("MACs answering ARP for the VIP:\n" + arping).containsExactly(mac("n1"));
            w.observe(from, 4L * INTERVAL_MS);
            assertThat(w.dual()).as("moments with two holders").isEmpty();
            assertThat(w.seenSince(from)).as("holders over the steady state, logs:\n" + electionLogs()).containsExactly(List.of("n1"));
        }
        await(LONG, "HTTP through the VIP", () -> inNs("client", "curl", "-s", "-m", "2", "http://" + VIP + ":8080/").contains("n1"));
    }

    /** Scenario 2. */
    @Test
    @Order(2)
    void crashedMasterLosesTheVipWithinMasterDownAndClientsResume() throws Exception {
        try (ClientLoop loop = new ClientLoop(work.resolve("client-kill.txt"))) {
            await(LONG, "client loop running", () -> loop.successes().size() > 5);
            long t0 = System.currentTimeMillis();
            lab("crash", "n1");
            // The crashed node's namespace keeps the address on its downed link; n1 removes it
            // when Cairn starts again.
            nodes = List.of("n2", "n3");
            await(LONG, "n2 holds the VIP", () -> holders().equals(List.of("n2")));
            long moved = System.currentTimeMillis() - t0;
            assertThat(moved).as("VIP moved after kill -9 (master down %d ms)", MASTER_DOWN_MS)
                    .isLessThan(MASTER_DOWN_MS + 2 * INTERVAL_MS + SLACK_MS);
            await(LONG, "client requests resume", () -> {
                List<Long> ok = loop.successes(); // one read: the file grows between two
                return !ok.isEmpty() && ok.get(ok.size() - 1) > t0 + moved;
            });
            assertThat(inNs("client", "curl", "-s", "-m", "2", "http://" + VIP + ":8080/")).contains("n2");
            long gap = loop.maxGapAfter(t0 - 1000);
            System.out.printf("lab: crash (kill -9 + link down) of the master: VIP moved in %d ms, client gap %d ms%n", moved, gap);
            assertThat(gap).isLessThan(MASTER_DOWN_MS + 2 * INTERVAL_MS + SLACK_MS);
            await(LONG, "client's ARP entry points at n2", () -> clientNeighbourMac().equals(mac("n2")));
        }
        nodes = List.of("n1", "n2", "n3");
        lab("revive", "n1");
        lab("start", "n1", work.resolve("lab3.yml").toString());
        await(LONG, "restarted n1 takes the VIP back (preempt)", () -> holders().equals(List.of("n1")));
    }

    /** Scenario 3. */
    @Test
    @Order(3)
    void gracefulStopHandsOverWithinOneInterval() throws Exception {
        await(LONG, "n2 and n3 follow n1", () -> masterSeenBy("n2").equals("n1") && masterSeenBy("n3").equals("n1"));
        lab("kill", "n1", "TERM");
        long gone = -1;
        long handover = -1;
        long deadline = System.currentTimeMillis() + 20_000;
        while (System.currentTimeMillis() < deadline && handover < 0) {
            List<String> h = holders();
            long now = System.currentTimeMillis();
            if (gone < 0 && !h.contains("n1")) gone = now;
            if (h.equals(List.of("n2"))) handover = now - gone;
        }
        System.out.printf("lab: graceful stop: VIP on n2 %d ms after it left n1%n", handover);
        assertThat(handover).as("handover after n1 released, logs:\n" + electionLogs()).isBetween(0L, (long) INTERVAL_MS);
        assertThat(holders()).containsExactly("n2");
        lab("start", "n1", work.resolve("lab3.yml").toString());
        await(LONG, "n1 holds the VIP again", () -> holders().equals(List.of("n1")));
    }

    /** Scenario 6. */
    @Test
    @Order(4)
    void partitionedMasterReleasesAndHealingLeavesOneAnnouncedOwner() throws Exception {
        await(LONG, "n2 and n3 follow n1", () -> masterSeenBy("n2").equals("n1") && masterSeenBy("n3").equals("n1"));
        try (HolderWatch w = new HolderWatch()) {
            long t0 = System.currentTimeMillis();
            lab("partition", "n1");
            await(LONG, "n1 releases the VIP", () -> !holders().contains("n1"));
            long released = System.currentTimeMillis() - t0;
            await(LONG, "n2 holds the VIP", () -> holders().equals(List.of("n2")));
            System.out.printf("lab: partition {n1}|{n2,n3}: n1 released after %d ms%n", released);
            assertThat(released).as("within the lease (2.5 × interval) plus margin").isLessThan(LEASE_MS + SLACK_MS);
            await(LONG, "client's ARP entry points at n2", () -> clientNeighbourMac().equals(mac("n2")));
            // The minority must not take the VIP back while cut off, however long the partition.
            long from = System.currentTimeMillis();
            w.observe(from, 4L * INTERVAL_MS);
            assertThat(w.seenSince(from)).as("holders while partitioned").noneMatch(h -> h.contains("n1"));
            await(LONG, "n2 holds the VIP at the end of the partition", () -> holders().equals(List.of("n2")));
            lab("heal", "n1");
            // n1 has the higher priority and preempt is on: it comes back as the one owner and announces itself.
            await(LONG, "n1 is the only holder after healing", () -> holders().equals(List.of("n1")));
            await(LONG, "client's ARP entry follows (gratuitous ARP)", () -> clientNeighbourMac().equals(mac("n1")));
            assertThat(w.dual()).as("moments with two holders, logs:\n" + electionLogs()).isEmpty();
        }
    }

    /** Scenario 5. */
    @Test
    @Order(5)
    void unhealthyTrackedServiceMovesTheVipAndRecoveryWaitsForRise() throws Exception {
        await(LONG, "n2 and n3 follow n1", () -> masterSeenBy("n2").equals("n1") && masterSeenBy("n3").equals("n1"));
        try (HolderWatch w = new HolderWatch()) {
            long t0 = System.currentTimeMillis();
            lab("http-stop", "n1");
            await(LONG, "n2 holds the VIP", () -> holders().equals(List.of("n2")));
            long moved = System.currentTimeMillis() - t0;
            System.out.printf("lab: tracked service down on n1: VIP on n2 after %d ms%n", moved);
            // fall samples (one per interval), then n2 preempts at once (preempt_delay 0).
            assertThat(moved).isLessThan((FALL + 2L) * INTERVAL_MS + SLACK_MS);
            assertThat(vip("n1").path("priority").asInt()).as("n1's priority with web down").isEqualTo(50);
            await(LONG, "client's ARP entry points at n2", () -> clientNeighbourMac().equals(mac("n2")));
            long t1 = System.currentTimeMillis();
            lab("http", "n1");
            await(LONG, "n1 takes the VIP back once web is up for rise samples", () -> holders().equals(List.of("n1")));
            long back = System.currentTimeMillis() - t1;
            System.out.printf("lab: tracked service up again on n1: VIP back on n1 after %d ms (rise %d × %d ms)%n", back, RISE, INTERVAL_MS);
            assertThat(back).as("rise %d samples at one per %d ms", RISE, INTERVAL_MS).isGreaterThanOrEqualTo((RISE - 1L) * INTERVAL_MS);
            await(LONG, "client's ARP entry follows", () -> clientNeighbourMac().equals(mac("n1")));
            assertThat(w.dual()).as("moments with two holders").isEmpty();
        }
    }

    /** Scenario 7. */
    @Test
    @Order(6)
    void forgedReplayedAndWrongKeyAdvertsAreIgnoredAndCounted() throws Exception {
        await(LONG, "n2 follows n1", () -> masterSeenBy("n2").equals("n1"));
        // A real advert from n1 to n2, captured on the bridge: the attacker's raw material.
        String py = "import socket,sys\n"
                + "s=socket.socket(socket.AF_PACKET,socket.SOCK_RAW,socket.htons(3)); s.bind(('cl-n2-br',0)); s.settimeout(10)\n"
                + "while True:\n"
                + "  f=s.recv(65535)\n"
                + "  if f[12:14]!=bytes([8,0]): continue\n"
                + "  ip=f[14:]; h=(ip[0]&15)*4\n"
                + "  if ip[9]==17 and ip[12:16]==bytes([10,99,0,11]) and ip[16:20]==bytes([10,99,0,12]) and int.from_bytes(ip[h+2:h+4],'big')==5798:\n"
                + "    print(ip[h+8:].hex()); break\n";
        String captured = inNs("br", "/usr/bin/python3", "-c", py).trim();
        assertThat(captured).as("captured advert").matches("[0-9a-f]{100,}");
        byte[] real = HexFormat.of().parseHex(captured);
        byte[] tampered = real.clone();
        tampered[12] ^= 0x01;
        AdvertCodec wrongKey = new AdvertCodec(List.of("not-the-lab-secret-0123456789".getBytes(StandardCharsets.UTF_8)));
        Advert takeover = new Advert("lab", "n3", "x", System.currentTimeMillis() * 1000 + 1_000_000_000L, INTERVAL_MS, false, Map.of(),
                List.of(new Advert.VipView(VIP + "/24", VipState.MASTER, 254, 1_000_000, "n3")));
        byte[] forged = wrongKey.encode(takeover);

        long bad0 = adverts("n2", "bad_hmac");
        long replay0 = adverts("n2", "replay");
        long badN1 = adverts("n1", "bad_hmac");
        long epoch0 = vip("n1").path("epoch").asLong();
        Map<String, Long> before1 = transitions("n1");
        Map<String, Long> before2 = transitions("n2");
        try (HolderWatch w = new HolderWatch()) {
            long from = System.currentTimeMillis();
            // From the client namespace, an attacker on the same segment.
            String send = "import socket,sys\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n"
                    + "for a in sys.argv[2:]:\n  s.sendto(bytes.fromhex(sys.argv[1]),(a,5798))\n";
            inNs("client", "/usr/bin/python3", "-c", send, HexFormat.of().formatHex(real), "10.99.0.12");
            inNs("client", "/usr/bin/python3", "-c", send, HexFormat.of().formatHex(tampered), "10.99.0.12");
            inNs("client", "/usr/bin/python3", "-c", send, HexFormat.of().formatHex(forged), "10.99.0.12", "10.99.0.11");
            await(LONG, "n2 counts the replay and two bad HMACs",
                    () -> adverts("n2", "replay") == replay0 + 1 && adverts("n2", "bad_hmac") == bad0 + 2);
            await(LONG, "n1 counts the wrong-key takeover", () -> adverts("n1", "bad_hmac") == badN1 + 1);
            w.observe(from, 3L * INTERVAL_MS);
            assertThat(w.seenSince(from)).as("holders after the bad adverts").containsExactly(List.of("n1"));
        }
        assertThat(vip("n1").path("epoch").asLong()).as("epoch").isEqualTo(epoch0);
        assertThat(masterSeenBy("n2")).isEqualTo("n1");
        assertThat(transitions("n1")).as("n1's transitions").isEqualTo(before1);
        assertThat(transitions("n2")).as("n2's transitions").isEqualTo(before2);
        assertThat(run(List.of("grep", "-c", "CAIRN-CLUSTER-0001", labRun.resolve("n2.log").toString())).trim())
                .as("rejections logged with their error id").isNotEqualTo("0");
    }

    /** Scenario 8: at the default 1 s interval, the wait a node makes for its peers at start (master-down) absorbs JVM start skew. */
    @Test
    @Order(7)
    void simultaneousStartAndReloadConvergeWithoutSpuriousTransitions() throws Exception {
        for (String n : nodes) lab("kill", n, "TERM");
        await(LONG, "every node stopped and released", () -> holders().isEmpty()
                && nodes.stream().allMatch(n -> inNs(n, "curl", "-s", "-m", "1", "http://127.0.0.1:9000/api/status").isBlank()));
        writeConfig("lab3s.yml", 3, 1000, "");
        List<Thread> starts = new ArrayList<>();
        ConcurrentLinkedQueue<Throwable> failed = new ConcurrentLinkedQueue<>();
        for (String n : nodes) {
            Thread t = new Thread(() -> {
                try {
                    lab("start", n, work.resolve("lab3s.yml").toString());
                } catch (Throwable e) {
                    failed.add(e);
                }
            });
            starts.add(t);
        }
        starts.forEach(Thread::start);
        for (Thread t : starts) t.join();
        assertThat(failed).isEmpty();
        try (HolderWatch w = new HolderWatch()) {
            await(LONG, "n1 holds the VIP", () -> holders().equals(List.of("n1")));
            await(LONG, "n2 and n3 follow n1", () -> masterSeenBy("n2").equals("n1") && masterSeenBy("n3").equals("n1"));
            Map<String, Map<String, Long>> expected = Map.of(
                    "n1", Map.of("BACKUP", 1L, "CLAIMING", 1L, "MASTER", 1L),
                    "n2", Map.of("BACKUP", 1L),
                    "n3", Map.of("BACKUP", 1L));
            for (String n : nodes) assertThat(transitions(n)).as("transitions of " + n + " after start, logs:\n" + electionLogs()).isEqualTo(expected.get(n));
            String hash = cluster("n1").path("nodes").path(0).path("config_hash").asText();
            // A reload on every node (SIGHUP) with a changed cluster section.
            writeConfig("lab3s.yml", 3, 1000, "preempt_delay: 2s\n");
            for (String n : nodes) lab("kill", n, "HUP");
            await(LONG, "every node runs the new config and sees the others run it too", () -> nodes.stream().allMatch(n -> {
                JsonNode c = cluster(n);
                if (c == null || c.path("config_hash_mismatches").asInt(-1) != 0) return false;
                String h = c.path("nodes").path(0).path("config_hash").asText();
                return !h.equals(hash) && !h.isEmpty();
            }));
            long from = System.currentTimeMillis();
            w.observe(from, 3000);
            assertThat(w.seenSince(from)).containsExactly(List.of("n1"));
            for (String n : nodes) assertThat(transitions(n)).as("transitions of " + n + " after the reload").isEqualTo(expected.get(n));
            assertThat(w.dual()).as("moments with two holders").isEmpty();
        }
    }

    /** Milliseconds of the first line of a node's log containing {@code text} (the node's own clock), or -1. */
    static long logTime(String node, String text) throws IOException {
        for (String l : Files.readAllLines(labRun.resolve(node + ".log"))) {
            if (l.contains(text)) return java.time.Instant.parse(l.substring(0, l.indexOf(' '))).toEpochMilli();
        }
        return -1;
    }

    /**
     * Scenario 4, on the cluster of scenario 8 (1 s adverts, preempt_delay 2s): a restarted n1
     * preempts n2 only after preempt_delay; with preempt off (reloaded), it stays BACKUP.
     */
    @Test
    @Order(8)
    void preemptWaitsForPreemptDelayAndNopreemptKeepsTheLiveMaster() throws Exception {
        await(LONG, "n1 holds the VIP", () -> holders().equals(List.of("n1")));
        try (HolderWatch w = new HolderWatch()) {
            lab("kill", "n1", "TERM");
            await(LONG, "n2 holds the VIP", () -> holders().equals(List.of("n2")));
            await(LONG, "n1 stopped", () -> cluster("n1") == null);
            lab("start", "n1", work.resolve("lab3s.yml").toString());
            await(LONG, "n1 takes the VIP back after preempt_delay", () -> holders().equals(List.of("n1")));
            long following = logTime("n1", "following master n2");
            long claiming = logTime("n1", "BACKUP -> CLAIMING (preempting n2");
            System.out.printf("lab: preempt_delay 2s: n1 claimed %d ms after it started following n2%n", claiming - following);
            assertThat(following).as("n1 followed n2 first, logs:\n" + electionLogs()).isPositive();
            assertThat(claiming - following).as("preempt_delay respected").isGreaterThanOrEqualTo(2000);
            assertThat(w.dual()).as("moments with two holders").isEmpty();
        }
        writeConfig("lab3s.yml", 3, 1000, "preempt_delay: 2s\npreempt: false\n");
        String before = cluster("n1").path("nodes").path(0).path("config_hash").asText();
        for (String n : nodes) lab("kill", n, "HUP");
        await(LONG, "every node runs the nopreempt config", () -> nodes.stream().allMatch(n -> {
            JsonNode c = cluster(n);
            return c != null && c.path("config_hash_mismatches").asInt(-1) == 0
                    && !c.path("nodes").path(0).path("config_hash").asText().equals(before);
        }));
        try (HolderWatch w = new HolderWatch()) {
            lab("kill", "n1", "TERM");
            await(LONG, "n2 holds the VIP", () -> holders().equals(List.of("n2")));
            await(LONG, "n1 stopped", () -> cluster("n1") == null);
            lab("start", "n1", work.resolve("lab3s.yml").toString());
            await(LONG, "restarted n1 follows n2", () -> masterSeenBy("n1").equals("n2"));
            long from = System.currentTimeMillis();
            w.observe(from, 4000);
            assertThat(w.seenSince(from)).as("holders with preempt off, logs:\n" + electionLogs()).containsExactly(List.of("n2"));
            assertThat(transitions("n1")).as("the restarted n1 never claimed").isEqualTo(Map.of("BACKUP", 1L));
            assertThat(w.dual()).as("moments with two holders").isEmpty();
        }
    }

    /** Scenario 9. */
    @Test
    @Order(9)
    void twoNodePairNodeCutFromTheWitnessDoesNotHoldTheVip() throws Exception {
        lab("down");
        lab("up", "2");
        nodes = List.of("n1", "n2");
        writeConfig("lab2.yml", 2, INTERVAL_MS, "witness: 10.99.0.1\n");
        startAll("lab2.yml");
        await(LONG, "n1 holds the VIP", () -> holders().equals(List.of("n1")));
        try (HolderWatch w = new HolderWatch()) {
            lab("cut", "n1", "10.99.0.1");
            await(LONG, "n2 holds the VIP", () -> holders().equals(List.of("n2")));
            long from = System.currentTimeMillis();
            w.observe(from, 6L * INTERVAL_MS);
            assertThat(w.seenSince(from)).as("holders while n1 cannot reach the witness").noneMatch(h -> h.contains("n1"));
            String status = inNs("n1", "curl", "-s", "127.0.0.1:9000/api/status");
            assertThat(status).contains("witness");
            lab("heal", "n1");
            await(LONG, "n1 takes it back once it sees the witness", () -> holders().equals(List.of("n1")));
            assertThat(w.dual()).as("moments with two holders").isEmpty();
        }
    }

    static final String VIP6 = "fd00:99::100";

    /** The client's neighbour entry (NDP) for the IPv6 VIP: its MAC, or "" while it has none. */
    static String clientNeighbourMac6() {
        Matcher m = Pattern.compile("lladdr ([0-9a-f:]{17})").matcher(run(List.of("ip", "-n", prefix + "client", "-6", "neigh", "show", VIP6, "dev", "eth0")));
        return m.find() ? m.group(1) : "";
    }

    static String ndiscNotify(String node) {
        return inNs(node, "cat", "/proc/sys/net/ipv6/conf/eth0/ndisc_notify").trim();
    }

    /**
     * Scenario 10: an IPv6 VIP. After a crash of the master, the client's neighbour entry moves
     * to the new master's MAC with no traffic from the client at all: neighbour unreachability
     * detection only runs when the client sends, so the only way the entry can change is the
     * unsolicited NA the new holder's kernel sends once the VIP passes DAD (the driver turned on
     * ndisc_notify, which the lab leaves at the kernel's default 0).
     */
    @Test
    @Order(10)
    void ipv6VipMovesOnCrashAndTheClientsNeighbourEntryFollowsByUnsolicitedNa() throws Exception {
        lab("down");
        lab("up", "2");
        nodes = List.of("n1", "n2");
        holderFamily = "-6";
        holderVip = VIP6;
        Files.writeString(work.resolve("lab6.yml"), """
                cluster:
                  name: lab
                  secret_file: %s
                  advert_interval: %dms
                  driver: {garp_repeat_after: 2s}
                  nodes:
                    - {name: n1, address: 10.99.0.11, priority: 150}
                    - {name: n2, address: 10.99.0.12, priority: 100}
                  vips:
                    - {address: %s/64, dev: eth0}
                admin:
                  listen: 127.0.0.1:9000
                """.formatted(work.resolve("secret"), INTERVAL_MS, VIP6));
        for (String n : nodes) lab("http", n);
        assertThat(ndiscNotify("n2")).as("the lab leaves ndisc_notify at the kernel default").isEqualTo("0");
        startAll("lab6.yml");
        try (HolderWatch w = new HolderWatch()) {
            await(LONG, "n1 holds the IPv6 VIP", () -> holders().equals(List.of("n1")));
            await(LONG, "n2 follows n1", () -> masterSeenBy("n2").equals("n1"));
            // Through the VIP (the lab's HTTP server listens on :: too); this resolves the VIP to n1's MAC.
            await(LONG, "HTTP over IPv6 through the VIP reaches n1",
                    () -> inNs("client", "curl", "-s", "-g", "-m", "2", "http://[" + VIP6 + "]:8080/").contains("n1"));
            assertThat(clientNeighbourMac6()).as("client's neighbour entry before the crash").isEqualTo(mac("n1"));
            assertThat(ndiscNotify("n1")).as("n1's driver turned on ndisc_notify").isEqualTo("1");
            String n2mac = mac("n2");

            long t0 = System.currentTimeMillis();
            lab("crash", "n1");
            // Link down drops n1's IPv6 addresses, the VIP with them; n2 is the one holder to watch.
            await(LONG, "n2 holds the IPv6 VIP", () -> holders().equals(List.of("n2")));
            long moved = System.currentTimeMillis() - t0;
            assertThat(moved).as("VIP moved after kill -9 (master down %d ms)", MASTER_DOWN_MS)
                    .isLessThan(MASTER_DOWN_MS + 2 * INTERVAL_MS + SLACK_MS);
            // No request from the client until the entry has moved: only an unsolicited NA can move it.
            long t1 = System.currentTimeMillis();
            await(Duration.ofSeconds(15), "client's neighbour entry for the VIP points at n2 (unsolicited NA)",
                    () -> clientNeighbourMac6().equals(n2mac));
            long followed = System.currentTimeMillis() - t1;
            System.out.printf("lab: IPv6 VIP, crash of the master: VIP on n2 after %d ms, client's neighbour entry followed %d ms later%n",
                    moved, followed);
            // DAD (1 probe, 1 s) before the NA, plus the lab's slack.
            assertThat(followed).as("entry followed after DAD").isLessThan(1000 + 2 * SLACK_MS);
            assertThat(ndiscNotify("n2")).as("n2's driver turned on ndisc_notify").isEqualTo("1");
            assertThat(inNs("client", "curl", "-s", "-g", "-m", "2", "http://[" + VIP6 + "]:8080/")).contains("n2");
            assertThat(w.dual()).as("moments with two holders").isEmpty();
        } finally {
            holderFamily = "-4";
            holderVip = VIP;
        }
    }
}
