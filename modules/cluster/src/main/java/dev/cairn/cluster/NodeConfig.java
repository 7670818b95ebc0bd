package dev.cairn.cluster;

import dev.cairn.spi.config.Doc;
import dev.cairn.spi.config.Range;

/** {@code cluster.nodes[]}: one node of the cluster. */
public record NodeConfig(
        @Doc(value = "Node name, unique in the cluster; what --node selects.", required = true, restart = true)
        String name,
        @Doc(value = "The node's IP address: adverts are sent from and to it; a node started without --node finds itself by it.",
                required = true, restart = true)
        String address,
        @Doc(value = "VIP election priority, 1..254 (higher wins, ties go to the higher address), as in keepalived.", dflt = "100")
        @Range(min = 1, max = 254)
        int priority,
        @Doc(value = "This node's advert UDP port when it differs from cluster.port (0: cluster.port).", dflt = "0")
        @Range(min = 0, max = 65535)
        int port) {
}
