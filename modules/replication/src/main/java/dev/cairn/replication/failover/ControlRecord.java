package dev.cairn.replication.failover;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

/**
 * A cluster's failover control state as stored on the database servers, in
 * {@code cairn.failover_control} beside the epoch record: when the last automatic failover
 * finished, the finish times {@code max_per_hour} counts, whether it was acknowledged, and why
 * automation is disabled until ack. Every Cairn node reads it from every server it reaches each
 * round and writes it to each of them when it changes, so a restarted node and every other node
 * agree on {@code block_period}, {@code max_per_hour} and an ack given on any node.
 *
 * <p>Each server keeps its own copy, written with {@code sql_log_bin=0} and never replicated: the
 * states that matter most change while there is no primary to write to (a refusal or a failed
 * failover disables automation; the ack that lifts it comes during the same outage), and a logged
 * write on a replica would be an errant transaction that makes it unpromotable. Copies are merged
 * ({@link #merge}): the latest failover and every finish time are kept, and the ack/disabled pair
 * changed last wins ({@code changedAt}, the writing node's clock).
 *
 * @param lastRecoveryAt when the last automatic failover finished (epoch millis), -1 if never
 * @param recoveries finish times within the hour before {@code lastRecoveryAt}, ascending
 * @param acked an operator acknowledged since the last failover
 * @param disabled why automation is disabled until ack, or null
 * @param changedAt when this state last changed (epoch millis), -1 for {@link #NONE}
 */
public record ControlRecord(long lastRecoveryAt, List<Long> recoveries, boolean acked, String disabled, long changedAt) {

    public static final String TABLE = "cairn.failover_control";
    public static final ControlRecord NONE = new ControlRecord(-1, List.of(), true, null, -1);
    private static final long HOUR_MS = 3_600_000L;

    static final String CREATE = "CREATE TABLE IF NOT EXISTS " + TABLE + " ("
            + "cluster VARCHAR(64) NOT NULL PRIMARY KEY, last_failover_ms BIGINT NOT NULL, recoveries_ms TEXT NOT NULL, "
            + "acked TINYINT NOT NULL, disabled TEXT NULL, changed_ms BIGINT NOT NULL, written_by VARCHAR(255) NOT NULL, "
            + "written_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6)) ENGINE=InnoDB";

    public ControlRecord {
        TreeSet<Long> keep = new TreeSet<>();
        for (Long t : recoveries) {
            if (t != null && t > lastRecoveryAt - HOUR_MS) {
                keep.add(t);
            }
        }
        recoveries = List.copyOf(keep);
        disabled = disabled == null || disabled.isEmpty() ? null : disabled;
    }

    /** The decision's control part at {@code at}. */
    public static ControlRecord of(FailoverDecision.Control c, long at) {
        return new ControlRecord(c.lastRecoveryAt(), c.recoveries(), c.acked(), c.disabled(), at);
    }

    /** The decision's view of it. */
    public FailoverDecision.Control control() {
        return new FailoverDecision.Control(lastRecoveryAt, acked, disabled, recoveries);
    }

    /**
     * Both copies in one: the later failover, every finish time, and the ack/disabled state of the
     * copy changed last (on a tie the safer one: not acked, disabled). Commutative and idempotent,
     * so the order in which servers are read does not matter.
     */
    public ControlRecord merge(ControlRecord o) {
        List<Long> all = new ArrayList<>(recoveries);
        all.addAll(o.recoveries);
        long last = Math.max(lastRecoveryAt, o.lastRecoveryAt);
        if (changedAt != o.changedAt) {
            ControlRecord newer = changedAt > o.changedAt ? this : o;
            return new ControlRecord(last, all, newer.acked, newer.disabled, newer.changedAt);
        }
        String why = disabled != null && o.disabled != null ? (disabled.compareTo(o.disabled) <= 0 ? disabled : o.disabled)
                : disabled != null ? disabled : o.disabled;
        return new ControlRecord(last, all, acked && o.acked, why, changedAt);
    }

    /** The copy on this server, empty when there is none (or no table yet). */
    public static Optional<ControlRecord> read(Connection c, String cluster) throws SQLException {
        try {
            List<Map<String, String>> rows = NodeSql.query(c, "SELECT last_failover_ms, recoveries_ms, acked, disabled, changed_ms FROM "
                    + TABLE + " WHERE cluster = " + NodeSql.quote(cluster));
            if (rows.isEmpty()) {
                return Optional.empty();
            }
            Map<String, String> r = rows.get(0);
            List<Long> rec = new ArrayList<>();
            for (String t : r.get("recoveries_ms").split(",")) {
                if (!t.isBlank()) {
                    rec.add(Long.parseLong(t.trim()));
                }
            }
            return Optional.of(new ControlRecord(Long.parseLong(r.get("last_failover_ms")), rec, !"0".equals(r.get("acked")),
                    r.get("disabled"), Long.parseLong(r.get("changed_ms"))));
        } catch (SQLException e) {
            if (e.getErrorCode() == 1146 || e.getErrorCode() == 1049) {
                return Optional.empty();
            }
            throw e;
        }
    }

    /**
     * Writes this copy on this server only ({@code sql_log_bin=0}: nothing reaches the binary
     * log, so no replica receives it and no GTID is used), creating the schema and table if needed.
     * Needs {@code BINLOG ADMIN} (or {@code SUPER}) for {@code sql_log_bin}, and on a read_only
     * replica {@code READ_ONLY ADMIN}.
     */
    public void write(Connection c, String cluster, String writtenBy) throws SQLException {
        StringBuilder rec = new StringBuilder();
        for (Long t : recoveries) {
            rec.append(rec.length() == 0 ? "" : ",").append(t);
        }
        NodeSql.exec(c, "SET SESSION sql_log_bin = 0", "CREATE DATABASE IF NOT EXISTS cairn", CREATE,
                "REPLACE INTO " + TABLE + " (cluster, last_failover_ms, recoveries_ms, acked, disabled, changed_ms, written_by)"
                        + " VALUES (" + NodeSql.quote(cluster) + ", " + lastRecoveryAt + ", " + NodeSql.quote(rec.toString())
                        + ", " + (acked ? 1 : 0) + ", " + (disabled == null ? "NULL" : NodeSql.quote(disabled)) + ", "
                        + changedAt + ", " + NodeSql.quote(writtenBy) + ")",
                "SET SESSION sql_log_bin = 1");
    }
}
