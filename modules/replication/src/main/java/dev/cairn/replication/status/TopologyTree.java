package dev.cairn.replication.status;

import dev.cairn.replication.probe.NodeState;
import dev.cairn.replication.probe.ReplicaChannel;
import dev.cairn.replication.topology.Finding;
import dev.cairn.replication.topology.NodeView;
import dev.cairn.replication.topology.TopologySnapshot;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * A snapshot as the text tree {@code cairn replication status} prints: the primary, its replicas
 * under it (a replica's own replicas under that), then nodes outside the tree, then findings.
 */
public final class TopologyTree {

    private TopologyTree() {
    }

    public static String render(TopologySnapshot s) {
        StringBuilder b = new StringBuilder();
        b.append("cluster ").append(s.cluster()).append(": primary ").append(s.primary() == null ? "(none)" : s.primary())
                .append(", analysis ").append(String.join(", ", SnapshotJson.analysis(s))).append('\n');
        Set<String> shown = new HashSet<>();
        if (s.primary() != null) {
            s.primaryNode().ifPresent(p -> walk(s, p, "", "", b, shown));
        }
        for (NodeView v : s.nodes()) {
            if (!shown.contains(v.name())) walk(s, v, "", "", b, shown);
        }
        if (!s.findings().isEmpty()) {
            b.append("findings:\n");
            for (Finding f : s.findings()) b.append("  ").append(f).append('\n');
        }
        return b.toString();
    }

    private static void walk(TopologySnapshot s, NodeView v, String first, String rest, StringBuilder b, Set<String> shown) {
        if (!shown.add(v.name())) return;
        b.append(first).append(line(v)).append('\n');
        List<NodeView> children = new ArrayList<>();
        for (NodeView c : s.nodes()) {
            if (v.name().equals(c.source()) && !shown.contains(c.name())) children.add(c);
        }
        for (int i = 0; i < children.size(); i++) {
            boolean last = i == children.size() - 1;
            walk(s, children.get(i), rest + (last ? "└─ " : "├─ "), rest + (last ? "   " : "│  "), b, shown);
        }
    }

    static String line(NodeView v) {
        NodeState st = v.state();
        StringBuilder b = new StringBuilder();
        b.append(v.name()).append(" [").append(v.address()).append("] ").append(v.role().name().toLowerCase(Locale.ROOT));
        if (!st.up()) {
            b.append(", ").append(st.reach().name().toLowerCase(Locale.ROOT)).append(": ").append(st.error());
            return b.toString();
        }
        if (st.version() != null) b.append(", ").append(st.version().shortName());
        b.append(Boolean.TRUE.equals(st.readOnly()) ? ", read_only" : ", writable");
        ReplicaChannel ch = st.channel();
        if (ch != null) {
            b.append(", io ").append(ch.io().name().toLowerCase(Locale.ROOT)).append(" sql ").append(ch.sqlRunning() ? "yes" : "no");
            b.append(", lag ").append(v.lagSeconds() == null ? "unknown"
                    : String.format(Locale.ROOT, "%.1fs", v.lagSeconds()) + (v.lagFromHeartbeat() ? " (heartbeat)" : " (SBM)"));
            b.append(", sbm ").append(ch.secondsBehind() == null ? "NULL" : ch.secondsBehind().toString());
            b.append(", received ").append(ch.receivedGtid().isEmpty() ? "-" : ch.receivedGtid());
            b.append(", applied ").append(ch.appliedGtid().isEmpty() ? "-" : ch.appliedGtid());
            if (v.source() == null) b.append(", source ").append(ch.source()).append(" (outside the cluster)");
        } else {
            b.append(", gtid ").append(st.gtidBinlog() == null || st.gtidBinlog().isEmpty() ? "-" : st.gtidBinlog());
        }
        return b.toString();
    }
}
