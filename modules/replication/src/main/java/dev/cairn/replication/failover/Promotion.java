package dev.cairn.replication.failover;

import dev.cairn.replication.failover.FailoverDecision.Plan;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Carries out one {@link Plan} against the servers, every step in the {@link AuditLog}.
 *
 * <p>Failover (the old primary is dead): pre-hooks (a non-zero exit vetoes, nothing changed);
 * bump the epoch; fence the old primary (out of the catalog at once, then best effort
 * {@code read_only=ON} and its client sessions killed, bounded by the read timeout); stop every
 * replica's IO thread so nothing more arrives from a primary that might come back; re-rank the
 * candidates by the received positions read now; drain the candidate — start only its SQL thread
 * (on MariaDB GTID, restarting the IO thread purges the relay log) and {@code MASTER_GTID_WAIT} to
 * its received position while its applied position keeps advancing ({@code drain_stall}), else
 * the next candidate; check the other replicas can follow it (nothing applied beyond it);
 * {@code STOP SLAVE; RESET SLAVE ALL; read_only=OFF}; verify a write (the epoch record); repoint
 * the other replicas by GTID; publish the primary service under the new epoch; post-hooks.
 *
 * <p>Switchover (the old primary is alive): the same under a new epoch, but the old primary is set
 * {@code read_only=ON} and its sessions killed first, the target waits until it applied the old
 * primary's whole binary log (its IO thread keeps running), and the old primary then replicates
 * from the new one ({@code MASTER_DEMOTE_TO_SLAVE=1}). A step that fails before the target is
 * writable rolls back: the old primary is writable and published again.
 *
 * <p>Semi-sync: replicas run with {@code rpl_semi_sync_master_enabled=OFF} (with
 * {@code log_slave_updates} a replica that is a semi-sync master makes its own SQL thread wait for
 * an acknowledgement). The promoted node does its verifying write with it off (no replica follows
 * it yet: the write would wait for the semi-sync timeout and switch it to async), then turns it on
 * ({@code durability: lossless}, or when it was on) before any replica is repointed, so their IO
 * threads register as semi-sync replicas; a demoted primary turns it off.
 * Runs on the caller's thread; one at a time per cluster (the caller holds the {@link DecisionLease}).
 */
public final class Promotion {

    /** How one promotion ended. */
    public record Result(boolean ok, String oldPrimary, String newPrimary, long epoch, String detail,
                         List<AuditLog.Entry> audit, long durationMillis, long writeUnavailableMillis) {
    }

    /** How long stopping a replica's IO thread may take (it may be stuck connecting to a hung primary). */
    static final Duration FREEZE_TIMEOUT = Duration.ofSeconds(15);

    private final String cluster;
    private final FailoverConfig cfg;
    private final Map<String, NodeSql> nodes;
    private final PrimaryPublisher publisher;
    private final Hooks hooks;
    private final Clock clock;
    private final String replPassword;

    /**
     * @param nodes every node of the cluster by name, in config order
     * @param replPassword the replication account's password (for a demoted old primary), may be null
     */
    public Promotion(String cluster, FailoverConfig cfg, Map<String, NodeSql> nodes, PrimaryPublisher publisher,
                     Clock clock, String replPassword, java.nio.file.Path hookDir) {
        this.cluster = cluster;
        this.cfg = cfg;
        this.nodes = new LinkedHashMap<>(nodes);
        this.publisher = publisher;
        this.hooks = new Hooks(cfg.hooks().timeout(), hookDir);
        this.clock = clock;
        this.replPassword = replPassword;
    }

    /** A step failed: the message goes to the audit log and the result. */
    static final class StepFailed extends Exception {
        StepFailed(String message) {
            super(message);
        }
    }

