package dev.cairn.replication.failover;

import dev.cairn.replication.ReplicationErrors;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The server settings a failover depends on, checked at start-up (and on {@code failover} status):
 * replicas must notice a silently dead primary quickly ({@code slave_net_timeout},
 * {@code MASTER_HEARTBEAT_PERIOD}, {@code MASTER_CONNECT_RETRY}: without them a SIGSTOPped or
 * cut-off primary looks alive to its replicas for a minute and is only {@code UnreachablePrimary}),
 * and {@code durability: lossless} needs semi-sync with {@code AFTER_SYNC} on the primary (MariaDB's
 * default {@code AFTER_COMMIT} lets other sessions read a commit no replica has, which a failover
 * then loses). Each finding is one warning with a stable id; nothing is changed on the servers.
 */
public final class SafetyCheck {

    /** Longest {@code slave_net_timeout} that still detects a silent death within the goal. */
    public static final int MAX_NET_TIMEOUT_SECONDS = 10;
    /** Longest {@code MASTER_CONNECT_RETRY}. */
    public static final int MAX_CONNECT_RETRY_SECONDS = 5;

    private SafetyCheck() {
    }

    /** One replica's settings (from the server) and the verdicts on them. */
    static List<String> replica(String node, long netTimeout, double heartbeatPeriod, long connectRetry) {
        List<String> w = new ArrayList<>();
        if (netTimeout > MAX_NET_TIMEOUT_SECONDS) {
            w.add(ReplicationErrors.UNSAFE_NET_TIMEOUT.id() + " " + node + ": slave_net_timeout=" + netTimeout + "s: a silently dead primary is noticed by"
                    + " this replica only after that long; set it to " + MAX_NET_TIMEOUT_SECONDS + "s or less (e.g. 4)");
        }
        if (heartbeatPeriod <= 0 || heartbeatPeriod * 2 > netTimeout) {
            w.add(ReplicationErrors.UNSAFE_HEARTBEAT_PERIOD.id() + " " + node + String.format(Locale.ROOT, ": MASTER_HEARTBEAT_PERIOD=%.1fs", heartbeatPeriod)
                    + " must be above 0 and at most half of slave_net_timeout (" + netTimeout + "s), or an idle primary"
                    + " looks dead: CHANGE MASTER TO MASTER_HEARTBEAT_PERIOD=1");
        }
        if (connectRetry > MAX_CONNECT_RETRY_SECONDS) {
            w.add(ReplicationErrors.UNSAFE_CONNECT_RETRY.id() + " " + node + ": MASTER_CONNECT_RETRY=" + connectRetry + "s: after a failover or a blip this"
                    + " replica waits that long to reconnect; CHANGE MASTER TO MASTER_CONNECT_RETRY=1");
        }
        return w;
    }

    /** The primary's semi-sync settings under {@code durability: lossless}. */
    static List<String> losslessPrimary(String node, String enabled, String waitPoint) {
        List<String> w = new ArrayList<>();
        if (!"ON".equalsIgnoreCase(enabled) && !"1".equals(enabled)) {
            w.add(ReplicationErrors.LOSSLESS_SEMI_SYNC_OFF.id() + " " + node + ": durability lossless but rpl_semi_sync_master_enabled is " + enabled
                    + ": automatic failover will be refused (enable semi-sync, or set durability: available)");
        }
        if (waitPoint != null && !waitPoint.equalsIgnoreCase("AFTER_SYNC")) {
            w.add(ReplicationErrors.LOSSLESS_AFTER_COMMIT.id() + " " + node + ": rpl_semi_sync_master_wait_point=" + waitPoint + ": with AFTER_COMMIT a"
                    + " commit is visible before any replica has it; set AFTER_SYNC for lossless failover");
        }
        return w;
    }

    /** Reads one node's settings; {@code primary} selects which checks apply. */
    static List<String> check(NodeSql node, boolean primary, boolean lossless) {
        try (Connection c = node.open()) {
            if (primary) {
                if (!lossless) return List.of();
                Map<String, String> v = NodeSql.query(c, "SELECT @@rpl_semi_sync_master_enabled AS e,"
                        + " @@rpl_semi_sync_master_wait_point AS w").get(0);
                return losslessPrimary(node.name(), "1".equals(v.get("e")) ? "ON" : "OFF", v.get("w"));
            }
            Map<String, String> st = NodeSql.slaveStatus(c);
            if (st.isEmpty()) return List.of();
            long net = Long.parseLong(NodeSql.value(c, "SELECT @@slave_net_timeout"));
            String hb = NodeSql.query(c, "SHOW GLOBAL STATUS LIKE 'Slave_heartbeat_period'").stream()
                    .map(r -> r.get("Value")).findFirst().orElse("0");
            long retry = Long.parseLong(st.getOrDefault("Connect_Retry", "60"));
            List<String> w = new ArrayList<>(replica(node.name(), net, Double.parseDouble(hb), retry));
            if (lossless && !"1".equals(NodeSql.value(c, "SELECT @@rpl_semi_sync_slave_enabled"))) {
                w.add(ReplicationErrors.LOSSLESS_REPLICA_NO_ACK.id() + " " + node.name() + ": durability lossless but rpl_semi_sync_slave_enabled is OFF:"
                        + " this replica never acknowledges, so it may lack acknowledged writes when promoted");
            }
            return w;
        } catch (SQLException | RuntimeException e) {
            return List.of();
        }
    }
}
