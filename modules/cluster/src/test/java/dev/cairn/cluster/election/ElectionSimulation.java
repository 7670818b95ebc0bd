package dev.cairn.cluster.election;

import dev.cairn.cluster.ClusterConfig;
import dev.cairn.cluster.DriverConfig;
import dev.cairn.cluster.NodeConfig;
import dev.cairn.cluster.QuorumMode;
import dev.cairn.cluster.VipConfig;
import dev.cairn.cluster.advert.Advert;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * A cluster of {@link ElectionCore}s in simulated time: a discrete-event loop with a network
 * that delays, drops, reorders, duplicates and replays adverts and can be cut (also one way),
 * nodes that crash (host gone: its addresses with it) and restart with a fresh state, pause
 * (stop-the-world: events wait), and a VIP driver whose add and remove take time, one at a
 * time per node, like the real driver thread. It records every moment two nodes have the
 * address configured. No thread, no sleep: a run of a minute of cluster time takes milliseconds.
 */
final class ElectionSimulation {

    static final String VIP = "10.99.9.100/24";
    /** Simulated time starts here (monotonic nanos); the wall clock is derived from it. */
    static final long T0 = TimeUnit.SECONDS.toNanos(1000);
    static final long WALL0_MILLIS = 1_790_000_000_000L;
    /** -Dsim.verbose=true: every advert sent goes into the trace (for replaying one seed). */
    static final boolean VERBOSE = Boolean.getBoolean("sim.verbose");

    /** Knobs of one run. */
    static final class Params {
        int nodes = 3;
        QuorumMode quorum = QuorumMode.MAJORITY;
        Duration interval = Duration.ofSeconds(1);
        boolean preempt = true;
        Duration preemptDelay = Duration.ZERO;
        int[] priorities;
        long minDelayNanos = TimeUnit.MICROSECONDS.toNanos(100);
        long maxDelayNanos = TimeUnit.MILLISECONDS.toNanos(20);
        double dropRate;
        double duplicateRate;
        long driverMinNanos = TimeUnit.MILLISECONDS.toNanos(2);
        long driverMaxNanos = TimeUnit.MILLISECONDS.toNanos(60);
    }

    private record Scheduled(long at, long order, Runnable what) {
    }

    final class Node {
        final int id;
        final String name;
        ElectionCore core;
        boolean up;
        int incarnation;
        long pausedUntil;
        long driverFreeAt;
        /** The address is configured on this node's interface (driver done adding, not yet done removing). */
        boolean hasAddress;

        Node(int id) {
            this.id = id;
            this.name = "n" + (id + 1);
        }

        boolean paused() {
            return now < pausedUntil;
        }
    }

    final Params p;
    final Random rnd;
    final ClusterConfig cfg;
    final Node[] nodes;
    /** blocked[i][j]: packets from i to j are lost. */
    final boolean[][] blocked;
    private final PriorityQueue<Scheduled> queue = new PriorityQueue<>((a, b) -> a.at != b.at
            ? Long.compare(a.at, b.at) : Long.compare(a.order, b.order));
    private long order;
    long now = T0;
    final List<String> violations = new ArrayList<>();
    /** Every (time, holder set) change, for the failure message and the liveness checks. */
    final List<String> trace = new ArrayList<>();
    long lastHolderChange = T0;
    int holderChanges;
    long steps;

    ElectionSimulation(Params p, long seed) {
        this.p = p;
        this.rnd = new Random(seed);
        List<NodeConfig> ns = new ArrayList<>();
        for (int i = 0; i < p.nodes; i++) {
            int prio = p.priorities != null ? p.priorities[i] : 1 + rnd.nextInt(254);
            ns.add(new NodeConfig("n" + (i + 1), "10.99.0." + (11 + i), prio, 0));
        }
        this.cfg = new ClusterConfig("sim", ns, null, 5798, List.of(new VipConfig(VIP, "eth0", List.of(), null)),
                p.interval, p.preempt, p.preemptDelay, List.of(), p.quorum, null,
                new DriverConfig(DriverConfig.DriverType.NONE, null, null, 0, Duration.ZERO, Duration.ZERO, Duration.ofSeconds(10)),
                List.of());
        this.nodes = new Node[p.nodes];
        this.blocked = new boolean[p.nodes][p.nodes];
        for (int i = 0; i < p.nodes; i++) nodes[i] = new Node(i);
    }

