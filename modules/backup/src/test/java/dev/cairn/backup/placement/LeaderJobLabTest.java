package dev.cairn.backup.placement;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cairn.backup.repo.RepoKey;
import dev.cairn.backup.repo.Repository;
import dev.cairn.backup.store.LocalStore;
import dev.cairn.core.testing.TestHost;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Three real Cairn processes in network namespaces (scripts/lab), the cluster module electing the
 * VIP master, one repository directory shared by all three: a job marked {@code on: leader} runs
 * on the master only, and after the master is killed the new master runs it at the next
 * scheduled time; a job with {@code node: n2} runs only on n2; every node shows each job's last
 * snapshot, read from the shared repository. Needs root (CI has it): without it, it fails with a
 * message rather than skipping.
 */
class LeaderJobLabTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final String VIP = "10.99.0.100";
    static final List<String> NODES = List.of("n1", "n2", "n3");
    static final Duration LONG = Duration.ofSeconds(40);

    static Path root;
    static Path work;
    static Path labRun;
    static String labId;
    static String prefix;
    static String cairn;

    @BeforeAll
    static void up() throws Exception {
        Process id = new ProcessBuilder("id", "-u").start();
        if (!new String(id.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim().equals("0")) {
            throw new AssertionError("LeaderJobLabTest needs root (network namespaces, ip addr): CI runs as root; run the build as root");
        }
        root = Path.of("").toAbsolutePath();
        while (!Files.exists(root.resolve("scripts/lab"))) root = root.getParent();
        work = Files.createTempDirectory("cairn-backup-lab");
        labRun = work.resolve("run");
        labId = "k" + ProcessHandle.current().pid();
        prefix = "cairn-lab-" + labId + "-";
        cairn = "java -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xmx128m -cp "
                + System.getProperty("java.class.path") + " dev.cairn.core.cli.Main";
        Files.writeString(work.resolve("secret"), "lab-secret-0123456789abcdef\n");
        lab("gc");
        lab("up", "3");
    }

    @AfterAll
    static void down() throws Exception {
        if (labRun != null) lab("down");
    }

    static String lab(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(root.resolve("scripts/lab").toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("CAIRN", cairn);
        pb.environment().put("LAB_RUN", labRun.toString());
        pb.environment().put("LAB_ID", labId);
        pb.environment().put("LC_ALL", "C.UTF-8");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) throw new AssertionError("scripts/lab " + String.join(" ", args) + " failed:\n" + out);
        return out;
    }

    static String inNs(String node, String... cmd) {
        List<String> argv = new ArrayList<>(List.of("ip", "netns", "exec", prefix + node));
        argv.addAll(List.of(cmd));
        try {
            Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor(20, TimeUnit.SECONDS);
            return out;
        } catch (IOException | InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A module's status details on a node (its admin API in its namespace), or a missing node while it does not answer. */
    static JsonNode module(String node, String name) {
        String body = inNs(node, "curl", "-s", "-m", "3", "http://127.0.0.1:9000/api/status");
        try {
            for (JsonNode m : JSON.readTree(body).path("modules")) {
                if (m.path("name").asText().equals(name)) return m.path("details");
            }
        } catch (IOException e) {
            // not up (yet), or stopping
        }
        return JSON.missingNode();
    }

    static String vipState(String node) {
        return module(node, "cluster").path("vips").path(0).path("state").asText();
    }

    static JsonNode job(String node, String job) {
        return module(node, "backup").path("jobs").path(job);
    }

    /** Lines of a node's log saying it wrote a snapshot of {@code job}. */
    static long runs(String node, String job) {
        try {
            Path log = labRun.resolve(node + ".log");
            if (!Files.exists(log)) return 0;
            return Files.readAllLines(log).stream().filter(l -> l.contains("backup job " + job + ": snapshot ")).count();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Snapshot times of {@code job} in the shared repository, oldest first. */
    static List<Instant> snapshots(String job) {
        try (Repository repo = Repository.open(new LocalStore(work.resolve("repo")), RepoKey.keyFile(work.resolve("repo.key")))) {
            List<Instant> out = new ArrayList<>();
            for (Repository.SnapshotRef r : repo.snapshots(null)) if (r.header().job().equals(job)) out.add(r.header().time());
            return out;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static String newest(String job) {
        try (Repository repo = Repository.open(new LocalStore(work.resolve("repo")), RepoKey.keyFile(work.resolve("repo.key")))) {
            String id = null;
            for (Repository.SnapshotRef r : repo.snapshots(null)) if (r.header().job().equals(job)) id = r.id();
            return id;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static void await(Duration d, String what, BooleanSupplier cond) throws InterruptedException {
        try {
            TestHost.await(d, what, cond);
        } catch (AssertionError e) {
            StringBuilder logs = new StringBuilder();
            for (String n : NODES) {
                try {
                    List<String> lines = Files.readAllLines(labRun.resolve(n + ".log"));
                    logs.append("--- ").append(n).append(".log (last lines)\n");
                    for (String l : lines.subList(Math.max(0, lines.size() - 25), lines.size())) logs.append(l).append('\n');
                } catch (IOException x) {
                    logs.append("--- ").append(n).append(".log unreadable\n");
                }
            }
            throw new AssertionError(e.getMessage() + "\n" + logs, e);
        }
    }

    /**
     * At most one snapshot of a job per scheduled time (10 s slots): a job run by two nodes at one
     * tick would show as two in one slot. (A catch-up at start runs in the slot of the run it makes up for.)
     */
    static void oneSnapshotPerTick(String job) {
        List<Instant> t = snapshots(job);
        java.util.Map<Long, Long> perSlot = new java.util.TreeMap<>();
        for (Instant i : t) perSlot.merge(i.getEpochSecond() / 10, 1L, Long::sum);
        assertThat(perSlot.values()).as(job + " snapshots " + t).allMatch(n -> n == 1);
    }

    @Test
    void aLeaderJobRunsOnTheVipMasterOnlyMovesWithItAndEveryNodeShowsItsState() throws Exception {
        Files.createDirectories(work.resolve("data"));
        Files.writeString(work.resolve("data/site.yml"), "- hosts: all\n");
        RepoKey.generate(work.resolve("repo.key"));
        // Created once here: three nodes creating it at the same moment is not what this tests.
        Repository.init(new LocalStore(work.resolve("repo")), RepoKey.keyFile(work.resolve("repo.key")), Repository.Params.defaults()).close();
        StringBuilder b = new StringBuilder("""
                cluster:
                  name: lab
                  secret_file: %s
                  advert_interval: 500ms
                  nodes:
                """.formatted(work.resolve("secret")));
        int[] prio = {150, 100, 50};
        for (int i = 1; i <= 3; i++) {
            b.append("    - {name: n").append(i).append(", address: 10.99.0.1").append(i).append(", priority: ").append(prio[i - 1]).append("}\n");
        }
        b.append("  vips:\n    - {address: ").append(VIP).append("/24, dev: eth0, label: vip}\n");
        b.append("""
                backup:
                  repositories:
                    shared: { path: %s, key_file: %s }
                  jobs:
                    leader:
                      source: { directory: { paths: [%s] } }
                      schedule: every 10s
                      repository: shared
                      on: leader
                    pinned:
                      source: { directory: { paths: [%s] } }
                      schedule: every 10s
                      repository: shared
                      node: n2
                admin:
                  listen: 127.0.0.1:9000
                """.formatted(work.resolve("repo"), work.resolve("repo.key"), work.resolve("data"), work.resolve("data")));
        Path config = work.resolve("cairn.yml");
        Files.writeString(config, b.toString());
        for (String n : NODES) lab("start", n, config.toString());

        await(LONG, "n1 (priority 150) the VIP master, the others backups", () -> vipState("n1").equals("MASTER")
                && vipState("n2").equals("BACKUP") && vipState("n3").equals("BACKUP"));
        await(LONG, "two runs of the leader job on n1", () -> runs("n1", "leader") >= 2);
        assertThat(runs("n2", "leader") + runs("n3", "leader")).as("the leader job on the backups").isZero();
        await(LONG, "the pinned job run on n2", () -> runs("n2", "pinned") >= 1);
        assertThat(runs("n1", "pinned") + runs("n3", "pinned")).as("the pinned job elsewhere").isZero();
        // The others follow the job from the shared repository (re-read at each scheduled time).
        for (String n : List.of("n2", "n3")) {
            await(LONG, n + " shows the leader job's newest snapshot", () -> job(n, "leader").path("last_snapshot").asText().equals(newest("leader")));
            assertThat(job(n, "leader").path("placement").asText()).isEqualTo("runs on the leader n1");
        }
        await(LONG, "n1 shows the pinned job's newest snapshot", () -> job("n1", "pinned").path("last_snapshot").asText().equals(newest("pinned")));
        assertThat(job("n1", "pinned").path("placement").asText()).isEqualTo("runs on node n2");
        assertThat(job("n1", "leader").has("placement")).as("n1 runs it").isFalse();

        // The master dies: n2 (priority 100) takes the VIP and the job at its next scheduled time.
        long n1Runs = runs("n1", "leader");
        lab("kill", "n1");
        await(LONG, "n2 the new VIP master", () -> vipState("n2").equals("MASTER"));
        await(LONG, "the leader job run on n2", () -> runs("n2", "leader") >= 1);
        assertThat(runs("n3", "leader")).as("the leader job on the remaining backup").isZero();
        assertThat(runs("n1", "leader")).as("n1 is dead").isEqualTo(n1Runs);
        await(LONG, "n3 shows the snapshot the new master wrote",
                () -> job("n3", "leader").path("last_snapshot").asText().equals(newest("leader")));
        assertThat(job("n3", "leader").path("placement").asText()).isEqualTo("runs on the leader n2");
        oneSnapshotPerTick("leader");
        oneSnapshotPerTick("pinned");
    }
}
