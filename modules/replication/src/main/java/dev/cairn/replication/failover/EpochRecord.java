package dev.cairn.replication.failover;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A cluster's failover epoch as stored in the databases themselves ({@code cairn.failover_epoch},
 * one row per cluster, written on the new primary by the promotion's verifying write and so
 * replicated to every replica). Every Cairn node reads it, so all of them agree on the primary
 * and its epoch, and an old primary that comes back writable is known for what it is: its own
 * row carries the older epoch.
 *
 * @param promotedAt the new primary's {@code gtid_binlog_pos} when it was promoted: a rejoining
 *                   node must not have anything beyond it
 */
public record EpochRecord(String cluster, long epoch, String primary, GtidPosition promotedAt) {

    public static final String TABLE = "cairn.failover_epoch";

    static final String CREATE = "CREATE TABLE IF NOT EXISTS " + TABLE + " ("
            + "cluster VARCHAR(64) NOT NULL PRIMARY KEY, epoch BIGINT NOT NULL, primary_node VARCHAR(255) NOT NULL, "
            + "promoted_at_gtid TEXT NOT NULL, written_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)) ENGINE=InnoDB";

    /** The row on this node, empty when there is none (or no table yet). */
    public static Optional<EpochRecord> read(Connection c, String cluster) throws SQLException {
        try {
            List<Map<String, String>> rows = NodeSql.query(c, "SELECT epoch, primary_node, promoted_at_gtid FROM " + TABLE
                    + " WHERE cluster = " + NodeSql.quote(cluster));
            if (rows.isEmpty()) {
                return Optional.empty();
            }
            Map<String, String> r = rows.get(0);
            return Optional.of(new EpochRecord(cluster, Long.parseLong(r.get("epoch")), r.get("primary_node"),
                    GtidPosition.parse(r.get("promoted_at_gtid"))));
        } catch (SQLException e) {
            if (e.getErrorCode() == 1146 || e.getErrorCode() == 1049) {
                return Optional.empty();
            }
            throw e;
        }
    }

    /** Writes this record (creating the schema and table if needed): the promotion's verifying write. */
    public void write(Connection c) throws SQLException {
        NodeSql.exec(c, "CREATE DATABASE IF NOT EXISTS cairn", CREATE,
                "REPLACE INTO " + TABLE + " (cluster, epoch, primary_node, promoted_at_gtid) VALUES ("
                        + NodeSql.quote(cluster) + ", " + epoch + ", " + NodeSql.quote(primary) + ", "
                        + NodeSql.quote(promotedAt.toString()) + ")");
    }
}