    long wall() {
        return WALL0_MILLIS + TimeUnit.NANOSECONDS.toMillis(now - T0);
    }

    long tickNanos() {
        long interval = p.interval.toNanos();
        return Math.max(TimeUnit.MILLISECONDS.toNanos(5), Math.min(interval / 10, TimeUnit.MILLISECONDS.toNanos(50)));
    }

    void at(long time, Runnable r) {
        queue.add(new Scheduled(Math.max(time, now), order++, r));
    }

    /** Runs events until {@code until} (inclusive). */
    void runUntil(long until) {
        while (!queue.isEmpty() && queue.peek().at <= until) {
            Scheduled s = queue.poll();
            now = s.at;
            s.what.run();
        }
        now = Math.max(now, until);
    }

    // ---------------------------------------------------------------- nodes

    void start(Node n) {
        if (n.up) return;
        n.up = true;
        n.incarnation++;
        n.hasAddress = false;
        n.pausedUntil = 0;
        n.driverFreeAt = now;
        n.core = new ElectionCore(cfg, n.name, () -> "same", now, wall());
        int inc = n.incarnation;
        perform(n, n.core.step(new Event.Tick(now, wall(), Event.Tick.NEVER)));
        scheduleTick(n, inc);
    }

    /** The host dies: no shutdown advert, its address disappears with it, pending work is lost. */
    void crash(Node n) {
        if (!n.up) return;
        trace.add(String.format("t=%.3fs %s crashes", (now - T0) / 1e9, n.name));
        n.up = false;
        n.incarnation++;
        if (n.hasAddress) {
            n.hasAddress = false;
            holdersChanged();
        }
    }

    /** Stop-the-world for {@code nanos}: nothing runs on the node, its packets queue up. */
    void pause(Node n, long nanos) {
        if (n.up) n.pausedUntil = Math.max(n.pausedUntil, now + nanos);
        trace.add(String.format("t=%.3fs %s paused for %d ms", (now - T0) / 1e9, n.name, nanos / 1_000_000));
    }

    private void scheduleTick(Node n, int inc) {
        long tick = tickNanos();
        long next = Math.min(now + tick, Math.max(now + 1, n.core.nextAdvertNanos()));
        next += rnd.nextInt((int) Math.max(1, tick / 5)); // scheduler jitter
        at(next, () -> onTick(n, inc));
    }

    private void onTick(Node n, int inc) {
        if (!n.up || n.incarnation != inc) return;
        if (n.paused()) {
            at(n.pausedUntil, () -> onTick(n, inc));
            return;
        }
        step(n, new Event.Tick(now, wall(), Event.Tick.NEVER));
        scheduleTick(n, inc);
    }

    private void step(Node n, Event e) {
        steps++;
        perform(n, n.core.step(e));
    }

    private void perform(Node n, List<Effect> effects) {
        int inc = n.incarnation;
        for (Effect e : effects) {
            if (e instanceof Effect.SendAdvert s) {
                if (VERBOSE) trace.add(String.format("t=%.4fs %s sends %s acks %s", (now - T0) / 1e9, n.name, s.advert().vips(), s.advert().acks()));
                for (Node to : nodes) {
                    if (to != n) send(n, to, s.advert());
                }
            } else if (e instanceof Effect.AddVip) {
                driver(n, inc, () -> {
                    n.hasAddress = true;
                    holdersChanged();
                }, () -> { });
            } else if (e instanceof Effect.RemoveVip r) {
                driver(n, inc, () -> {
                    if (n.hasAddress) {
                        n.hasAddress = false;
                        holdersChanged();
                    }
                }, () -> step(n, new Event.Released(r.vip().key())));
            } else if (e instanceof Effect.AnnounceVip) {
                driver(n, inc, () -> { }, () -> { });
            } else if (e instanceof Effect.StateChanged c) {
                trace.add(String.format("t=%.3fs %s %s -> %s (%s, epoch %d)", (now - T0) / 1e9, n.name, c.from(), c.to(),
                        c.reason(), c.epoch()));
            }
        }
    }

