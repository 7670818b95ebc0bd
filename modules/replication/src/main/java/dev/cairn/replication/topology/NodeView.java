package dev.cairn.replication.topology;

import dev.cairn.replication.probe.NodeState;
import dev.cairn.spi.config.HostPort;

/**
 * One node in a snapshot: its probe result and what the analysis made of it.
 *
 * @param source name of the node it replicates from (null: none, or an address outside the cluster)
 * @param lagSeconds true lag from the heartbeat (now minus the newest applied heartbeat), else
 *     Seconds_Behind_Master; null when unknown (SQL thread stopped with no heartbeat, node down)
 * @param lagFromHeartbeat true when {@code lagSeconds} came from the heartbeat
 * @param servesReads a healthy replica: replicating, lag known and below max_lag
 */
public record NodeView(
        String name,
        HostPort address,
        Role role,
        NodeState state,
        String source,
        Double lagSeconds,
        boolean lagFromHeartbeat,
        boolean servesReads) {
}
