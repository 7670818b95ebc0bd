package dev.cairn.cluster;

import dev.cairn.spi.config.Doc;
import dev.cairn.spi.config.Range;

/** {@code cluster.nodes[]}: one node of the cluster. */
public record NodeConfig(
        @Doc(value = "Node name, unique in the cluster; what --node selects.", required = true, restart = true)
        String name,
        @Doc(value = "The node's IP address; a node started without --node finds itself by this address.", required = true, restart = true)
        String address,
        @Doc(value = "VIP election priority, 1..254 (higher wins), as in keepalived.", dflt = "100")
        @Range(min = 1, max = 254)
        int priority) {
}
