package dev.cairn.cluster.election;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import dev.cairn.cluster.ClusterConfig;
import dev.cairn.cluster.QuorumMode;
import dev.cairn.cluster.advert.VipState;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * The election core driven in simulated time ({@link ElectionSimulation}): thousands of random
 * schedules of crashes, restarts, partitions (also one way), packet loss, delays, reordering,
 * duplicated and replayed adverts and short stop-the-world pauses. Safety is checked at every
 * driver completion (never two nodes with the address), liveness after the chaos (once a
 * majority is up and connected, exactly one holder, and it stays). A failure prints the seed and
 * the schedule; {@code -Dsim.seed=N} replays one.
 */
class ElectionSimulationTest {

    static final int SCHEDULES = Integer.getInteger("sim.schedules", 2000);
    static final long SEED = Long.getLong("sim.seed", -1);
    private static Level saved;

    @BeforeAll
    static void quiet() {
        // Thousands of runs log every transition at INFO: the schedule printed on failure says more.
        Logger l = (Logger) LoggerFactory.getLogger(ElectionCore.class);
        saved = l.getLevel();
        l.setLevel(Level.OFF);
    }

    @AfterAll
    static void restore() {
        ((Logger) LoggerFactory.getLogger(ElectionCore.class)).setLevel(saved);
    }

    /** The trace lines up to the first problem's time (the last 40 of them), or the last 40. */
    private static List<String> around(List<String> trace, List<String> problems) {
        int end = trace.size();
        for (String p : problems) {
            int at = p.indexOf("t=");
            if (at < 0) continue;
            String stamp = p.substring(at).split(" ")[0];
            for (int i = 0; i < trace.size(); i++) {
                if (trace.get(i).startsWith(stamp)) {
                    end = Math.min(end, i + 3);
                    break;
                }
            }
        }
        end = Math.min(end, trace.size());
        return trace.subList(Math.max(0, end - 40), end);
    }

    private record Outcome(long seed, List<String> problems, List<String> schedule, List<String> trace) {
        String describe() {
            return "seed " + seed + " (replay: -Dsim.seed=" + seed + "):\n  problems: " + problems
                    + "\n  schedule: " + String.join("\n            ", schedule)
                    + "\n  trace:    " + String.join("\n            ", around(trace, problems));
        }
    }

    @Test
    void majorityNeverHasTwoHoldersAndAlwaysOneOnceAMajorityIsConnected() {
        List<String> failures = new ArrayList<>();
        long steps = 0;
        int runs = 0;
        for (long seed = SEED >= 0 ? SEED : 1; seed <= (SEED >= 0 ? SEED : SCHEDULES); seed++) {
            Outcome o = chaos(seed);
            runs++;
            if (!o.problems().isEmpty() && failures.size() < 3) failures.add(o.describe());
            else if (!o.problems().isEmpty()) failures.add("seed " + seed + ": " + o.problems());
        }
        assertThat(runs).isGreaterThan(0);
        assertThat(failures).as("schedules that broke safety or liveness").isEmpty();
    }

