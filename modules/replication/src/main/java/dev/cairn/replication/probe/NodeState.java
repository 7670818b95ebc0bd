package dev.cairn.replication.probe;

import dev.cairn.replication.flavour.ServerVersion;
import dev.cairn.spi.config.HostPort;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * What one probe of one node found. Immutable. Fields a failed probe could not read are null
 * (objects) or empty (collections); {@link #error} then says why, with its stable id.
 *
 * @param node the node's name from the config
 * @param reach whether it answered
 * @param error what went wrong, operator-readable with its CAIRN-REPLICATION id; null when all is well
 * @param probeSeconds how long the probe took (up to the deadline when it did not finish)
 * @param readOnly {@code @@read_only} (MySQL: or {@code super_read_only})
 * @param gtidBinlog every transaction in the node's binary log ({@code gtid_binlog_pos} / {@code gtid_executed})
 * @param gtidApplied what replication applied ({@code gtid_slave_pos} / {@code gtid_executed})
 * @param channelsKnown false when the replica status could not be read (missing grant)
 * @param semiSyncStatus {@code Rpl_semi_sync_%} status variables, lower case, when present
 * @param semiSyncVariables {@code rpl_semi_sync_%} system variables, lower case, when present
 * @param heartbeat the newest heartbeat row the node holds, null when none or disabled
 * @param missingGrants operator messages naming each missing grant and the statement needing it
 */
public record NodeState(
        String node,
        HostPort address,
        Instant probedAt,
        Reach reach,
        String error,
        double probeSeconds,
        ServerVersion version,
        Long serverId,
        String serverUuid,
        Boolean readOnly,
        Boolean logBin,
        Boolean logReplicaUpdates,
        String gtidBinlog,
        String gtidApplied,
        List<ReplicaChannel> channels,
        boolean channelsKnown,
        Map<String, String> semiSyncStatus,
        Map<String, String> semiSyncVariables,
        HeartbeatReading heartbeat,
        List<String> missingGrants) {

    public NodeState {
        channels = List.copyOf(channels);
        semiSyncStatus = Map.copyOf(semiSyncStatus);
        semiSyncVariables = Map.copyOf(semiSyncVariables);
        missingGrants = List.copyOf(missingGrants);
    }

    /** A node that did not answer (or refused) with this error. */
    public static NodeState failed(String node, HostPort address, Instant at, Reach reach, String error, double seconds) {
        return new NodeState(node, address, at, reach, error, seconds, null, null, null, null, null, null, null, null,
                List.of(), false, Map.of(), Map.of(), null, List.of());
    }

    public boolean up() {
        return reach == Reach.UP;
    }

    /** The default (or only) replication channel, or null when the node replicates from nobody. */
    public ReplicaChannel channel() {
        return channels.isEmpty() ? null : channels.get(0);
    }

    /** Writable: answered and read_only is off. */
    public boolean writable() {
        return up() && Boolean.FALSE.equals(readOnly);
    }
}