    public Result run(Plan plan) throws InterruptedException {
        AuditLog audit = new AuditLog(cluster, clock);
        long start = clock.millis();
        for (String line : plan.describe()) {
            audit.add("plan", line);
        }
        Map<String, String> env = new LinkedHashMap<>();
        env.put("CAIRN_CLUSTER", cluster);
        env.put("CAIRN_OLD_PRIMARY", plan.oldPrimary());
        env.put("CAIRN_REASON", plan.reason());
        env.put("CAIRN_KIND", plan.planned() ? "switchover" : "failover");
        for (Hooks.Outcome o : hooks.run(cfg.hooks().pre(), env, true)) {
            audit.add("pre-hook", o.toString());
            if (!o.ok()) {
                return new Result(false, plan.oldPrimary(), null, publisher.epoch(), "vetoed by pre-hook " + o,
                        audit.entries(), clock.millis() - start, 0);
            }
        }
        long epoch = nextEpoch(audit, plan.planned() ? null : plan.oldPrimary());
        env.put("CAIRN_EPOCH", Long.toString(epoch));
        Result r;
        try {
            r = plan.planned() ? switchover(plan, epoch, audit, start) : failover(plan, epoch, audit, start);
        } catch (StepFailed e) {
            audit.add("failed", e.getMessage());
            r = new Result(false, plan.oldPrimary(), null, epoch, e.getMessage(), audit.entries(),
                    clock.millis() - start, 0);
        }
        if (r.ok()) {
            env.put("CAIRN_NEW_PRIMARY", r.newPrimary());
            for (Hooks.Outcome o : hooks.run(cfg.hooks().post(), env, false)) {
                audit.add("post-hook", o.toString());
            }
        }
        return new Result(r.ok(), r.oldPrimary(), r.newPrimary(), r.epoch(), r.detail(), audit.entries(),
                r.durationMillis(), r.writeUnavailableMillis());
    }

    /**
     * One more than the highest epoch any reachable node or the catalog knows; {@code skip} (a dead
     * primary) is not asked: a hung one would cost a read timeout, and its record is on the replicas.
     */
    private long nextEpoch(AuditLog audit, String skip) {
        long max = publisher.epoch();
        for (NodeSql n : nodes.values()) {
            if (n.name().equals(skip)) {
                continue;
            }
            try (Connection c = n.open()) {
                Optional<EpochRecord> r = EpochRecord.read(c, cluster);
                if (r.isPresent()) {
                    max = Math.max(max, r.get().epoch());
                }
            } catch (SQLException ignored) {
                // an unreachable node's epoch is in a replica's copy of the table
            }
        }
        audit.add("epoch", "bumped " + max + " -> " + (max + 1));
        return max + 1;
    }