    /** One random schedule: 3 or 5 nodes, quorum majority, a minute of chaos, then calm. */
    private Outcome chaos(long seed) {
        Random r = new Random(seed * 7919);
        ElectionSimulation.Params p = new ElectionSimulation.Params();
        p.nodes = r.nextInt(4) == 0 ? 5 : 3;
        p.interval = List.of(Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofSeconds(1)).get(r.nextInt(3));
        p.preempt = r.nextBoolean();
        p.preemptDelay = r.nextBoolean() ? Duration.ZERO : p.interval.multipliedBy(r.nextInt(6));
        if (r.nextInt(4) == 0) {
            p.priorities = new int[p.nodes];
            java.util.Arrays.fill(p.priorities, 100); // ties: the address decides
        }
        long interval = p.interval.toNanos();
        p.maxDelayNanos = Math.max(p.minDelayNanos + 1, (long) (interval * 0.15 * r.nextDouble()));
        p.dropRate = r.nextInt(3) == 0 ? 0 : 0.3 * r.nextDouble();
        p.duplicateRate = r.nextInt(3) == 0 ? 0 : 0.2 * r.nextDouble();
        p.driverMaxNanos = Math.max(p.driverMinNanos + 1, (long) (interval * 0.1 * r.nextDouble()));
        ElectionSimulation sim = new ElectionSimulation(p, seed);
        List<String> schedule = new ArrayList<>();
        schedule.add(String.format("%d nodes, interval %d ms, preempt %s delay %d ms, delay <= %.1f ms, drop %.2f, dup %.2f, driver <= %.1f ms",
                p.nodes, p.interval.toMillis(), p.preempt, p.preemptDelay.toMillis(), p.maxDelayNanos / 1e6, p.dropRate,
                p.duplicateRate, p.driverMaxNanos / 1e6));
        // Nodes start within one interval of each other (or one late).
        for (ElectionSimulation.Node n : sim.nodes) {
            long at = ElectionSimulation.T0 + (long) (r.nextDouble() * interval * (r.nextInt(5) == 0 ? 8 : 1));
            sim.at(at, () -> sim.start(n));
        }
        long end = ElectionSimulation.T0 + 60 * interval;
        long t = ElectionSimulation.T0 + interval;
        while (true) {
            t += (long) (interval * (0.2 + 4 * r.nextDouble()));
            if (t >= end) break;
            long when = t;
            int kind = r.nextInt(10);
            ElectionSimulation.Node n = sim.nodes[r.nextInt(p.nodes)];
            String what;
            Runnable action;
            switch (kind) {
                case 0, 1 -> {
                    long back = (long) (interval * (0.5 + 8 * r.nextDouble()));
                    what = "crash " + n.name + ", back after " + back / 1_000_000 + " ms";
                    action = () -> {
                        sim.crash(n);
                        sim.at(sim.now + back, () -> sim.start(n));
                    };
                }
                case 2, 3 -> {
                    boolean[] group = new boolean[p.nodes];
                    for (int i = 0; i < p.nodes; i++) group[i] = r.nextBoolean();
                    long heal = (long) (interval * (1 + 10 * r.nextDouble()));
                    what = "partition " + java.util.Arrays.toString(group) + ", heal after " + heal / 1_000_000 + " ms";
                    action = () -> {
                        sim.partition(group);
                        sim.at(sim.now + heal, sim::heal);
                    };
                }
                case 4 -> {
                    int a = r.nextInt(p.nodes);
                    int b = (a + 1 + r.nextInt(p.nodes - 1)) % p.nodes;
                    long heal = (long) (interval * (1 + 10 * r.nextDouble()));
                    what = "one-way cut n" + (a + 1) + " -> n" + (b + 1) + ", heal after " + heal / 1_000_000 + " ms";
                    action = () -> {
                        sim.blocked[a][b] = true;
                        sim.at(sim.now + heal, () -> sim.blocked[a][b] = false);
                    };
                }
                case 5 -> {
                    // Stop-the-world pauses (a GC, a CPU hog) up to a fifth of an interval: the
                    // margin between a cut-off master's lease (2.5 intervals) and the majority's
                    // master-down (3 + skew) absorbs them, less the driver time. A longer pause
                    // that falls exactly when a cut-off master's lease runs out delays its release
                    // past the takeover: two holders for the rest of the pause, which no lease
                    // protocol can prevent (the address stays on a stopped process's host). The
                    // 20000-schedule run with pauses up to one interval found such cases; see the
                    // README. Pauses of a master that is not cut off are the false-failover tests.
                    long pause = (long) (interval * 0.2 * r.nextDouble());
                    what = "pause " + n.name + " for " + pause / 1_000_000 + " ms";
                    action = () -> sim.pause(n, pause);
                }
                default -> {
                    what = "nothing";
                    action = () -> { };
                }
            }
            schedule.add(String.format("t=%.3fs %s", (when - ElectionSimulation.T0) / 1e9, what));
            sim.at(when, action);
        }
        sim.runUntil(end);
        // Calm: the network heals, loss stops; a majority (sometimes all) is up.
        int keepDown = r.nextBoolean() ? 0 : (p.nodes - 1) / 2;
        schedule.add(String.format("t=%.3fs calm: heal, no loss, %d node(s) left down", (end - ElectionSimulation.T0) / 1e9, keepDown));
        sim.heal();
        p.dropRate = 0;
        for (int i = 0; i < p.nodes; i++) {
            if (i < keepDown) sim.crash(sim.nodes[i]);
            else sim.start(sim.nodes[i]);
        }
        // Within: a restarted node's startup wait, a master-down, a claim, the preempt delay, the driver.
        long settle = 12 * interval + 2 * p.preemptDelay.toNanos();
        if (SEED >= 0) {
            // Replaying one schedule: show how the calm unfolds.
            System.out.println(String.join("\n", schedule));
            for (long s = 0; s < settle; s += interval) {
                sim.runUntil(sim.now + interval);
                System.out.printf("t=%.3fs %s holders=%s%n", (sim.now - ElectionSimulation.T0) / 1e9, states(sim), sim.holders());
            }
        }
        sim.runUntil(sim.now + settle);
        List<String> problems = new ArrayList<>(sim.violations.stream().map(v -> "two holders: " + v).toList());
        if (sim.holders().size() != 1) {
            problems.add("no single holder " + settle / 1_000_000 + " ms after a majority was connected: " + sim.holders()
                    + " states " + states(sim));
        } else {
            int changes = sim.holderChanges;
            int traced = sim.trace.size();
            sim.runUntil(sim.now + 20 * interval);
            if (sim.holderChanges != changes || sim.holders().size() != 1) {
                problems.add("the holder did not stay: " + sim.trace.subList(traced, sim.trace.size()));
            }
        }
        return new Outcome(seed, problems, schedule, sim.trace);
    }

