package dev.cairn.cluster;

import static dev.cairn.core.testing.TestHost.await;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class NamespaceLabTest {

    static final String VIP = "10.99.0.100";
    static final int INTERVAL_MS = 250;
    /** 3 × 250 ms + skew of priority 150 (106/256 × 250 ms). */
    static final long MASTER_DOWN_MS = 3 * INTERVAL_MS + (256 - 150) * INTERVAL_MS / 256;
    static final Duration LONG = Duration.ofSeconds(30);

    static Path root;
    static Path work;
    static Path labRun;
    static String cairn;

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
        cairn = "java -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xmx96m -cp " + System.getProperty("java.class.path")
                + " dev.cairn.core.cli.Main";
        Files.writeString(work.resolve("secret"), "lab-secret-0123456789abcdef\n");
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
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new AssertionError("scripts/lab " + String.join(" ", args) + " failed:\n" + out);
        }
        return out;
    }

    static String inNs(String node, String... cmd) {
        try {
            List<String> argv = new ArrayList<>(List.of("ip", "netns", "exec", "cairn-lab-" + node));
            argv.addAll(List.of(cmd));
            Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor(20, TimeUnit.SECONDS);
            return out;
        } catch (IOException | InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    static List<String> nodes = List.of();

    /** Namespaces that have the VIP on eth0 right now. */
    static List<String> holders() {
        List<String> out = new ArrayList<>();
        for (String n : nodes) {
            if (!inNs(n, "ip", "-o", "-4", "addr", "show", "dev", "eth0", "to", VIP).isBlank()) out.add(n);
        }
        return out;
    }

    static String mac(String node) {
        Matcher m = Pattern.compile("link/ether ([0-9a-f:]{17})").matcher(inNs(node, "ip", "-o", "link", "show", "eth0"));
        assertThat(m.find()).isTrue();
        return m.group(1);
    }

    static String clientNeighbourMac() {
        Matcher m = Pattern.compile("lladdr ([0-9a-f:]{17})").matcher(inNs("client", "ip", "neigh", "show", VIP, "dev", "eth0"));
        return m.find() ? m.group(1) : "";
    }

    static void writeConfig(String name, int n, String more) throws IOException {
        StringBuilder b = new StringBuilder("""
                cluster:
                  name: lab
                  secret_file: %s
                  advert_interval: %dms
                  driver: {garp_repeat_after: 2s}
                  nodes:
                """.formatted(work.resolve("secret"), INTERVAL_MS));
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

    static void startAll(String config) throws Exception {
        for (String n : nodes) lab("start", n, work.resolve(config).toString());
    }

    /** Polls holders every ~10 ms in the background and records any moment with two. */
    static final class HolderWatch implements AutoCloseable {
        final ConcurrentLinkedQueue<List<String>> dual = new ConcurrentLinkedQueue<>();
        final Thread t;
        volatile boolean on = true;

        HolderWatch() {
            t = new Thread(() -> {
                while (on) {
                    List<String> h = holders();
                    if (h.size() > 1) dual.add(h);
                }
            });
            t.setDaemon(true);
            t.start();
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
            p = new ProcessBuilder("ip", "netns", "exec", "cairn-lab-client", "bash", "-c",
                    "while :; do if curl -s -o /dev/null -m 0.3 http://" + VIP + ":8080/; then date +%s%3N; fi; sleep 0.01; done")
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

    @Test
    @Order(1)
    void steadyStateOneHolderAndTheClientSeesOneMac() throws Exception {
        lab("up", "3");
        nodes = List.of("n1", "n2", "n3");
        writeConfig("lab3.yml", 3, "");
        for (String n : nodes) lab("http", n);
        startAll("lab3.yml");
        await(LONG, "n1 holds the VIP", () -> holders().equals(List.of("n1")));
        assertThat(inNs("n1", "ip", "-o", "addr", "show", "dev", "eth0")).contains("eth0:vip");
        Thread.sleep(2 * INTERVAL_MS);
        assertThat(holders()).containsExactly("n1");
        String arping = inNs("client", "arping", "-c", "3", "-w", "4", "-I", "eth0", VIP);
        Set<String> macs = new TreeSet<>();
        Matcher m = Pattern.compile("\\[([0-9A-Fa-f:]{17})]").matcher(arping);
        while (m.find()) macs.add(m.group(1).toLowerCase());
        assertThat(macs).containsExactly(mac("n1"));
        await(LONG, "HTTP through the VIP", () -> inNs("client", "curl", "-s", "-m", "2", "http://" + VIP + ":8080/").contains("n1"));
    }

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
            assertThat(moved).as("VIP moved after kill -9 (master down %d ms)", MASTER_DOWN_MS).isLessThan(MASTER_DOWN_MS + 1200);
            await(LONG, "client requests resume", () -> loop.successes().get(loop.successes().size() - 1) > t0 + moved);
            assertThat(inNs("client", "curl", "-s", "-m", "2", "http://" + VIP + ":8080/")).contains("n2");
            long gap = loop.maxGapAfter(t0 - 1000);
            System.out.printf("lab: crash (kill -9 + link down) of the master: VIP moved in %d ms, client gap %d ms%n", moved, gap);
            assertThat(gap).isLessThan(MASTER_DOWN_MS + 1500);
            assertThat(clientNeighbourMac()).isEqualTo(mac("n2"));
        }
        nodes = List.of("n1", "n2", "n3");
        lab("revive", "n1");
        lab("start", "n1", work.resolve("lab3.yml").toString());
        await(LONG, "restarted n1 takes the VIP back (preempt)", () -> holders().equals(List.of("n1")));
    }

    @Test
    @Order(3)
    void gracefulStopHandsOverWithinOneInterval() throws Exception {
        await(LONG, "n2 and n3 follow n1", () -> inNs("n2", "curl", "-s", "127.0.0.1:9000/api/status").contains("\"master\" : \"n1\"")
                && inNs("n3", "curl", "-s", "127.0.0.1:9000/api/status").contains("\"master\" : \"n1\""));
        lab("kill", "n1", "TERM");
        long gone = -1;
        long deadline = System.currentTimeMillis() + 15_000;
        while (System.currentTimeMillis() < deadline) {
            List<String> h = holders();
            long now = System.currentTimeMillis();
            if (gone < 0 && !h.contains("n1")) gone = now;
            if (h.equals(List.of("n2"))) {
                long handover = now - gone;
                System.out.printf("lab: graceful stop: VIP on n2 %d ms after it left n1%n", handover);
                assertThat(handover).isLessThan(INTERVAL_MS);
                break;
            }
        }
        assertThat(holders()).containsExactly("n2");
        lab("start", "n1", work.resolve("lab3.yml").toString());
        await(LONG, "n1 holds the VIP again", () -> holders().equals(List.of("n1")));
    }

    @Test
    @Order(4)
    void partitionedMasterReleasesAndHealingLeavesOneAnnouncedOwner() throws Exception {
        try (HolderWatch w = new HolderWatch()) {
            long t0 = System.currentTimeMillis();
            lab("partition", "n1");
            await(LONG, "n1 releases the VIP", () -> !holders().contains("n1"));
            long released = System.currentTimeMillis() - t0;
            await(LONG, "n2 holds the VIP", () -> holders().equals(List.of("n2")));
            System.out.printf("lab: partition {n1}|{n2,n3}: n1 released after %d ms%n", released);
            assertThat(released).as("within the lease (2.5 × interval) plus margin").isLessThan((long) (2.5 * INTERVAL_MS) + 600);
            await(LONG, "client's ARP entry points at n2", () -> clientNeighbourMac().equals(mac("n2")));
            Thread.sleep(4L * INTERVAL_MS);
            assertThat(holders()).containsExactly("n2");
            lab("heal", "n1");
            // n1 has the higher priority and preempt is on: it comes back as the one owner and announces itself.
            await(LONG, "n1 is the only holder after healing", () -> holders().equals(List.of("n1")));
            await(LONG, "client's ARP entry follows (gratuitous ARP)", () -> clientNeighbourMac().equals(mac("n1")));
            assertThat(w.dual).as("moments with two holders").isEmpty();
        }
    }

    @Test
    @Order(5)
    void twoNodePairNodeCutFromTheWitnessDoesNotHoldTheVip() throws Exception {
        lab("down");
        lab("up", "2");
        nodes = List.of("n1", "n2");
        writeConfig("lab2.yml", 2, "witness: 10.99.0.1\n");
        startAll("lab2.yml");
        await(LONG, "n1 holds the VIP", () -> holders().equals(List.of("n1")));
        lab("cut", "n1", "10.99.0.1");
        await(LONG, "n2 holds the VIP", () -> holders().equals(List.of("n2")));
        Thread.sleep(8L * INTERVAL_MS);
        assertThat(holders()).containsExactly("n2");
        String status = inNs("n1", "curl", "-s", "127.0.0.1:9000/api/status");
        assertThat(status).contains("witness");
        lab("heal", "n1");
        await(LONG, "n1 takes it back once it sees the witness", () -> holders().equals(List.of("n1")));
    }

    static Map<String, String> unused() {
        return Map.of();
    }
}
