package dev.cairn.replication.failover;

import dev.cairn.replication.failover.FailoverConfig.Durability;
import dev.cairn.replication.failover.FailoverConfig.Mode;
import dev.cairn.replication.failover.Observation.Node;
import dev.cairn.replication.failover.Observation.SemiSync;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * When to fail over, as a pure state machine in the style of etcd's raft: {@link #step} takes the
 * state and one event and returns the next state and the effects to carry out. The caller owns
 * all I/O and time (it probes, runs the promotion, calls hooks, and passes the clock in events),
 * so tests drive it through thousands of random schedules in simulated time.
 *
 * <p>An automatic failover starts only when {@code confirm} consecutive rounds say
 * {@code DeadPrimary}/{@code DeadPrimaryAndSomeReplicas} <em>and</em> the facts agree: Cairn
 * cannot reach the primary, it reaches at least one replica, and every replica it reaches has lost
 * the primary (IO thread not replicating). Anything else ({@code UnreachablePrimary}, a stopped
 * SQL thread, too many connections, a lock, Cairn losing every path) is never a failover.
 * It is then refused, and a human paged, when: automation is disabled (a failover failed or was
 * refused, until {@code ack}), the last failover is within {@code block_period} and was not
 * acknowledged, {@code max_per_hour} is reached, fewer than {@code min_replicas} replicas are
 * reachable, no replica is eligible, or — with {@code durability: lossless} — semi-sync was not
 * confirmed on in the last round the primary answered (it fell back to async, or is not set up).
 * With {@code lossless} it is also refused while a replica that may hold the only copy of an
 * acknowledged write does not answer ({@link #mayHoldAckedWrites}); that refusal pages once, does
 * not disable automation, and is re-checked every round, so the failover goes ahead once the
 * replica answers. An operator's {@code switchover --force} accepts the possible loss.
 *
 * <p>Immutable and thread-safe; one instance per cluster config.
 */
public final class FailoverDecision {

    private static final long HOUR_MS = 3_600_000L;
    /**
     * A replica whose IO thread was not replicating for this long before the primary failed is
     * "broken before the failure" (not promoted unless forced); shorter is a replica that was just
     * repointed or restarted, which the received-position ranking handles.
     */
    public static final long IO_BROKEN_GRACE_MS = 10_000;

    private final FailoverConfig cfg;

    public FailoverDecision(FailoverConfig cfg) {
        this.cfg = cfg;
    }

    public FailoverConfig config() {
        return cfg;
    }

    /** Where the decision stands. */
    public enum Phase {
        /** The primary is alive (or nothing suggests otherwise). */
        WATCHING,
        /** Rounds say the primary is dead; counting confirmations. */
        SUSPECT,
        /** A promotion was handed to the caller and has not finished. */
        RECOVERING
    }

    /**
     * The decision's state. {@code lastAlive} holds each node's facts in the last round the
     * primary answered (lag and IO state "at failure time"); {@code semiSync} the primary's
     * semi-sync state then.
     *
     * @param confirmations consecutive dead rounds for {@code suspect}
     * @param refusedFor the primary whose failure was already refused (reported once), or null
     * @param lastRecoveryAt when the last failover finished, -1 if never
     * @param acked an operator acknowledged since the last failover
     * @param disabled why automation is off until {@code ack}, or null
     * @param recoveries finish times of failovers in the last hour
     * @param ioDownSince since when each replica's IO thread has not been replicating while the
     *                    primary was alive (rounds in a row); a replica just repointed is not in it for long
     * @param heldBack why the confirmed failover of {@code suspect} is refused for now and re-checked
     *                 every round (lossless: a replica that may hold acknowledged writes is away), or null
     */
    public record State(Phase phase, String suspect, int confirmations, String refusedFor, long lastRecoveryAt,
                        boolean acked, String disabled, List<Long> recoveries, Map<String, Node> lastAlive,
                        SemiSync semiSync, long semiSyncSeenAt, Map<String, Long> ioDownSince, String heldBack) {

        public State {
            recoveries = List.copyOf(recoveries);
            lastAlive = Map.copyOf(lastAlive);
            ioDownSince = Map.copyOf(ioDownSince);
        }

        public static State initial() {
            return new State(Phase.WATCHING, null, 0, null, -1, true, null, List.of(), Map.of(),
                    SemiSync.NOT_CONFIGURED, -1, Map.of(), null);
        }

        State with(Phase p, String s, int c) {
            return new State(p, s, c, refusedFor, lastRecoveryAt, acked, disabled, recoveries, lastAlive, semiSync, semiSyncSeenAt, ioDownSince,
                    p == Phase.SUSPECT && java.util.Objects.equals(s, suspect) ? heldBack : null);
        }

        State holdBack(String why) {
            return new State(phase, suspect, confirmations, refusedFor, lastRecoveryAt, acked, disabled, recoveries, lastAlive, semiSync, semiSyncSeenAt, ioDownSince, why);
        }

        State refused(String primary) {
            return new State(phase, suspect, confirmations, primary, lastRecoveryAt, acked, disabled, recoveries, lastAlive, semiSync, semiSyncSeenAt, ioDownSince, heldBack);
        }

        State disable(String why) {
            return new State(phase, suspect, confirmations, refusedFor, lastRecoveryAt, acked, why, recoveries, lastAlive, semiSync, semiSyncSeenAt, ioDownSince, heldBack);
        }

        /** The part that outlives a reload: block period, max_per_hour, disabled until ack. */
        public Control control() {
            return new Control(lastRecoveryAt, acked, disabled, recoveries);
        }

        /** This state with {@code c}'s control part (the rest, per-round facts, unchanged). */
        public State withControl(Control c) {
            return new State(phase, suspect, confirmations, refusedFor, c.lastRecoveryAt(), c.acked(), c.disabled(),
                    c.recoveries(), lastAlive, semiSync, semiSyncSeenAt, ioDownSince, heldBack);
        }
    }

    /**
     * The decision's memory of past failovers, which a config reload (a new decision for a changed
     * cluster section) must not reset: when the last one finished, whether it was acknowledged,
     * why automation is disabled until ack, and the finish times counted by {@code max_per_hour}.
     */
    public record Control(long lastRecoveryAt, boolean acked, String disabled, List<Long> recoveries) {

        public static final Control NONE = new Control(-1, true, null, List.of());

        public Control {
            recoveries = List.copyOf(recoveries);
        }
    }

    /** Something that happened. */
    public sealed interface Event permits Observed, RecoveryFinished, Ack, Requested {
        long atMillis();
    }

    /** A probe round. */
    public record Observed(Observation observation) implements Event {
        @Override
        public long atMillis() {
            return observation.atMillis();
        }
    }

    /**
     * The promotion handed out by a {@link Promote} effect finished.
     *
     * @param uncounted it was {@link Requested} (the operator sees the result), or it changed
     *                  nothing because another Cairn node held the decision lease: it neither
     *                  blocks nor counts toward {@code max_per_hour}, and a failure does not
     *                  disable automation
     */
    public record RecoveryFinished(long atMillis, boolean ok, String detail, boolean uncounted) implements Event {
    }

    /** {@code cairn replication ack}: re-enables automation and lifts the block period. */
    public record Ack(long atMillis, String by) implements Event {
    }

    /**
     * An operator asks for a failover or switchover ({@code cairn replication switchover}).
     *
     * @param to the requested target, or null for the best candidate
     * @param force ignore the lag limit and pre-failure replication breaks
     * @param dryRun only plan
     */
    public record Requested(long atMillis, Observation observation, String to, boolean force, boolean dryRun)
            implements Event {
    }

    /** What the caller must do. */
    public sealed interface Effect permits Promote, Refuse, Note, PlanOnly {
    }

    /** Run this promotion, then send {@link RecoveryFinished}. */
    public record Promote(Plan plan) implements Effect {
    }

    /** A failover is needed and was refused: page a human (the {@code failed} hook, metric, status). */
    public record Refuse(String primary, String reason) implements Effect {
    }

    /** Something worth a log line. */
    public record Note(String message) implements Effect {
    }

    /** A dry run's plan: print it, change nothing. */
    public record PlanOnly(Plan plan) implements Effect {
    }

    /**
     * A promotion to carry out.
     *
     * @param planned a switchover (the old primary is alive and is demoted under the new one)
     * @param candidates eligible replicas, best first: the executor tries them in order
     * @param possibleLoss why acknowledged writes may be missing ({@code durability: available}, or an
     *                     operator's {@code --force}), or null
     */
    public record Plan(String oldPrimary, boolean planned, String reason, List<Node> candidates,
                       List<CandidateRanking.Skipped> skipped, String possibleLoss) {

        public Plan {
            candidates = List.copyOf(candidates);
            skipped = List.copyOf(skipped);
        }

        /** One line per fact, for {@code --dry-run} and the audit log. */
        public List<String> describe() {
            List<String> out = new ArrayList<>();
            out.add((planned ? "switchover" : "failover") + " of " + oldPrimary + ": " + reason);
            int i = 1;
            for (Node n : candidates) {
                out.add("candidate " + i++ + ": " + n.name() + " received " + n.received() + " applied " + n.applied());
            }
            for (CandidateRanking.Skipped s : skipped) {
                out.add("skipped " + s);
            }
            if (possibleLoss != null) {
                out.add("possible loss: " + possibleLoss);
            }
            return out;
        }
    }

    /** The next state and the effects, in order. */
    public record Step(State state, List<Effect> effects) {
        public Step {
            effects = List.copyOf(effects);
        }
    }

    /** Applies one event. */
    public Step step(State s, Event e) {
        if (e instanceof Observed o) {
            return observed(s, o.observation());
        }
        if (e instanceof RecoveryFinished f) {
            return finished(s, f);
        }
        if (e instanceof Ack a) {
            State n = new State(s.phase(), s.suspect(), s.confirmations(), null, s.lastRecoveryAt(), true, null,
                    s.recoveries(), s.lastAlive(), s.semiSync(), s.semiSyncSeenAt(), s.ioDownSince(), s.heldBack());
            return new Step(n, List.of(new Note("acknowledged by " + a.by() + ": automatic failover enabled again")));
        }
        return requested(s, (Requested) e);
    }

    /**
     * True when the round's facts agree the primary is dead: Cairn cannot reach it, reaches at
     * least one replica, and every replica it reaches has lost it. The analysis code alone is not
     * trusted for an irreversible action.
     */
    public static boolean deadByFacts(Observation o) {
        if (!o.primaryDead() || o.primary() == null) {
            return false;
        }
        Node p = o.node(o.primary()).orElse(null);
        if (p == null || p.reachable()) {
            return false;
        }
        List<Node> reached = o.nodes().stream().filter(n -> !n.name().equals(o.primary()) && n.reachable()).toList();
        return !reached.isEmpty() && reached.stream().noneMatch(n -> n.replica() && n.ioRunning());
    }

    private Step observed(State s, Observation o) {
        List<Effect> fx = new ArrayList<>();
        if (!deadByFacts(o)) {
            State n = s;
            Node p = o.primary() == null ? null : o.node(o.primary()).orElse(null);
            if (p != null && p.reachable()) {
                Map<String, Node> alive = new LinkedHashMap<>();
                Map<String, Long> ioDown = new LinkedHashMap<>();
                for (Node x : o.nodes()) {
                    // A node that does not answer keeps its last known facts (marked unreachable): a
                    // replica replicating when it went away may still be, and may acknowledge writes.
                    Node prev = s.lastAlive().get(x.name());
                    alive.put(x.name(), x.reachable() || prev == null ? x : prev.unreachable());
                    if (x.reachable() && x.replica() && !x.ioRunning()) {
                        ioDown.put(x.name(), s.ioDownSince().getOrDefault(x.name(), o.atMillis()));
                    }
                }
                n = new State(s.phase(), s.suspect(), s.confirmations(), null, s.lastRecoveryAt(), s.acked(),
                        s.disabled(), s.recoveries(), alive, p.semiSync(), o.atMillis(), ioDown, s.heldBack());
            }
            if (n.phase() == Phase.SUSPECT) {
                fx.add(new Note("primary " + n.suspect() + " no longer looks dead (" + o.analysis() + ")"));
                n = n.with(Phase.WATCHING, null, 0);
            }
            return new Step(n, fx);
        }
        if (s.phase() == Phase.RECOVERING || cfg.mode() == Mode.OFF) {
            return new Step(s, fx);
        }
        State n;
        if (s.phase() == Phase.SUSPECT && o.primary().equals(s.suspect())) {
            n = s.with(Phase.SUSPECT, s.suspect(), s.confirmations() + 1);
        } else {
            n = s.with(Phase.SUSPECT, o.primary(), 1);
            fx.add(new Note("primary " + o.primary() + " looks dead (" + o.analysis() + "), confirming over "
                    + cfg.confirm() + " rounds"));
        }
        if (n.confirmations() < cfg.confirm() || o.primary().equals(n.refusedFor())) {
            return new Step(n, fx);
        }
        Refusal refusal = refusal(n, o);
        if (refusal != null && refusal.rechecked()) {
            // Not final: the next round may find the away replica again. Paged once, not disabled.
            if (n.heldBack() == null) {
                fx.add(new Refuse(o.primary(), refusal.reason()));
            }
            return new Step(n.holdBack(refusal.reason()), fx);
        }
        if (refusal != null) {
            fx.add(new Refuse(o.primary(), refusal.reason()));
            State r = n.refused(o.primary());
            if (r.disabled() == null && cfg.mode() == Mode.AUTO) {
                r = r.disable("automatic failover of " + o.primary() + " refused: " + refusal.reason());
            }
            return new Step(r, fx);
        }
        CandidateRanking ranking = CandidateRanking.rank(o, o.primary(), n.lastAlive(), brokenBefore(n), cfg, false, null);
        String reason = o.analysis() + " confirmed over " + n.confirmations() + " rounds"
                + (n.heldBack() != null ? " (was refused until every replica that may hold acknowledged writes answered: they do now)" : "");
        Plan plan = new Plan(o.primary(), false, reason, ranking.eligible(), ranking.skipped(), possibleLoss(n, o));
        fx.add(new Promote(plan));
        return new Step(n.with(Phase.RECOVERING, o.primary(), n.confirmations()), fx);
    }

    /**
     * Why acknowledged writes may be missing on every candidate, or null: semi-sync was not
     * confirmed on when the primary last answered, or a replica that may hold the only copy of
     * an acknowledged write is away ({@link #mayHoldAckedWrites}).
     */
    static String possibleLoss(State s, Observation o) {
        if (s.semiSync() != SemiSync.ON) {
            return "semi-sync was " + s.semiSync().name().toLowerCase(java.util.Locale.ROOT)
                    + (s.semiSyncSeenAt() < 0 ? " (primary never seen alive)" : " when the primary last answered")
                    + ": writes acknowledged after the last replica ack may be missing";
        }
        List<String> away = mayHoldAckedWrites(s, o);
        if (!away.isEmpty()) {
            return "replica(s) " + away + " not reachable from this node and replicating when last seen: a write"
                    + " acknowledged by them alone just before the failure would be missing";
        }
        return null;
    }

    /**
     * The replicas this round does not reach that may hold the only copy of an acknowledged write.
     * With semi-sync one replica's ack commits a write (MariaDB waits for one), so the replica that
     * acknowledged the last writes may be exactly the one this node cannot see. Counted: every
     * replica that was replicating (IO thread connected) when last seen while the primary was
     * alive, and one whose IO thread had stopped less than {@link #IO_BROKEN_GRACE_MS} before the
     * last round the primary answered. Not counted: one broken for longer, since before the last
     * confirmed semi-sync ack ({@link #brokenBefore}), and one never seen replicating from this
     * primary (the old primary of an earlier failover, or a replica away since Cairn started).
     */
    static List<String> mayHoldAckedWrites(State s, Observation o) {
        java.util.Set<String> broken = brokenBefore(s);
        List<String> out = new ArrayList<>();
        for (Node n : o.nodes()) {
            if (n.name().equals(o.primary()) || n.reachable()) {
                continue;
            }
            Node before = s.lastAlive().get(n.name());
            if (before == null || (before.replica() && (before.ioRunning() || !broken.contains(n.name())))) {
                out.add(n.name());
            }
        }
        return out;
    }

    /**
     * A refusal; {@code rechecked}: it may clear by itself (an away replica answers again), so it
     * is re-evaluated every round and does not disable automation.
     */
    private record Refusal(String reason, boolean rechecked) {
    }

    /** Why a confirmed dead primary may not be replaced automatically now, or null. */
    private Refusal refusal(State s, Observation o) {
        long now = o.atMillis();
        if (cfg.mode() == Mode.MANUAL) {
            return new Refusal("failover.mode is manual: run `cairn replication switchover CLUSTER` to promote a replica", false);
        }
        if (s.disabled() != null) {
            return new Refusal("automation is disabled until `cairn replication ack`: " + s.disabled(), false);
        }
        if (s.lastRecoveryAt() >= 0 && !s.acked() && now - s.lastRecoveryAt() < cfg.blockPeriod().toMillis()) {
            return new Refusal("blocked: the last failover was " + (now - s.lastRecoveryAt()) / 1000 + "s ago, inside block_period "
                    + cfg.blockPeriod().toSeconds() + "s; `cairn replication ack` lifts it", false);
        }
        long inHour = s.recoveries().stream().filter(t -> now - t < HOUR_MS).count();
        if (inHour >= cfg.maxPerHour()) {
            return new Refusal("max_per_hour " + cfg.maxPerHour() + " reached", false);
        }
        if (cfg.durability() == Durability.LOSSLESS && s.semiSync() != SemiSync.ON) {
            return new Refusal("durability lossless and semi-sync was " + s.semiSync().name().toLowerCase(java.util.Locale.ROOT)
                    + (s.semiSyncSeenAt() < 0 ? " (the primary was never seen alive)" : " when the primary last answered")
                    + ": acknowledged writes may exist only on the dead primary", false);
        }
        if (cfg.durability() == Durability.LOSSLESS) {
            List<String> away = mayHoldAckedWrites(s, o);
            if (!away.isEmpty()) {
                return new Refusal("durability lossless and replica(s) " + away + " do not answer: one replica's ack commits"
                        + " a write, so they may hold the only copy of the last acknowledged writes; refused until they answer"
                        + " (re-checked every round), or `cairn replication switchover CLUSTER --force` accepts the loss", true);
            }
        }
        long reachable = o.nodes().stream().filter(x -> !x.name().equals(o.primary()) && x.reachable()).count();
        if (reachable < cfg.minReplicas()) {
            return new Refusal(reachable + " replica(s) reachable, min_replicas is " + cfg.minReplicas(), false);
        }
        CandidateRanking r = CandidateRanking.rank(o, o.primary(), s.lastAlive(), brokenBefore(s), cfg, false, null);
        if (r.eligible().isEmpty()) {
            return new Refusal("no replica may be promoted: " + r.skipped(), false);
        }
        return null;
    }

    /** Replicas whose IO thread was down for {@link #IO_BROKEN_GRACE_MS} up to the last alive round. */
    static java.util.Set<String> brokenBefore(State s) {
        java.util.Set<String> out = new java.util.HashSet<>();
        s.ioDownSince().forEach((node, since) -> {
            if (s.semiSyncSeenAt() - since >= IO_BROKEN_GRACE_MS) out.add(node);
        });
        return out;
    }

    private Step finished(State s, RecoveryFinished f) {
        if (s.phase() != Phase.RECOVERING) {
            return new Step(s, List.of(new Note("a recovery finished while none was running: ignored")));
        }
        List<Long> recent = new ArrayList<>();
        for (Long t : s.recoveries()) {
            if (f.atMillis() - t < HOUR_MS) {
                recent.add(t);
            }
        }
        List<Effect> fx = new ArrayList<>();
        if (f.uncounted()) {
            // A promotion that did not happen (no lease, or an operator's that failed) changed no
            // topology: what was known of the primary before it failed still holds, and the next
            // attempt must not read "semi-sync never seen" from a forgotten state.
            State n = f.ok()
                    ? new State(Phase.WATCHING, null, 0, null, s.lastRecoveryAt(), s.acked(), s.disabled(), recent,
                            Map.of(), SemiSync.NOT_CONFIGURED, -1, Map.of(), null)
                    : new State(Phase.WATCHING, null, 0, null, s.lastRecoveryAt(), s.acked(), s.disabled(), recent,
                            s.lastAlive(), s.semiSync(), s.semiSyncSeenAt(), s.ioDownSince(), null);
            fx.add(new Note("promotion away from " + s.suspect() + " (not counted: operator request or no lease) "
                    + (f.ok() ? "done: " : "failed: ") + f.detail()));
            return new Step(n, fx);
        }
        recent.add(f.atMillis());
        String disabled = f.ok() ? s.disabled() : "failover of " + s.suspect() + " failed: " + f.detail();
        State n = new State(Phase.WATCHING, null, 0, null, f.atMillis(), false, disabled, recent, Map.of(),
                SemiSync.NOT_CONFIGURED, -1, Map.of(), null);
        if (f.ok()) {
            fx.add(new Note("failover of " + s.suspect() + " done: " + f.detail()));
        } else {
            fx.add(new Refuse(s.suspect(), "failover failed, automation disabled until `cairn replication ack`: " + f.detail()));
        }
        return new Step(n, fx);
    }

    private Step requested(State s, Requested r) {
        Observation o = r.observation();
        if (s.phase() == Phase.RECOVERING) {
            return new Step(s, List.of(new Note("refused: a recovery of this cluster is already running")));
        }
        if (cfg.mode() == Mode.OFF) {
            return new Step(s, List.of(new Note("refused: failover.mode is off for this cluster")));
        }
        if (o.primary() == null) {
            return new Step(s, List.of(new Note("refused: no primary is known for this cluster")));
        }
        boolean alive = o.node(o.primary()).map(Node::reachable).orElse(false);
        if (!alive && !deadByFacts(o)) {
            return new Step(s, List.of(new Note("refused: primary " + o.primary()
                    + " is unreachable from Cairn but its replicas still replicate from it (" + o.analysis() + ")")));
        }
        Map<String, Node> before = alive ? Map.of() : s.lastAlive();
        CandidateRanking ranking = CandidateRanking.rank(o, o.primary(), before, alive ? java.util.Set.of() : brokenBefore(s), cfg, r.force(), r.to());
        String loss = alive ? null : possibleLoss(s, o);
        Plan plan = new Plan(o.primary(), alive, alive ? "switchover requested" : "failover requested (primary dead)",
                ranking.eligible(), ranking.skipped(), loss);
        if (r.dryRun()) {
            return new Step(s, List.of(new PlanOnly(plan)));
        }
        if (ranking.eligible().isEmpty()) {
            return new Step(s, List.of(new Note("refused: no replica may be promoted: " + ranking.skipped())));
        }
        if (loss != null && cfg.durability() == Durability.LOSSLESS && !r.force()) {
            return new Step(s, List.of(new Note("refused: durability lossless and " + loss
                    + "; --force promotes anyway and records the possible loss")));
        }
        return new Step(s.with(Phase.RECOVERING, o.primary(), s.confirmations()), List.of(new Promote(plan)));
    }
}