    private static List<String> states(ElectionSimulation sim) {
        List<String> s = new ArrayList<>();
        for (ElectionSimulation.Node n : sim.nodes) {
            s.add(n.name + (n.up ? "=" + n.core.state(ElectionSimulation.VIP) + "/e" + n.core.epoch(ElectionSimulation.VIP)
                    + "/" + n.core.leader(ElectionSimulation.VIP) : "=down"));
        }
        return s;
    }

    @Test
    void pairWithoutQuorumNeverHasTwoHoldersWhenOnlyNodesFail() {
        // quorum none is keepalived's trade: two holders under a partition, by design. Without
        // partitions or loss (crashes, restarts, delays, duplicates, preemption) it must be clean.
        List<String> failures = new ArrayList<>();
        for (long seed = SEED >= 0 ? SEED : 1; seed <= (SEED >= 0 ? SEED : SCHEDULES / 4); seed++) {
            Random r = new Random(seed * 104729);
            ElectionSimulation.Params p = new ElectionSimulation.Params();
            p.nodes = 2;
            p.quorum = QuorumMode.NONE;
            p.interval = List.of(Duration.ofMillis(100), Duration.ofSeconds(1)).get(r.nextInt(2));
            p.preempt = r.nextBoolean();
            long interval = p.interval.toNanos();
            p.maxDelayNanos = Math.max(p.minDelayNanos + 1, (long) (interval * 0.15 * r.nextDouble()));
            p.duplicateRate = 0.1 * r.nextDouble();
            p.driverMaxNanos = Math.max(p.driverMinNanos + 1, (long) (interval * 0.1 * r.nextDouble()));
            ElectionSimulation sim = new ElectionSimulation(p, seed);
            List<String> schedule = new ArrayList<>();
            for (ElectionSimulation.Node n : sim.nodes) sim.at(ElectionSimulation.T0 + (long) (r.nextDouble() * interval), () -> sim.start(n));
            long t = ElectionSimulation.T0 + interval;
            long end = ElectionSimulation.T0 + 60 * interval;
            while (true) {
                t += (long) (interval * (1 + 6 * r.nextDouble()));
                if (t >= end) break;
                ElectionSimulation.Node n = sim.nodes[r.nextInt(2)];
                long back = (long) (interval * (0.5 + 8 * r.nextDouble()));
                long when = t;
                schedule.add(String.format("t=%.3fs crash %s, back after %d ms", (when - ElectionSimulation.T0) / 1e9, n.name, back / 1_000_000));
                sim.at(when, () -> {
                    sim.crash(n);
                    sim.at(sim.now + back, () -> sim.start(n));
                });
            }
            sim.runUntil(end);
            for (ElectionSimulation.Node n : sim.nodes) sim.start(n);
            sim.runUntil(sim.now + 12 * interval);
            List<String> problems = new ArrayList<>(sim.violations.stream().map(v -> "two holders: " + v).toList());
            if (sim.holders().size() != 1) problems.add("no single holder at the end: " + sim.holders() + " " + states(sim));
            if (!problems.isEmpty()) failures.add(new Outcome(seed, problems, schedule, sim.trace).describe());
        }
        assertThat(failures).as("schedules that broke safety or liveness").isEmpty();
    }

    @Test
    void crashedMasterIsReplacedWithinMasterDownPlusOneRoundTrip() {
        ElectionSimulation.Params p = new ElectionSimulation.Params();
        p.priorities = new int[] {150, 100, 50};
        p.maxDelayNanos = TimeUnit.MILLISECONDS.toNanos(1);
        p.driverMaxNanos = TimeUnit.MILLISECONDS.toNanos(5);
        ElectionSimulation sim = new ElectionSimulation(p, 42);
        for (ElectionSimulation.Node n : sim.nodes) sim.start(n);
        sim.runUntil(sim.now + TimeUnit.SECONDS.toNanos(10));
        assertThat(sim.holders()).containsExactly("n1");
        sim.crash(sim.nodes[0]);
        long crashed = sim.now;
        sim.runUntil(sim.now + TimeUnit.SECONDS.toNanos(10));
        assertThat(sim.holders()).containsExactly("n2");
        long tookMs = TimeUnit.NANOSECONDS.toMillis(sim.lastHolderChange - crashed);
        // Master down of n1 (priority 150) at 1 s: 3 s + 106/256 s ≈ 3414 ms after its last advert,
        // which went out up to one interval before the crash; then one advert round trip and the driver.
        assertThat(tookMs).isBetween(3414L - 1000, 3414L + 100);
        assertThat(sim.nodes[2].core.state(ElectionSimulation.VIP)).isEqualTo(VipState.BACKUP);
        assertThat(sim.violations).isEmpty();
    }