    private Result failover(Plan plan, long epoch, AuditLog audit, long start) throws StepFailed, InterruptedException {
        NodeSql old = nodes.get(plan.oldPrimary());
        publisher.fences().fence(old.name());
        plan.candidates().forEach(n -> publisher.fences().fence(n.name()));
        if (!publisher.publish(epoch, Optional.empty(), "fenced: " + plan.reason())) {
            throw new StepFailed("the catalog refused epoch " + epoch + " (a newer decision exists)");
        }
        audit.add("fence", publisher.service() + " has no endpoint under epoch " + epoch + " (the proxy closes sessions to " + old.name() + ")");
        CompletableFuture<String> bestEffort = CompletableFuture.supplyAsync(() -> fenceOldPrimary(old));
        List<String> replicas = nodes.keySet().stream().filter(n -> !n.equals(old.name())).toList();
        // All replicas at once: STOP SLAVE IO_THREAD waits for an IO thread stuck on a hung primary.
        Map<String, CompletableFuture<GtidPosition>> frozen = new LinkedHashMap<>();
        for (String name : replicas) {
            frozen.put(name, CompletableFuture.supplyAsync(() -> freeze(nodes.get(name), audit)));
        }
        Map<String, GtidPosition> received = new LinkedHashMap<>();
        for (Map.Entry<String, CompletableFuture<GtidPosition>> e : frozen.entrySet()) {
            GtidPosition p = e.getValue().join();
            if (p != null) {
                received.put(e.getKey(), p);
            }
        }
        try {
            audit.add("fence", old.name() + ": " + bestEffort.get(cfg.hooks().timeout().toMillis(), TimeUnit.MILLISECONDS));
        } catch (Exception e) {
            audit.add("fence", old.name() + ": best effort gave up (" + e + ")");
        }
        List<Observation.Node> order = new ArrayList<>(plan.candidates());
        // Fresh positions (the plan is a probe round old): most received first, plan order for ties.
        order.sort(Comparator.comparing((Observation.Node n) -> received.getOrDefault(n.name(), n.received())).reversed());
        StringBuilder tried = new StringBuilder();
        for (Observation.Node cand : order) {
            if (!received.containsKey(cand.name())) {
                tried.append(cand.name()).append(": unreachable; ");
                continue;
            }
            NodeSql c = nodes.get(cand.name());
            GtidPosition target = received.get(cand.name());
            try {
                for (Map.Entry<String, GtidPosition> e : received.entrySet()) {
                    if (!target.covers(e.getValue())) {
                        throw new StepFailed(e.getKey() + " received " + e.getValue() + ", beyond " + target);
                    }
                }
                drain(c, target, audit);
                checkFollowers(c, received.keySet(), audit);
            } catch (StepFailed e) {
                audit.add("candidate", cand.name() + " rejected: " + e.getMessage());
                tried.append(cand.name()).append(": ").append(e.getMessage()).append("; ");
                continue;
            }
            long writableAt = promote(c, epoch, audit);
            for (String other : received.keySet()) {
                if (!other.equals(c.name())) {
                    repoint(nodes.get(other), c, false, audit);
                }
            }
            publishNew(c, epoch, audit);
            plan.candidates().forEach(n -> publisher.fences().unfence(n.name()));
            long done = clock.millis();
            return new Result(true, old.name(), c.name(), epoch, c.name() + " promoted under epoch " + epoch,
                    audit.entries(), done - start, done - writableAt);
        }
        // Nothing promoted: replicas resume towards the old primary, the fence stays (a human decides).
        plan.candidates().forEach(n -> publisher.fences().unfence(n.name()));
        for (String name : received.keySet()) {
            try {
                nodes.get(name).exec("START SLAVE");
            } catch (SQLException e) {
                audit.add("rollback", name + ": START SLAVE failed: " + e.getMessage());
            }
        }
        throw new StepFailed("no candidate could be promoted: " + (tried.length() == 0 ? "none eligible" : tried));
    }

    private Result switchover(Plan plan, long epoch, AuditLog audit, long start) throws StepFailed, InterruptedException {
        NodeSql old = nodes.get(plan.oldPrimary());
        if (plan.candidates().isEmpty()) {
            throw new StepFailed("no eligible target");
        }
        NodeSql target = nodes.get(plan.candidates().get(0).name());
        if (replPassword == null) {
            throw new StepFailed("failover.replication_password_file is not set: the old primary could not replicate");
        }
        GtidPosition finalPos;
        long unavailableFrom;
        try (Connection c = old.open()) {
            NodeSql.exec(c, "SET GLOBAL read_only = ON");
            unavailableFrom = clock.millis();
            audit.add("demote", old.name() + ": read_only=ON");
            publisher.fences().fence(old.name());
            publisher.fences().fence(target.name());
            if (!publisher.publish(epoch, Optional.empty(), "switchover to " + target.name())) {
                NodeSql.exec(c, "SET GLOBAL read_only = OFF");
                throw new StepFailed("the catalog refused epoch " + epoch + " (a newer decision exists)");
            }
            audit.add("fence", publisher.service() + " has no endpoint under epoch " + epoch);
            audit.add("demote", old.name() + ": killed " + killClients(c) + " client session(s)");
            finalPos = GtidPosition.parse(NodeSql.value(c, "SELECT @@gtid_binlog_pos"));
            audit.add("demote", old.name() + ": final position " + finalPos);
        } catch (SQLException e) {
            throw new StepFailed("cannot demote " + old.name() + ": " + e.getMessage());
        }
        try {
            waitApplied(target, finalPos, audit);
        } catch (StepFailed e) {
            rollbackSwitchover(old, target, epoch, audit);
            throw e;
        }
        long writableAt = promote(target, epoch, audit);
        for (String other : nodes.keySet()) {
            if (!other.equals(target.name()) && !other.equals(old.name())) {
                repoint(nodes.get(other), target, false, audit);
            }
        }
        repoint(old, target, true, audit);
        publishNew(target, epoch, audit);
        publisher.fences().unfence(old.name());
        long done = clock.millis();
        return new Result(true, old.name(), target.name(), epoch, target.name() + " promoted under epoch " + epoch
                + " (writes unavailable " + (done - unavailableFrom) + " ms)", audit.entries(), done - start,
                done - unavailableFrom);
    }

