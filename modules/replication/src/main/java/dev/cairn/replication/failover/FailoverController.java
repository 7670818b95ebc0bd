package dev.cairn.replication.failover;

import dev.cairn.replication.failover.FailoverDecision.Effect;
import dev.cairn.replication.failover.FailoverDecision.Event;
import dev.cairn.replication.failover.FailoverDecision.Note;
import dev.cairn.replication.failover.FailoverDecision.PlanOnly;
import dev.cairn.replication.failover.FailoverDecision.Promote;
import dev.cairn.replication.failover.FailoverDecision.Refuse;
import dev.cairn.replication.failover.FailoverDecision.State;
import dev.cairn.replication.ReplicationErrors;
import dev.cairn.replication.topology.TopologySnapshot;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The failover of one cluster, running: the thin loop around {@link FailoverDecision}. The
 * monitor hands it every {@link TopologySnapshot} ({@link #accept}); it owns one thread
 * ({@code cairn-failover-CLUSTER}) on which every decision step, promotion and operator action
 * runs in turn, so the decision sees one event at a time and one recovery per cluster runs at a
 * time in this process; the {@link DecisionLease} extends that to every Cairn node. Rounds that
 * arrive while a promotion runs are dropped but the newest (the decision ignores them anyway).
 *
 * <p>Each round it also reads the epoch record the servers hold ({@link EpochRecord}): the
 * monitor's publisher takes that epoch and leaves out any writable node the record does not
 * name, so every Cairn node publishes the same primary and an old primary that comes back
 * writable stays fenced. On the same connections it reads every server's copy of the control
 * state ({@link ControlRecord}: block period, max_per_hour, disabled until ack), merges them into
 * the {@link FailoverHistory}, and writes a change to every server it reaches, so a restarted node
 * and every other Cairn node decide on the same control state; an ack another node stored is
 * applied here as an ack. {@link #close()} stops the thread and waits for a running promotion.
 */
public final class FailoverController implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger("cairn.replication.failover");
    /** How long {@link #close()} waits for a running promotion. */
    static final java.time.Duration CLOSE_TIMEOUT = java.time.Duration.ofSeconds(120);

    private final String cluster;
    private final FailoverDecision decision;
    private final List<NodeSql> nodes;
    private final PrimaryPublisher publisher;
    private final FailoverMetrics metrics;
    private final Clock clock;
    private final String replPassword;
    private final java.nio.file.Path hookDir;
    private final ExecutorService loop;
    private final ExecutorService hooks;
    private final Observations observations = new Observations();
    private final AtomicReference<TopologySnapshot> pending = new AtomicReference<>();
    private final Set<String> staleFenced = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final FailoverHistory history;
    /** Nodes a control copy could not be written to (warned once until a write works again). */
    private final Set<String> storeWarned = java.util.concurrent.ConcurrentHashMap.newKeySet();
    /** Another Cairn node's ack was merged from the servers this round: applied as an ack here. */
    private boolean remoteAck;
    /** Who writes the control copies (the written_by column): this host and process. */
    private static final String WRITER = writer();
    private volatile State state;
    private volatile Observation last;
    private volatile EpochRecord epoch;
    private volatile Promotion.Result lastResult;
    private final List<String> notes = new ArrayList<>();
    private volatile List<String> warnings = List.of();
    private boolean checked;

    /**
     * @param nodes the cluster's nodes in config order
     * @param replPassword the replication account's password, or null when not configured
     */
    public FailoverController(String cluster, FailoverConfig cfg, List<NodeSql> nodes, PrimaryPublisher publisher,
                              FailoverMetrics metrics, Clock clock, String replPassword, java.nio.file.Path hookDir) {
        this(cluster, cfg, nodes, publisher, metrics, clock, replPassword, hookDir, new FailoverHistory());
    }

    /**
     * @param history what this cluster's previous controller (before a reload) remembered; this
     *                controller reads and updates it
     */
    public FailoverController(String cluster, FailoverConfig cfg, List<NodeSql> nodes, PrimaryPublisher publisher,
                              FailoverMetrics metrics, Clock clock, String replPassword, java.nio.file.Path hookDir,
                              FailoverHistory history) {
        this.history = history;
        this.state = State.initial().withControl(history.control());
        this.lastResult = history.lastResult().orElse(null);
        this.hookDir = hookDir;
        this.cluster = cluster;
        this.decision = new FailoverDecision(cfg);
        this.nodes = List.copyOf(nodes);
        this.publisher = publisher;
        this.metrics = metrics;
        this.clock = clock;
        this.replPassword = replPassword;
        this.loop = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "cairn-failover-" + cluster);
            t.setDaemon(true);
            return t;
        });
        this.hooks = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "cairn-failover-hooks-" + cluster);
            t.setDaemon(true);
            return t;
        });
        metrics.declare(cluster);
    }

    public String cluster() {
        return cluster;
    }

    public FailoverConfig config() {
        return decision.config();
    }

    /** A new snapshot from the monitor (its loop thread): queued, never blocks. */
    public void accept(TopologySnapshot s) {
        if (pending.getAndSet(s) == null) {
            try {
                loop.submit(this::round);
            } catch (java.util.concurrent.RejectedExecutionException closed) {
                pending.set(null);
            }
        }
    }

    private void round() {
        TopologySnapshot s = pending.getAndSet(null);
        if (s == null) {
            return;
        }
        try {
            Observation o = observations.from(s);
            last = o;
            metrics.writablePrimaries.labelValues(cluster).set(o.nodes().stream()
                    .filter(n -> n.reachable() && !n.replica() && !n.readOnly()).count());
            guard(o);
            EpochRecord e = epoch;
            if (o.primary() != null && e != null && !o.primary().equals(e.primary()) && staleFenced.contains(o.primary())) {
                // A round that still takes the fenced old primary for the primary (probed while the
                // promotion ran): that node's death is no reason to act, nor its state a fact to keep.
                return;
            }
            if (!checked && o.primary() != null && o.node(o.primary()).map(Observation.Node::reachable).orElse(false)) {
                checked = true;
                checkSafety();
            }
            if (remoteAck) {
                remoteAck = false;
                apply(new FailoverDecision.Ack(o.atMillis(), "another Cairn node (stored in " + ControlRecord.TABLE + ")"));
            }
            apply(new FailoverDecision.Observed(o));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            LOG.warn("replication cluster {}: failover round failed: {}", cluster, e.toString(), e);
            publisher.fences().ready(); // a failing round must not keep the primary unpublished for good
        }
    }

    /**
     * Applies the servers' epoch record to the monitor's publisher: its epoch, and a fence on
     * every writable node it does not name (lifted once that node is a read-only replica).
     */
    private void guard(Observation o) {
        try {
            applyEpochRecord(o);
        } finally {
            publisher.fences().ready();
        }
    }

    private void applyEpochRecord(Observation o) {
        EpochRecord newest = null;
        Map<String, Optional<ControlRecord>> copies = new LinkedHashMap<>();
        for (Observation.Node n : o.nodes()) {
            if (!n.reachable()) {
                continue;
            }
            Optional<EpochRecord> r;
            try (Connection c = sql(n.name()).open()) {
                r = EpochRecord.read(c, cluster);
                copies.put(n.name(), ControlRecord.read(c, cluster));
            } catch (SQLException | RuntimeException e) {
                continue; // away this round: neither its epoch nor its control copy counts
            }
            if (r.isPresent() && (newest == null || r.get().epoch() > newest.epoch())) {
                newest = r.get();
            }
        }
        syncControl(copies);
        EpochRecord known = epoch;
        if (newest == null || (known != null && newest.epoch() < known.epoch())) {
            // Only the servers Cairn reaches now count: one holding the newest record may be away
            // this round, and the epoch never goes back.
            newest = known;
        }
        if (newest == null) {
            return;
        }
        epoch = newest;
        publisher.fences().epoch(newest.epoch());
        metrics.epoch.labelValues(cluster).set(newest.epoch());
        for (Observation.Node n : o.nodes()) {
            boolean writable = n.reachable() && !n.replica() && !n.readOnly();
            if (writable && !n.name().equals(newest.primary())) {
                if (staleFenced.add(n.name())) {
                    note(ReplicationErrors.OLD_PRIMARY_FENCED.id() + " FENCED " + n.name() + ": writable but epoch " + newest.epoch() + " names " + newest.primary()
                            + " (an old primary back from the dead; `cairn replication rejoin " + cluster + " " + n.name() + "`)");
                }
                publisher.fences().fence(n.name());
            } else if (n.reachable() && n.replica() && n.readOnly() && staleFenced.remove(n.name())) {
                publisher.fences().unfence(n.name());
                note(n.name() + " is a read-only replica again: fence lifted");
            }
        }
    }

    /**
     * Merges the control copies the servers hold ({@link ControlRecord}) into this node's, and
     * writes the merged one to every server whose copy differs (one that was away, or never had
     * one). An ack that another Cairn node stored is applied as an ack here.
     */
    private void syncControl(Map<String, Optional<ControlRecord>> copies) {
        ControlRecord before = history.record();
        ControlRecord merged = before;
        for (Optional<ControlRecord> c : copies.values()) {
            if (c.isPresent()) {
                merged = merged.merge(c.get());
            }
        }
        merged = history.merge(merged);
        if (merged.changedAt() > before.changedAt() && merged.acked() && merged.disabled() == null
                && (!before.acked() || before.disabled() != null)) {
            remoteAck = true;
        }
        if (merged.equals(ControlRecord.NONE)) {
            return;
        }
        for (Map.Entry<String, Optional<ControlRecord>> e : copies.entrySet()) {
            if (!e.getValue().equals(Optional.of(merged))) {
                store(sql(e.getKey()), merged);
            }
        }
    }

    /** Writes the control copy to every node the last round reached; returns on how many it is. */
    private int storeControl(ControlRecord r) {
        Observation o = last;
        int ok = 0;
        for (NodeSql n : nodes) {
            boolean reachable = o == null || o.node(n.name()).map(Observation.Node::reachable).orElse(false);
            if (reachable && store(n, r)) {
                ok++;
            }
        }
        return ok;
    }

    private boolean store(NodeSql n, ControlRecord r) {
        try (Connection c = n.open()) {
            r.write(c, cluster, WRITER);
            storeWarned.remove(n.name());
            return true;
        } catch (SQLException e) {
            if (storeWarned.add(n.name())) {
                LOG.warn("replication cluster {}: {} cannot store the failover control state on {} ({}): {}", cluster,
                        ReplicationErrors.CONTROL_NOT_STORED.id(), n.name(), n.address(), e.getMessage());
            }
            return false;
        }
    }

    private NodeSql sql(String name) {
        return nodes.stream().filter(x -> x.name().equals(name)).findFirst().orElseThrow();
    }

    /**
     * Checks the servers' settings the failover depends on ({@link SafetyCheck}), logs each problem
     * as a warning and keeps them for status. Runs once the primary first answers.
     */
    public List<String> checkSafety() {
        Observation o = last;
        List<String> w = new ArrayList<>();
        boolean lossless = decision.config().durability() == FailoverConfig.Durability.LOSSLESS;
        for (NodeSql n : nodes) {
            w.addAll(SafetyCheck.check(n, o != null && n.name().equals(o.primary()), lossless));
        }
        for (String x : w) {
            LOG.warn("replication cluster {}: {}", cluster, x);
        }
        warnings = List.copyOf(w);
        return warnings;
    }

    /** Runs one event through the decision and carries out its effects (on the loop thread). */
    private void apply(Event e) throws InterruptedException {
        // The history is the truth for the control part: during a reload the previous controller
        // may still be finishing a promotion and record it there.
        FailoverDecision.Step step = decision.step(state.withControl(history.control()), e);
        state = step.state();
        history.update(state.control(), e.atMillis()).ifPresent(this::storeControl);
        for (Effect fx : step.effects()) {
            if (fx instanceof Note n) {
                note(n.message());
            } else if (fx instanceof Refuse r) {
                boolean failed = r.reason().startsWith("failover failed");
                note((failed ? ReplicationErrors.FAILOVER_FAILED : ReplicationErrors.FAILOVER_REFUSED).id()
                        + " REFUSED failover of " + r.primary() + ": " + r.reason());
                metrics.finished(cluster, "refused", clock.millis(), 0);
                failedHooks(r.primary(), r.reason());
            } else if (fx instanceof PlanOnly p) {
                p.plan().describe().forEach(l -> note("dry run: " + l));
            } else if (fx instanceof Promote p) {
                boolean byOperator = e instanceof FailoverDecision.Requested;
                Promotion.Result r = promote(p.plan());
                boolean noLease = !r.ok() && r.audit().stream().anyMatch(a -> a.step().equals("lease"));
                if (noLease) {
                    // Nothing was done: the last failover (status, audit log) stays the last real one.
                    note(r.detail());
                } else {
                    lastResult = r;
                    history.lastResult(r);
                }
                if (r.ok()) {
                    // Known at once (not only from the next round's epoch read): a rejoin right after
                    // the promotion must follow the new primary.
                    epoch = storedEpoch(sql(r.newPrimary()), cluster).filter(x -> x.epoch() == r.epoch())
                            .orElse(new EpochRecord(cluster, r.epoch(), r.newPrimary(), GtidPosition.parse("")));
                }
                // Without the lease nothing was changed and another Cairn node may be acting: this is
                // neither a failover to block on nor a failure to disable automation for, and it
                // counts as refused (this node may not act), not failed.
                metrics.finished(cluster, r.ok() ? "success" : noLease ? "refused" : "failed", clock.millis(),
                        r.durationMillis() / 1000.0);
                if (r.ok()) {
                    metrics.epoch.labelValues(cluster).set(r.epoch());
                    if (!p.plan().planned()) {
                        staleFenced.add(p.plan().oldPrimary());
                    }
                }
                apply(new FailoverDecision.RecoveryFinished(clock.millis(), r.ok(), r.detail(), byOperator || noLease));
                if (!r.ok() && byOperator) {
                    failedHooks(p.plan().oldPrimary(), r.detail());
                }
            }
        }
    }

    private Promotion.Result promote(FailoverDecision.Plan plan) throws InterruptedException {
        List<NodeSql> voters = plan.planned() ? nodes
                : nodes.stream().filter(n -> !n.name().equals(plan.oldPrimary())).toList();
        try (DecisionLease lease = DecisionLease.acquire(cluster, voters)) {
            note("decision lease held on " + lease.grantedBy());
            String meanwhile = actedMeanwhile(plan, lease.grantedBy());
            if (meanwhile != null) {
                AuditLog a = new AuditLog(cluster, clock);
                a.add("lease", "held, but the plan is stale: " + meanwhile);
                return new Promotion.Result(false, plan.oldPrimary(), null, publisher.epoch(),
                        "not promoted: " + meanwhile, a.entries(), 0, 0);
            }
            Map<String, NodeSql> byName = new LinkedHashMap<>();
            nodes.forEach(n -> byName.put(n.name(), n));
            return new Promotion(cluster, decision.config(), byName, publisher, clock, replPassword, hookDir).run(plan);
        } catch (DecisionLease.NoMajorityException ex) {
            AuditLog a = new AuditLog(cluster, clock);
            a.add("lease", ex.getMessage());
            return new Promotion.Result(false, plan.oldPrimary(), null, publisher.epoch(),
                    "not promoted: " + ex.getMessage(), a.entries(), 0, 0);
        }
    }

    /**
     * Under the lease, before anything changes: whether another Cairn node acted since this
     * node's plan was made from its last rounds (it held the lease then, and this node took it
     * once it was released, e.g. right after a partition healed). Any majority of the voters
     * shares a server with the other node's majority, and that server shows it: an epoch record
     * newer than this node knows, a voter that is now a writable primary, or (failover) a voter
     * whose IO thread replicates again. Returns why not to act, or null.
     */
    private String actedMeanwhile(FailoverDecision.Plan plan, List<String> grantedBy) {
        EpochRecord e = epoch;
        long known = Math.max(publisher.epoch(), e == null ? 0 : e.epoch());
        for (String name : grantedBy) {
            try (Connection c = sql(name).open()) {
                Optional<EpochRecord> r = EpochRecord.read(c, cluster);
                if (r.isPresent() && r.get().epoch() > known) {
                    return name + " holds epoch " + r.get().epoch() + " naming " + r.get().primary() + " (this node knew "
                            + known + "): another Cairn node promoted meanwhile";
                }
                if (plan.planned() && name.equals(plan.oldPrimary())) {
                    continue;
                }
                Map<String, String> st = NodeSql.slaveStatus(c);
                if (st.isEmpty() && "0".equals(NodeSql.value(c, "SELECT @@read_only"))) {
                    return name + " is writable and replicates from nobody: another Cairn node promoted it";
                }
                String io = st.containsKey("Slave_IO_Running") ? st.get("Slave_IO_Running") : st.get("Replica_IO_Running");
                if (!plan.planned() && "Yes".equals(io)) {
                    return name + " replicates again (IO thread running): the primary is back or another Cairn node repointed it";
                }
            } catch (SQLException ex) {
                // It granted the lock a moment ago; if it is gone now the promotion finds out itself.
            }
        }
        return null;
    }

    private void failedHooks(String primary, String reason) {
        List<String> cmds = decision.config().hooks().failed();
        if (cmds.isEmpty()) {
            return;
        }
        Map<String, String> env = Map.of("CAIRN_CLUSTER", cluster, "CAIRN_OLD_PRIMARY", primary == null ? "" : primary,
                "CAIRN_REASON", reason, "CAIRN_EPOCH", Long.toString(publisher.epoch()));
        hooks.submit(() -> {
            for (Hooks.Outcome o : new Hooks(decision.config().hooks().timeout(), hookDir).run(cmds, env, false)) {
                note("failed-hook " + o);
            }
            return null;
        });
    }

    private synchronized void note(String msg) {
        LOG.info("replication cluster {}: {}", cluster, msg);
        notes.add(clock.instant() + " " + msg);
        while (notes.size() > 50) {
            notes.remove(0);
        }
    }

    private <T> T onLoop(Callable<T> task) throws Exception {
        Future<T> f = loop.submit(task);
        try {
            return f.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Exception ex) {
                throw ex;
            }
            throw e;
        }
    }

    /**
     * {@code cairn replication switchover}: a planned switchover when the primary is alive, a
     * failover when it is dead; {@code dryRun} only returns the plan.
     */
    public Map<String, Object> switchover(String to, boolean force, boolean dryRun) throws Exception {
        return onLoop(() -> {
            Observation o = last;
            if (o == null) {
                throw new dev.cairn.spi.Module.ActionException(503, "cluster " + cluster + ": no probe round yet");
            }
            Promotion.Result before = lastResult;
            int noteCount = notesSize();
            FailoverDecision.Requested req = new FailoverDecision.Requested(clock.millis(), o, to, force, dryRun);
            if (dryRun) {
                FailoverDecision.Step s = decision.step(state, req);
                Map<String, Object> out = new LinkedHashMap<>();
                for (Effect fx : s.effects()) {
                    if (fx instanceof PlanOnly p) {
                        out.put("plan", p.plan().describe());
                    } else if (fx instanceof Note n) {
                        out.put("refused", n.message());
                    }
                }
                return out;
            }
            apply(req);
            Map<String, Object> out = new LinkedHashMap<>();
            if (lastResult != before && lastResult != null) {
                out.putAll(describe(lastResult));
            } else {
                out.put("ok", false);
                out.put("detail", String.join("; ", notesSince(noteCount)));
            }
            return out;
        });
    }

    /** {@code cairn replication ack}: re-enables automation. */
    public Map<String, Object> ack(String by) throws Exception {
        return onLoop(() -> {
            long at = clock.millis();
            apply(new FailoverDecision.Ack(at, by));
            // Stored even when nothing changed here: the ack must win over an older copy another node wrote.
            int stored = storeControl(history.assertAt(state.control(), at));
            return Map.of("ok", true, "detail", "automatic failover of " + cluster + " enabled again (the ack is stored on "
                    + stored + " of " + nodes.size() + " servers, where every Cairn node reads it)");
        });
    }

    /**
     * {@code cairn replication rejoin}: makes {@code node} (an old primary) a replica of the current
     * primary when it has nothing the primary lacks; otherwise names the extra transactions.
     */
    public Map<String, Object> rejoin(String node) throws Exception {
        return onLoop(() -> {
            String primary = primary();
            if (primary == null) {
                throw new dev.cairn.spi.Module.ActionException(409, "cluster " + cluster + ": the current primary is not "
                        + "known (no server Cairn reaches holds an epoch record and the monitor sees no primary): "
                        + node + " has nothing to follow; retry once a primary answers");
            }
            Map<String, Object> r = new Rejoin(cluster, decision.config(), nodes, replPassword).run(node, primary);
            if (staleFenced.remove(node)) {
                publisher.fences().unfence(node);
            }
            return r;
        });
    }

    private synchronized int notesSize() {
        return notes.size();
    }

    private synchronized List<String> notesSince(int n) {
        return List.copyOf(notes.subList(Math.min(n, notes.size()), notes.size()));
    }

    private static Map<String, Object> describe(Promotion.Result r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("ok", r.ok());
        m.put("old_primary", r.oldPrimary());
        m.put("new_primary", r.newPrimary());
        m.put("epoch", r.epoch());
        m.put("detail", r.detail());
        m.put("duration_ms", r.durationMillis());
        m.put("write_unavailable_ms", r.writeUnavailableMillis());
        m.put("audit", r.audit().stream().map(AuditLog.Entry::toString).toList());
        return m;
    }

    /** The decision's state, the last round and the last failover with its audit log. */
    public synchronized Map<String, Object> status() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("cluster", cluster);
        m.put("mode", decision.config().mode().name().toLowerCase(java.util.Locale.ROOT));
        m.put("durability", decision.config().durability().name().toLowerCase(java.util.Locale.ROOT));
        m.put("phase", state.phase().name().toLowerCase(java.util.Locale.ROOT));
        m.put("automation", state.disabled() == null ? "enabled" : "disabled until ack: " + state.disabled());
        if (state.heldBack() != null) {
            m.put("refused", "failover of " + state.suspect() + ": " + state.heldBack());
        }
        m.put("primary", primary());
        EpochRecord e = epoch;
        m.put("epoch", Math.max(publisher.epoch(), e == null ? 0 : e.epoch()));
        m.put("fenced", List.copyOf(staleFenced));
        m.put("warnings", warnings);
        Observation o = last;
        if (o != null) {
            m.put("analysis", o.analysis());
        }
        if (lastResult != null) {
            m.put("last_failover", describe(lastResult));
        }
        m.put("events", List.copyOf(notes));
        return m;
    }

    /** The last promotion's result, if any (tests and status). */
    public Optional<Promotion.Result> lastResult() {
        return Optional.ofNullable(lastResult);
    }

    /** The state of the decision (tests). */
    public State state() {
        return state;
    }

    @Override
    public void close() {
        // A running promotion is finished, not interrupted half-way (a reload or stop waits for it).
        loop.shutdown();
        try {
            if (!loop.awaitTermination(CLOSE_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                LOG.warn("replication cluster {}: failover still running after {}s; interrupting it", cluster,
                        CLOSE_TIMEOUT.toSeconds());
                loop.shutdownNow();
            }
        } catch (InterruptedException e) {
            loop.shutdownNow();
            Thread.currentThread().interrupt();
        }
        hooks.shutdownNow();
    }

    /** The primary: the one the stored epoch names, else the monitor's. */
    String primary() {
        EpochRecord e = epoch;
        Observation o = last;
        return e != null ? e.primary() : o == null ? null : o.primary();
    }

    private static String writer() {
        String host;
        try {
            host = java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException e) {
            host = "unknown";
        }
        return "cairn@" + host + " pid " + ProcessHandle.current().pid();
    }

    /** Reads one node's stored epoch record (tests and status). */
    static Optional<EpochRecord> storedEpoch(NodeSql n, String cluster) {
        try (Connection c = n.open()) {
            return EpochRecord.read(c, cluster);
        } catch (SQLException e) {
            return Optional.empty();
        }
    }
}