    @Test
    void cutOffMasterReleasesBeforeTheMajorityTakesOver() {
        ElectionSimulation.Params p = new ElectionSimulation.Params();
        p.priorities = new int[] {150, 100, 50};
        ElectionSimulation sim = new ElectionSimulation(p, 7);
        for (ElectionSimulation.Node n : sim.nodes) sim.start(n);
        sim.runUntil(sim.now + TimeUnit.SECONDS.toNanos(10));
        assertThat(sim.holders()).containsExactly("n1");
        long cut = sim.now;
        sim.partition(new boolean[] {true, false, false});
        sim.runUntil(sim.now + TimeUnit.SECONDS.toNanos(10));
        assertThat(sim.holders()).containsExactly("n2");
        // n1 released within its lease (2.5 s) and n2 added it after master-down (≈ 3.4 s).
        assertThat(sim.trace).hasSizeGreaterThanOrEqualTo(3);
        assertThat(sim.violations).isEmpty();
        assertThat(sim.nodes[0].core.state(ElectionSimulation.VIP)).isEqualTo(VipState.BACKUP);
        long epochMinority = sim.nodes[0].core.epoch(ElectionSimulation.VIP);
        sim.runUntil(sim.now + TimeUnit.SECONDS.toNanos(30));
        assertThat(sim.nodes[0].core.epoch(ElectionSimulation.VIP)).as("a minority never raises the epoch").isEqualTo(epochMinority);
        sim.heal();
        sim.runUntil(sim.now + TimeUnit.SECONDS.toNanos(15));
        assertThat(sim.holders()).as("n1 preempts back after the heal").containsExactly("n1");
        assertThat(sim.violations).isEmpty();
        assertThat(cut).isPositive();
    }

    private static ElectionSimulation settled(Duration interval, long seed) {
        ElectionSimulation.Params p = new ElectionSimulation.Params();
        p.interval = interval;
        p.priorities = new int[] {150, 100, 50};
        p.maxDelayNanos = TimeUnit.MILLISECONDS.toNanos(1);
        p.driverMaxNanos = TimeUnit.MILLISECONDS.toNanos(30);
        ElectionSimulation sim = new ElectionSimulation(p, seed);
        for (ElectionSimulation.Node n : sim.nodes) sim.start(n);
        sim.runUntil(sim.now + 20 * interval.toNanos());
        assertThat(sim.holders()).containsExactly("n1");
        return sim;
    }

    @Test
    void aStopTheWorldPauseOf300msOfTheMasterCausesNoFailoverAtTheDefaultInterval() {
        Duration interval = ClusterConfig.ADVERT_INTERVAL;
        // Every phase of the pause against the master's advert timer, 5 ms apart.
        for (long offset = 0; offset < interval.toMillis(); offset += 5) {
            ElectionSimulation sim = settled(interval, offset);
            sim.runUntil(sim.now + TimeUnit.MILLISECONDS.toNanos(offset));
            int changes = sim.holderChanges;
            long epoch = sim.nodes[0].core.epoch(ElectionSimulation.VIP);
            sim.pause(sim.nodes[0], TimeUnit.MILLISECONDS.toNanos(300));
            sim.runUntil(sim.now + 20 * interval.toNanos());
            assertThat(sim.holderChanges).as("holder changes after a pause at offset %d ms: %s", offset, sim.trace).isEqualTo(changes);
            assertThat(sim.nodes[0].core.epoch(ElectionSimulation.VIP)).as("no new election (offset %d ms)", offset).isEqualTo(epoch);
        }
    }

    @Test
    void aCrashedMasterIsReplacedWithinOneSecondByDefaultAndWithin400msAtA100msInterval() {
        for (Duration interval : List.of(ClusterConfig.ADVERT_INTERVAL, Duration.ofMillis(100))) {
            long worst = 0;
            for (long offset = 0; offset < interval.toMillis(); offset += 5) {
                ElectionSimulation sim = settled(interval, offset);
                sim.runUntil(sim.now + TimeUnit.MILLISECONDS.toNanos(offset));
                sim.crash(sim.nodes[0]);
                long crashed = sim.now;
                sim.runUntil(sim.now + 20 * interval.toNanos());
                assertThat(sim.holders()).containsExactly("n2");
                worst = Math.max(worst, sim.lastHolderChange - crashed);
            }
            // Master down (3 intervals + skew of priority 150), an advert round trip, the driver.
            long budget = interval.toMillis() == 100 ? 400 : 1000;
            assertThat(TimeUnit.NANOSECONDS.toMillis(worst)).as("worst takeover at %d ms adverts", interval.toMillis())
                    .isLessThanOrEqualTo(budget);
        }
    }
}
