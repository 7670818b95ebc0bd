package dev.cairn.cluster;

import dev.cairn.spi.cluster.ClusterMembership;
import dev.cairn.spi.cluster.NodeSpec;
import dev.cairn.spi.config.Doc;
import java.util.List;

/** {@code cluster:} the nodes that share this config file. */
public record ClusterConfig(
        @Doc(value = "Cluster name, shown on status pages.", dflt = "cairn")
        String name,
        @Doc(value = "Every node of the cluster (name, address, priority).", required = true, restart = true)
        List<NodeConfig> nodes) implements ClusterMembership {

    @Override
    public String clusterName() {
        return name;
    }

    @Override
    public List<NodeSpec> members() {
        return nodes.stream().map(n -> new NodeSpec(n.name(), n.address())).toList();
    }
}