    private void rollbackSwitchover(NodeSql old, NodeSql target, long epoch, AuditLog audit) {
        try {
            old.exec("SET GLOBAL read_only = OFF");
            publisher.fences().unfence(old.name());
            publisher.fences().unfence(target.name());
            publisher.publish(epoch, Optional.of(old), "switchover rolled back");
            audit.add("rollback", old.name() + " writable and published again under epoch " + epoch);
        } catch (SQLException e) {
            audit.add("rollback", old.name() + ": " + e.getMessage() + " (cluster has no primary: act by hand)");
        }
    }

    /**
     * Stops a replica's IO thread and returns what it received; null when it does not answer. Its
     * SQL thread is started first when it is stopped: on MariaDB GTID, once both threads are
     * stopped the relay log is no longer trusted (the next start reads from gtid_slave_pos, and
     * what was received but not applied is gone with the dead primary), so both are never
     * stopped at once.
     */
    private static GtidPosition freeze(NodeSql node, AuditLog audit) {
        try (Connection c = node.withReadTimeout(FREEZE_TIMEOUT).open()) {
            if (!"Yes".equals(NodeSql.slaveStatus(c).get("Slave_SQL_Running"))) {
                NodeSql.exec(c, "START SLAVE SQL_THREAD");
                audit.add("freeze", node.name() + ": SQL thread started first (relay log kept)");
            }
            NodeSql.exec(c, "STOP SLAVE IO_THREAD");
            GtidPosition p = GtidPosition.parse(NodeSql.slaveStatus(c).get("Gtid_IO_Pos"));
            audit.add("freeze", node.name() + ": IO thread stopped, received " + p);
            return p;
        } catch (SQLException e) {
            audit.add("freeze", node.name() + ": unreachable (" + e.getMessage() + ")");
            return null;
        }
    }

    /** read_only=ON and client sessions killed on an old primary that still answers. */
    private String fenceOldPrimary(NodeSql old) {
        try (Connection c = old.open()) {
            NodeSql.exec(c, "SET GLOBAL read_only = ON");
            return "answered: read_only=ON, killed " + killClients(c) + " client session(s)";
        } catch (SQLException e) {
            return "does not answer (" + e.getMessage() + "); stays out of the catalog";
        }
    }

    /** Kills every client session except replication, system threads and this connection. */
    static int killClients(Connection c) throws SQLException {
        List<Map<String, String>> rows = NodeSql.query(c, "SELECT id FROM information_schema.processlist"
                + " WHERE id <> CONNECTION_ID() AND command NOT IN ('Binlog Dump', 'Binlog Dump GTID', 'Daemon', 'Slave_IO',"
                + " 'Slave_SQL', 'Slave_worker') AND user NOT IN ('system user', 'event_scheduler')");
        int n = 0;
        for (Map<String, String> r : rows) {
            try {
                NodeSql.exec(c, "KILL " + Long.parseLong(r.get("id")));
                n++;
            } catch (SQLException e) {
                if (e.getErrorCode() != 1094) {
                    throw e;
                }
            }
        }
        return n;
    }