    /**
     * The driver thread: one command at a time, each taking a random while. A command the node
     * has started ({@code ip addr del} spawned) completes in the kernel even if the JVM then
     * pauses; only the node's reaction (the next command, the Released event) waits for the
     * pause to end. A command due while the node is paused starts after the pause.
     */
    private void driver(Node n, int inc, Runnable kernel, Runnable reaction) {
        long start = Math.max(now, n.driverFreeAt);
        long took = p.driverMinNanos + (long) (rnd.nextDouble() * (p.driverMaxNanos - p.driverMinNanos));
        n.driverFreeAt = start + took;
        at(start, () -> begin(n, inc, took, kernel, reaction));
    }

    private void begin(Node n, int inc, long took, Runnable kernel, Runnable reaction) {
        if (!n.up || n.incarnation != inc) return;
        if (n.paused()) {
            n.driverFreeAt = Math.max(n.driverFreeAt, n.pausedUntil + took);
            at(n.pausedUntil, () -> begin(n, inc, took, kernel, reaction));
            return;
        }
        at(now + took, () -> {
            if (!n.up || n.incarnation != inc) return;
            kernel.run();
            if (n.paused()) {
                at(n.pausedUntil, () -> {
                    if (n.up && n.incarnation == inc) reaction.run();
                });
            } else {
                reaction.run();
            }
        });
    }

    private void send(Node from, Node to, Advert a) {
        if (blocked[from.id][to.id]) return;
        if (p.dropRate > 0 && rnd.nextDouble() < p.dropRate) return;
        deliver(to, a, now + delay());
        if (p.duplicateRate > 0 && rnd.nextDouble() < p.duplicateRate) {
            // A copy (or an attacker's replay) arriving much later, after newer adverts.
            deliver(to, a, now + delay() + (long) (rnd.nextDouble() * 5 * p.interval.toNanos()));
        }
    }

    private long delay() {
        return p.minDelayNanos + (long) (rnd.nextDouble() * (p.maxDelayNanos - p.minDelayNanos));
    }

    private void deliver(Node to, Advert a, long at) {
        int inc = to.incarnation;
        at(at, () -> receive(to, inc, a));
    }

    private void receive(Node to, int inc, Advert a) {
        // A packet to a node that is down (or restarted since: a new socket) is lost.
        if (!to.up || to.incarnation != inc) return;
        if (to.paused()) {
            at(to.pausedUntil, () -> receive(to, inc, a));
            return;
        }
        step(to, new Event.Received(a, now, wall()));
        step(to, new Event.Tick(now, wall(), Event.Tick.NEVER)); // the loop evaluates after every packet
    }

    // ---------------------------------------------------------------- network

    void heal() {
        for (boolean[] row : blocked) java.util.Arrays.fill(row, false);
    }

    /** Cuts every link between {@code group} and the rest, both ways. */
    void partition(boolean[] group) {
        for (int i = 0; i < nodes.length; i++) {
            for (int j = 0; j < nodes.length; j++) {
                if (group[i] != group[j]) blocked[i][j] = true;
            }
        }
    }

    // ---------------------------------------------------------------- observations

    List<String> holders() {
        List<String> h = new ArrayList<>();
        for (Node n : nodes) if (n.hasAddress) h.add(n.name);
        return h;
    }

    private void holdersChanged() {
        List<String> h = holders();
        lastHolderChange = now;
        holderChanges++;
        String line = String.format("t=%.3fs holders=%s", (now - T0) / 1e9, h);
        trace.add(line);
        if (h.size() > 1) violations.add(line);
    }

    /** Nodes up and mutually connected (both ways, not paused), as a largest set found greedily. */
    int connectedUp() {
        int best = 0;
        for (Node a : nodes) {
            if (!a.up) continue;
            int c = 0;
            for (Node b : nodes) {
                if (b.up && (a == b || (!blocked[a.id][b.id] && !blocked[b.id][a.id]))) c++;
            }
            best = Math.max(best, c);
        }
        return best;
    }
}
