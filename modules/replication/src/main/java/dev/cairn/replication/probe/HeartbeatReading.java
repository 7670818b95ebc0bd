package dev.cairn.replication.probe;

import java.time.Instant;

/**
 * The newest row of the heartbeat table on one node: which server wrote it and when (UTC, the
 * writer's clock, as pt-heartbeat --utc).
 */
public record HeartbeatReading(long serverId, Instant ts) {
}