    /** START SLAVE SQL_THREAD (never the IO thread) and wait until {@code target} is applied. */
    private void drain(NodeSql node, GtidPosition target, AuditLog audit) throws StepFailed, InterruptedException {
        try (Connection c = node.open()) {
            Map<String, String> st = NodeSql.slaveStatus(c);
            if (!"Yes".equals(st.get("Slave_SQL_Running"))) {
                NodeSql.exec(c, "START SLAVE SQL_THREAD");
                audit.add("drain", node.name() + ": SQL thread started (the IO thread is not restarted: its relay log is kept)");
            }
        } catch (SQLException e) {
            throw new StepFailed("cannot start the SQL thread: " + e.getMessage());
        }
        waitApplied(node, target, audit);
    }

    /**
     * {@code MASTER_GTID_WAIT(target, 1)} repeatedly while the applied position advances; fails on
     * an SQL error or when it stalls for {@code drain_stall}.
     */
    private void waitApplied(NodeSql node, GtidPosition target, AuditLog audit) throws StepFailed, InterruptedException {
        long t0 = clock.millis();
        NodeSql waiting = node.withReadTimeout(node.readTimeout().plusSeconds(2));
        String lastApplied = null;
        long lastProgress = clock.millis();
        try (Connection c = waiting.open()) {
            while (true) {
                String r = NodeSql.value(c, "SELECT MASTER_GTID_WAIT(" + NodeSql.quote(target.toString()) + ", 1)");
                if ("0".equals(r)) {
                    audit.add("drain", node.name() + ": applied " + target + " in " + (clock.millis() - t0) + " ms");
                    return;
                }
                Map<String, String> st = NodeSql.slaveStatus(c);
                String err = st.get("Last_SQL_Error");
                if (err != null && !err.isBlank()) {
                    throw new StepFailed("SQL thread error while draining: " + err);
                }
                String applied = NodeSql.value(c, "SELECT @@gtid_slave_pos");
                if (!applied.equals(lastApplied)) {
                    lastApplied = applied;
                    lastProgress = clock.millis();
                } else if (clock.millis() - lastProgress > cfg.drainStall().toMillis()) {
                    throw new StepFailed("applied position stuck at " + applied + " for " + cfg.drainStall().toSeconds()
                            + "s, short of " + target + " (SQL thread " + st.get("Slave_SQL_Running") + ": "
                            + st.get("Slave_SQL_Running_State") + ")");
                }
                if (Thread.interrupted()) {
                    throw new InterruptedException();
                }
            }
        } catch (SQLException e) {
            throw new StepFailed("cannot wait for " + target + " on " + node.name() + ": " + e.getMessage());
        }
    }

    /** Every other reachable replica must have applied nothing the candidate lacks. */
    private void checkFollowers(NodeSql cand, java.util.Collection<String> replicas, AuditLog audit) throws StepFailed {
        GtidPosition have;
        try (Connection c = cand.open()) {
            have = GtidPosition.parse(NodeSql.value(c, "SELECT @@gtid_binlog_pos"));
        } catch (SQLException e) {
            throw new StepFailed("cannot read its position: " + e.getMessage());
        }
        for (String r : replicas) {
            if (r.equals(cand.name())) {
                continue;
            }
            try (Connection c = nodes.get(r).open()) {
                GtidPosition applied = GtidPosition.parse(NodeSql.value(c, "SELECT @@gtid_slave_pos"));
                if (!have.covers(applied)) {
                    throw new StepFailed(r + " applied " + String.join(",", applied.beyond(have)) + " that it lacks");
                }
            } catch (SQLException e) {
                audit.add("check", r + ": unreachable, will not be repointed (" + e.getMessage() + ")");
            }
        }
        audit.add("check", "every reachable replica can follow " + cand.name() + " (" + have + ")");
    }

