package dev.cairn.replication.failover;

import dev.cairn.replication.ReplicationErrors;
import dev.cairn.spi.Module.ActionException;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code cairn replication rejoin CLUSTER NODE}: turns a fenced old primary (or any node outside
 * replication) into a replica of the current primary, only when every transaction it has is also
 * on the primary: its {@code gtid_binlog_pos} must be covered by the position the primary had
 * when it was promoted (stored with the epoch), since anything the old primary wrote after that is
 * a transaction nobody else has. Otherwise it names the extra transactions and changes nothing.
 * The node is set {@code read_only=ON} and follows with {@code MASTER_DEMOTE_TO_SLAVE=1}, which
 * makes its own binary log part of its replication position.
 */
final class Rejoin {

    private final String cluster;
    private final FailoverConfig cfg;
    private final List<NodeSql> nodes;
    private final String replPassword;

    Rejoin(String cluster, FailoverConfig cfg, List<NodeSql> nodes, String replPassword) {
        this.cluster = cluster;
        this.cfg = cfg;
        this.nodes = nodes;
        this.replPassword = replPassword;
    }

    Map<String, Object> run(String nodeName, String primaryName) throws ActionException {
        NodeSql node = find(nodeName);
        NodeSql primary = find(primaryName);
        if (node.name().equals(primary.name())) {
            throw new ActionException(409, nodeName + " is the current primary");
        }
        if (replPassword == null) {
            throw new ActionException(409, "failover.replication_password_file is not set: " + nodeName
                    + " could not authenticate to " + primaryName);
        }
        Map<String, Object> out = new LinkedHashMap<>();
        try (Connection p = primary.open(); Connection c = node.open()) {
            Optional<EpochRecord> rec = EpochRecord.read(p, cluster);
            GtidPosition limit = rec.map(EpochRecord::promotedAt)
                    .orElse(GtidPosition.parse(NodeSql.value(p, "SELECT @@gtid_binlog_pos")));
            GtidPosition mine = GtidPosition.parse(NodeSql.value(c, "SELECT @@gtid_binlog_pos"));
            List<String> extra = mine.beyond(limit);
            out.put("node", nodeName);
            out.put("primary", primaryName);
            out.put("node_gtid", mine.toString());
            out.put("primary_promoted_at", limit.toString());
            if (!extra.isEmpty()) {
                throw new ActionException(409, ReplicationErrors.REJOIN_REFUSED.id() + " " + nodeName + " has transactions " + primaryName + " never had: "
                        + String.join(", ", extra) + " (errant; inspect them with mariadb-binlog on " + nodeName
                        + ", then rebuild it from a backup or a clone of " + primaryName + ")");
            }
            NodeSql.exec(c, "SET GLOBAL read_only = ON");
            Promotion.disableSemiSyncMaster(c);
            NodeSql.exec(c, "STOP SLAVE",
                    "CHANGE MASTER TO MASTER_HOST=" + NodeSql.quote(primary.host()) + ", MASTER_PORT=" + primary.port()
                            + ", MASTER_USER=" + NodeSql.quote(cfg.replicationUser())
                            + ", MASTER_PASSWORD=" + NodeSql.quote(replPassword) + ", MASTER_DEMOTE_TO_SLAVE=1",
                    "START SLAVE");
            out.put("ok", true);
            out.put("detail", nodeName + " replicates from " + primaryName + " (read_only=ON, MASTER_DEMOTE_TO_SLAVE=1)");
            return out;
        } catch (SQLException e) {
            throw new ActionException(502, "rejoin of " + nodeName + " failed: " + e.getMessage());
        }
    }

    private NodeSql find(String name) throws ActionException {
        return nodes.stream().filter(n -> n.name().equals(name)).findFirst()
                .orElseThrow(() -> new ActionException(404, "cluster " + cluster + " has no node " + name));
    }
}
