package dev.cairn.replication.failover;

import dev.cairn.replication.failover.Observation.Node;
import dev.cairn.replication.failover.Observation.SemiSync;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Takes one {@link Observation} of a MariaDB cluster: every node probed in parallel on its own
 * short connection (a hung node costs its read timeout, never the others'), the primary chosen,
 * the failover's analysis computed. The monitor's topology (part 1) computes the same codes for
 * status and metrics; this is the failover's own, narrow view, so the decision depends on nothing
 * but these facts.
 *
 * <p>Primary: the writable non-replica with the highest stored epoch; when none answers, the
 * last one seen (the one that may be dead). A server that answers "Too many connections" (1040)
 * is reachable: it is busy, not dead. Analysis: the primary reachable → {@code NoProblem}; not
 * reachable and some reachable replica still has its IO thread connected → {@code
 * UnreachablePrimary}; no replica reachable → {@code DeadPrimaryAndReplicas} (Cairn may be the
 * one cut off); every reachable replica lost it → {@code DeadPrimary} or, when some replicas are
 * unreachable too, {@code DeadPrimaryAndSomeReplicas}.
 *
 * <p>Not thread-safe: one caller (the cluster's failover loop).
 */
public final class ClusterProbe {

    private final String cluster;
    private final List<NodeSql> nodes;
    private final ExecutorService pool;
    private final Map<String, Long> lastNoTx = new HashMap<>();
    private String lastPrimary;
    private Map<String, EpochRecord> lastEpochs = Map.of();

    public ClusterProbe(String cluster, List<NodeSql> nodes, ExecutorService pool, String initialPrimary) {
        this.cluster = cluster;
        this.nodes = List.copyOf(nodes);
        this.pool = pool;
        this.lastPrimary = initialPrimary;
    }

    /** The highest epoch record seen on any node in the last round, if any. */
    public Optional<EpochRecord> epoch() {
        return lastEpochs.values().stream().max(java.util.Comparator.comparingLong(EpochRecord::epoch));
    }

    /** The node Cairn routes writes to, as of the last round. */
    public String primary() {
        return lastPrimary;
    }

    private record Probed(Node node, EpochRecord epoch, long noTx) {
    }

    public Observation observe(long atMillis) throws InterruptedException {
        List<Future<Probed>> futures = new ArrayList<>();
        for (NodeSql n : nodes) {
            futures.add(pool.submit(() -> probe(n)));
        }
        List<Node> out = new ArrayList<>();
        Map<String, EpochRecord> epochs = new HashMap<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        for (int i = 0; i < nodes.size(); i++) {
            NodeSql n = nodes.get(i);
            Probed p;
            try {
                p = futures.get(i).get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                futures.get(i).cancel(true);
                p = new Probed(down(n), null, -1);
            }
            out.add(p.node());
            if (p.epoch() != null) {
                epochs.put(n.name(), p.epoch());
            }
        }
        lastEpochs = Map.copyOf(epochs);
        String primary = choosePrimary(out, epochs);
        String analysis = analyse(out, primary);
        return new Observation(atMillis, analysis, primary, out);
    }

    private String choosePrimary(List<Node> probed, Map<String, EpochRecord> epochs) {
        Node best = null;
        long bestEpoch = -1;
        for (Node n : probed) {
            if (n.reachable() && !n.replica() && !n.readOnly()) {
                long e = epochs.containsKey(n.name()) ? epochs.get(n.name()).epoch() : 0;
                // Another node's copy of the record can name a newer primary than this one's own row.
                Optional<EpochRecord> newest = epochs.values().stream().max(java.util.Comparator.comparingLong(EpochRecord::epoch));
                if (newest.isPresent() && newest.get().epoch() > e && !newest.get().primary().equals(n.name())) {
                    continue;
                }
                if (e > bestEpoch) {
                    best = n;
                    bestEpoch = e;
                }
            }
        }
        if (best != null) {
            lastPrimary = best.name();
        } else {
            Optional<EpochRecord> newest = epochs.values().stream().max(java.util.Comparator.comparingLong(EpochRecord::epoch));
            if (newest.isPresent() && lastPrimary != null && !newest.get().primary().equals(lastPrimary)
                    && probed.stream().anyMatch(x -> x.name().equals(newest.get().primary()))) {
                lastPrimary = newest.get().primary();
            }
        }
        return lastPrimary;
    }

    private static String analyse(List<Node> probed, String primary) {
        if (primary == null) {
            return "NoPrimary";
        }
        Node p = probed.stream().filter(n -> n.name().equals(primary)).findFirst().orElse(null);
        if (p == null || p.reachable()) {
            return Observation.NO_PROBLEM;
        }
        List<Node> others = probed.stream().filter(n -> !n.name().equals(primary)).toList();
        List<Node> reached = others.stream().filter(Node::reachable).toList();
        if (reached.isEmpty()) {
            return "DeadPrimaryAndReplicas";
        }
        if (reached.stream().anyMatch(n -> n.replica() && n.ioRunning())) {
            return Observation.UNREACHABLE_PRIMARY;
        }
        return reached.size() == others.size() ? Observation.DEAD_PRIMARY : Observation.DEAD_PRIMARY_AND_SOME_REPLICAS;
    }

    private static Node down(NodeSql n) {
        return new Node(n.name(), n.host(), n.port(), false, false, false, false, null, 0, false, false, false, null,
                null, null, true, SemiSync.NOT_CONFIGURED);
    }

    private Probed probe(NodeSql n) {
        try (Connection c = n.open()) {
            Map<String, String> v = NodeSql.query(c, "SELECT @@read_only AS ro, @@log_bin AS lb, @@log_slave_updates AS lsu,"
                    + " @@gtid_slave_pos AS applied, @@gtid_binlog_pos AS binlog,"
                    + " @@rpl_semi_sync_master_enabled AS semi").get(0);
            Map<String, String> st = NodeSql.slaveStatus(c);
            boolean replica = !st.isEmpty();
            Map<String, String> status = new HashMap<>();
            for (Map<String, String> r : NodeSql.query(c, "SHOW GLOBAL STATUS LIKE 'Rpl_semi_sync_master_%'")) {
                status.put(r.get("Variable_name"), r.get("Value"));
            }
            long noTx = parseLong(status.get("Rpl_semi_sync_master_no_tx"));
            SemiSync semi = SemiSync.NOT_CONFIGURED;
            if ("1".equals(v.get("semi")) && !replica) {
                Long prev = lastNoTx.put(n.name(), noTx);
                boolean on = "ON".equalsIgnoreCase(status.get("Rpl_semi_sync_master_status"));
                semi = on && (prev == null || prev == noTx) ? SemiSync.ON : SemiSync.FELL_BACK;
            }
            EpochRecord epoch = EpochRecord.read(c, cluster).orElse(null);
            boolean filtered = replica && List.of("Replicate_Do_DB", "Replicate_Ignore_DB", "Replicate_Do_Table",
                    "Replicate_Ignore_Table", "Replicate_Wild_Do_Table", "Replicate_Wild_Ignore_Table")
                    .stream().anyMatch(k -> st.get(k) != null && !st.get(k).isBlank());
            String sqlErr = replica ? st.get("Last_SQL_Error") : null;
            Double lag = null;
            if (replica && st.get("Seconds_Behind_Master") != null) {
                lag = Double.parseDouble(st.get("Seconds_Behind_Master"));
            }
            Node node = new Node(n.name(), n.host(), n.port(), true, replica,
                    replica && "Yes".equals(st.get("Slave_IO_Running")),
                    replica && "Yes".equals(st.get("Slave_SQL_Running")),
                    sqlErr == null || sqlErr.isBlank() ? null : sqlErr,
                    replica ? parseLong(st.get("SQL_Delay")) : 0,
                    "1".equals(v.get("lb")) && "1".equals(v.get("lsu")), filtered, false, lag,
                    GtidPosition.parse(replica ? st.get("Gtid_IO_Pos") : v.get("binlog")),
                    GtidPosition.parse(replica ? v.get("applied") : v.get("binlog")),
                    "1".equals(v.get("ro")), semi);
            return new Probed(node, epoch, noTx);
        } catch (SQLException e) {
            if (e.getErrorCode() == 1040 || e.getErrorCode() == 1203) {
                // Too many connections: the server answers, it is busy, not dead.
                return new Probed(new Node(n.name(), n.host(), n.port(), true, false, false, false, null, 0, true, false,
                        false, null, null, null, false, SemiSync.NOT_CONFIGURED), null, -1);
            }
            return new Probed(down(n), null, -1);
        }
    }

    private static long parseLong(String s) {
        try {
            return s == null ? 0 : Long.parseLong(s.trim());
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