    /** STOP SLAVE; RESET SLAVE ALL; read_only=OFF; the epoch record as the verifying write. */
    private long promote(NodeSql node, long epoch, AuditLog audit) throws StepFailed {
        try (Connection c = node.open()) {
            NodeSql.exec(c, "STOP SLAVE", "RESET SLAVE ALL");
            audit.add("promote", node.name() + ": STOP SLAVE; RESET SLAVE ALL");
            boolean semi = "1".equals(NodeSql.value(c, "SELECT @@rpl_semi_sync_master_enabled"));
            if (semi) {
                NodeSql.exec(c, "SET GLOBAL rpl_semi_sync_master_enabled = OFF");
            }
            GtidPosition at = GtidPosition.parse(NodeSql.value(c, "SELECT @@gtid_binlog_pos"));
            NodeSql.exec(c, "SET GLOBAL read_only = OFF");
            long writable = clock.millis();
            audit.add("promote", node.name() + ": read_only=OFF at " + at);
            new EpochRecord(cluster, epoch, node.name(), at).write(c);
            audit.add("verify", node.name() + ": accepted a write (epoch record " + epoch + " in " + EpochRecord.TABLE + ")");
            if (semi || cfg.durability() == FailoverConfig.Durability.LOSSLESS) {
                // Before any replica is repointed: their IO threads register as semi-sync replicas on connect.
                NodeSql.exec(c, "SET GLOBAL rpl_semi_sync_master_enabled = ON");
                audit.add("promote", node.name() + ": semi-sync master on (rpl_semi_sync_master_enabled)");
            }
            return writable;
        } catch (SQLException e) {
            try {
                node.exec("SET GLOBAL read_only = ON");
            } catch (SQLException ignored) {
                // it is not published; a human takes over
            }
            throw new StepFailed("promotion of " + node.name() + " failed: " + e.getMessage());
        }
    }

    /** Points {@code replica} at {@code primary} by GTID; {@code demote} for an old primary. */
    private void repoint(NodeSql replica, NodeSql primary, boolean demote, AuditLog audit) {
        String creds = replPassword == null ? ""
                : ", MASTER_USER=" + NodeSql.quote(cfg.replicationUser()) + ", MASTER_PASSWORD=" + NodeSql.quote(replPassword);
        try (Connection c = replica.open()) {
            if (demote) {
                NodeSql.exec(c, "SET GLOBAL read_only = ON");
                disableSemiSyncMaster(c);
            }
            NodeSql.exec(c, "STOP SLAVE", "CHANGE MASTER TO MASTER_HOST=" + NodeSql.quote(primary.host())
                    + ", MASTER_PORT=" + primary.port() + creds
                    + (demote ? ", MASTER_DEMOTE_TO_SLAVE=1" : ", MASTER_USE_GTID=slave_pos"), "START SLAVE");
            audit.add("repoint", replica.name() + " replicates from " + primary.name() + " by GTID"
                    + (demote ? " (MASTER_DEMOTE_TO_SLAVE=1)" : ""));
        } catch (SQLException e) {
            audit.add("repoint", replica.name() + " FAILED: " + e.getMessage() + " (repoint it by hand, see the runbook)");
        }
    }

    /**
     * A replica must not be a semi-sync master: with log_slave_updates its SQL thread would wait
     * for an acknowledgement no replica of its own sends.
     */
    static void disableSemiSyncMaster(Connection c) {
        try {
            NodeSql.exec(c, "SET GLOBAL rpl_semi_sync_master_enabled = OFF");
        } catch (SQLException ignored) {
            // a server without semi-sync
        }
    }

    private void publishNew(NodeSql node, long epoch, AuditLog audit) throws StepFailed {
        if (!publisher.publish(epoch, Optional.of(node), "promoted under epoch " + epoch)) {
            throw new StepFailed("the catalog refused epoch " + epoch + " for " + node.name());
        }
        publisher.fences().unfence(node.name());
        audit.add("publish", publisher.service() + " -> " + node.name() + " (" + node.address() + ") under epoch " + epoch);
    }
}
