package dev.cairn.replication.failover;

import dev.cairn.replication.failover.Observation.Node;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * Which replicas may replace the primary, best first, and why the others may not. Pure: a function
 * of the nodes' facts now, their facts in the last round the primary was alive, and the settings.
 *
 * <p>Skipped: {@code promotion.never}, unreachable, not a replica, SQL thread error, delayed
 * ({@code SQL_Delay > 0}), binary log or {@code log_slave_updates} off, replication filters,
 * errant GTIDs, an IO thread that had not been replicating for 10 s or more while the primary was
 * alive ({@link FailoverDecision#IO_BROKEN_GRACE_MS}), and a lag at
 * failure time above {@code max_promotion_lag} (the last two unless forced). Ranked by received
 * GTID position (what is in the relay log: after the drain it will be applied), then applied
 * position, then {@code promotion.prefer}, then config order.
 *
 * @param eligible candidates, best first
 * @param skipped replicas that may not be promoted, each with the reason
 */
public record CandidateRanking(List<Node> eligible, List<Skipped> skipped) {

    /** A replica that was not chosen and why, for the plan and the audit log. */
    public record Skipped(String node, String reason) {
        @Override
        public String toString() {
            return node + ": " + reason;
        }
    }

    public CandidateRanking {
        eligible = List.copyOf(eligible);
        skipped = List.copyOf(skipped);
    }

    /**
     * Ranks the replicas of {@code now} (every node but {@code oldPrimary}).
     *
     * @param beforeFailure each node's facts in the last round the primary was alive (may lack nodes)
     * @param brokenBefore replicas whose IO thread had not been replicating for a while before the failure
     * @param force ignore the lag limit and a replication break that predates the failure
     * @param only when not null, consider only this node (switchover {@code --to})
     */
    public static CandidateRanking rank(Observation now, String oldPrimary, Map<String, Node> beforeFailure,
                                        java.util.Set<String> brokenBefore, FailoverConfig cfg, boolean force, String only) {
        List<Node> ok = new ArrayList<>();
        List<Skipped> skipped = new ArrayList<>();
        List<String> order = now.nodes().stream().map(Node::name).toList();
        for (Node n : now.nodes()) {
            if (n.name().equals(oldPrimary)) {
                continue;
            }
            if (only != null && !only.equals(n.name())) {
                skipped.add(new Skipped(n.name(), "not the requested target " + only));
                continue;
            }
            String why = reason(n, beforeFailure.get(n.name()), brokenBefore.contains(n.name()), cfg, force);
            if (why == null) {
                ok.add(n);
            } else {
                skipped.add(new Skipped(n.name(), why));
            }
        }
        List<String> prefer = cfg.promotion().prefer();
        Comparator<Node> best = Comparator.<Node, GtidPosition>comparing(Node::received).reversed()
                .thenComparing(Comparator.<Node, GtidPosition>comparing(Node::applied).reversed())
                .thenComparingInt(n -> prefer.contains(n.name()) ? prefer.indexOf(n.name()) : Integer.MAX_VALUE)
                .thenComparingInt(n -> order.indexOf(n.name()));
        ok.sort(best);
        return new CandidateRanking(ok, skipped);
    }

    private static String reason(Node n, Node before, boolean broken, FailoverConfig cfg, boolean force) {
        if (cfg.promotion().never().contains(n.name())) return "listed in promotion.never";
        if (!n.reachable()) return "unreachable";
        if (!n.replica()) return "not a replica";
        if (n.sqlError() != null && !n.sqlError().isBlank()) return "SQL thread error: " + n.sqlError();
        if (n.sqlDelaySeconds() > 0) return "delayed replica (SQL_Delay " + n.sqlDelaySeconds() + "s)";
        if (!n.binlog()) return "binary log or log_slave_updates off";
        if (n.filtered()) return "has replication filters";
        if (n.errant()) return "has errant GTIDs (transactions the primary never had)";
        if (force) return null;
        if (broken && before != null && before.reachable() && before.replica() && !before.ioRunning()) {
            return "its IO thread was not replicating while the primary was alive";
        }
        Double lag = before != null && before.lagSeconds() != null ? before.lagSeconds() : null;
        Duration max = cfg.maxPromotionLag();
        if (lag != null && lag * 1000 > max.toMillis()) {
            return String.format(java.util.Locale.ROOT, "lag %.1fs before the failure exceeds max_promotion_lag %ds",
                    lag, max.toSeconds());
        }
        return null;
    }
}
