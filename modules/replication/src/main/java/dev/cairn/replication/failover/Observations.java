package dev.cairn.replication.failover;

import dev.cairn.replication.failover.Observation.Node;
import dev.cairn.replication.failover.Observation.SemiSync;
import dev.cairn.replication.probe.NodeState;
import dev.cairn.replication.probe.Reach;
import dev.cairn.replication.probe.IoState;
import dev.cairn.replication.probe.ReplicaChannel;
import dev.cairn.replication.topology.AnalysisCode;
import dev.cairn.replication.topology.Finding;
import dev.cairn.replication.topology.NodeView;
import dev.cairn.replication.topology.TopologySnapshot;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns the monitor's {@link TopologySnapshot}s into the failover's {@link Observation}s. Keeps
 * the primary's semi-sync {@code no_tx} counter between rounds, so a round in which a commit went
 * unacknowledged counts as a fallback even when semi-sync switched itself back on. One instance
 * per cluster, used from one thread.
 *
 * <p>A node that refuses sessions (too many connections, access denied) answered: as the primary
 * it is alive; as a replica its facts are unknown, so it is neither evidence nor a candidate.
 */
public final class Observations {

    private final Map<String, Long> lastNoTx = new HashMap<>();

    public Observation from(TopologySnapshot s) {
        List<Node> nodes = new ArrayList<>();
        for (NodeView v : s.nodes()) {
            nodes.add(node(s, v));
        }
        return new Observation(s.at().toEpochMilli(), code(s), s.primary(), nodes);
    }

    static String code(TopologySnapshot s) {
        for (AnalysisCode c : List.of(AnalysisCode.DEAD_PRIMARY, AnalysisCode.DEAD_PRIMARY_AND_SOME_REPLICAS,
                AnalysisCode.DEAD_PRIMARY_AND_REPLICAS, AnalysisCode.UNREACHABLE_PRIMARY, AnalysisCode.NO_PRIMARY)) {
            if (s.has(c)) {
                return c.code();
            }
        }
        return s.analysis().isEmpty() ? Observation.NO_PROBLEM
                : s.analysis().stream().map(AnalysisCode::code).sorted().findFirst().orElseThrow();
    }

    private Node node(TopologySnapshot s, NodeView v) {
        NodeState st = v.state();
        boolean isPrimary = v.name().equals(s.primary());
        boolean reachable = st.reach() == Reach.UP || (isPrimary && st.reach() == Reach.REFUSING);
        ReplicaChannel ch = st.up() ? st.channel() : null;
        boolean replica = ch != null;
        boolean errant = s.findings(v.name()).stream().anyMatch(f -> f.kind() == Finding.Kind.ERRANT_GTID);
        String sqlError = ch != null && ch.lastSqlErrno() != 0 ? ch.lastSqlError() : null;
        GtidPosition received = parse(replica ? ch.receivedGtid() : st.gtidBinlog());
        GtidPosition applied = parse(replica ? ch.appliedGtid() : st.gtidBinlog());
        if (replica && applied.isEmpty()) {
            applied = parse(st.gtidApplied());
        }
        return new Node(v.name(), v.address().host(), v.address().port(), reachable, replica,
                ch != null && ch.io() == IoState.YES, ch != null && ch.sqlRunning(), sqlError,
                ch == null ? 0 : ch.sqlDelay(),
                !Boolean.FALSE.equals(st.logBin()) && !Boolean.FALSE.equals(st.logReplicaUpdates()),
                ch != null && !ch.filters().isEmpty(), errant, v.lagSeconds(), received, applied,
                !Boolean.FALSE.equals(st.readOnly()), isPrimary && st.up() ? semiSync(v.name(), st) : SemiSync.NOT_CONFIGURED);
    }

    private SemiSync semiSync(String name, NodeState st) {
        String enabled = st.semiSyncVariables().get("rpl_semi_sync_master_enabled");
        if (enabled == null || !(enabled.equalsIgnoreCase("ON") || enabled.equals("1"))) {
            return SemiSync.NOT_CONFIGURED;
        }
        String status = st.semiSyncStatus().get("rpl_semi_sync_master_status");
        long noTx = parseLong(st.semiSyncStatus().get("rpl_semi_sync_master_no_tx"));
        Long prev = lastNoTx.put(name, noTx);
        boolean on = status != null && (status.equalsIgnoreCase("ON") || status.equals("1"));
        return on && (prev == null || prev == noTx) ? SemiSync.ON : SemiSync.FELL_BACK;
    }

    private static GtidPosition parse(String text) {
        try {
            return GtidPosition.parse(text == null ? "" : text.replace("\n", ""));
        } catch (IllegalArgumentException e) {
            return GtidPosition.EMPTY; // MySQL UUID sets: this failover speaks MariaDB GTID only
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
