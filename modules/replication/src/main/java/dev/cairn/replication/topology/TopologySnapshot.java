package dev.cairn.replication.topology;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The state of one cluster after one probe round: immutable, safe to hand to any thread. The
 * failover code (part 2) decides from a sequence of these.
 *
 * @param seq increases by one per round of this cluster's monitor
 * @param primary name of the primary (possibly unreachable), null when none could be identified
 * @param nodes every configured node, in config order
 * @param analysis the cluster's codes; empty means no problem
 */
public record TopologySnapshot(
        String cluster,
        long seq,
        Instant at,
        String primary,
        List<NodeView> nodes,
        List<Finding> findings,
        Set<AnalysisCode> analysis) {

    public TopologySnapshot {
        nodes = List.copyOf(nodes);
        findings = List.copyOf(findings);
        analysis = Set.copyOf(analysis);
    }

    public Optional<NodeView> node(String name) {
        return nodes.stream().filter(n -> n.name().equals(name)).findFirst();
    }

    public Optional<NodeView> primaryNode() {
        return primary == null ? Optional.empty() : node(primary);
    }

    public List<NodeView> replicas() {
        return nodes.stream().filter(n -> n.role() == Role.REPLICA).toList();
    }

    public boolean has(AnalysisCode code) {
        return analysis.contains(code);
    }

    /** Findings of one node. */
    public List<Finding> findings(String node) {
        return findings.stream().filter(f -> node.equals(f.node())).toList();
    }
}
