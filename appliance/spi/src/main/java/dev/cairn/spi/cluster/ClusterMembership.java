package dev.cairn.spi.cluster;

import java.util.List;

/**
 * Implemented by the config record of the module that owns the {@code cluster:} section. The host
 * uses it to know which node it is: {@code --node NAME}, or the one node whose address is on
 * this machine.
 */
public interface ClusterMembership {

    /** The cluster's name, shown on status pages. */
    String clusterName();

    /** Every node of the cluster, in config order. */
    List<NodeSpec> members();
}
