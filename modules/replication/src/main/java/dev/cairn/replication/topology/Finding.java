package dev.cairn.replication.topology;

import dev.cairn.replication.ReplicationErrors;

/**
 * One thing wrong with one node (or the cluster when {@code node} is null), with a stable id an
 * operator can search ({@code CAIRN-REPLICATION-01NN}).
 */
public record Finding(Kind kind, String node, String message) {

    /** What is wrong; each has its id. */
    public enum Kind {
        NODE_DOWN(ReplicationErrors.FINDING_NODE_DOWN),
        ACCESS_DENIED(ReplicationErrors.FINDING_ACCESS_DENIED),
        TOO_MANY_CONNECTIONS(ReplicationErrors.FINDING_TOO_MANY_CONNECTIONS),
        MISSING_GRANT(ReplicationErrors.FINDING_MISSING_GRANT),
        WRONG_SOURCE(ReplicationErrors.FINDING_WRONG_SOURCE),
        MULTIPLE_WRITABLE(ReplicationErrors.FINDING_MULTIPLE_WRITABLE),
        REPLICATION_FILTERS(ReplicationErrors.FINDING_REPLICATION_FILTERS),
        BINLOG_OFF(ReplicationErrors.FINDING_BINLOG_OFF),
        LOG_REPLICA_UPDATES_OFF(ReplicationErrors.FINDING_LOG_REPLICA_UPDATES_OFF),
        ERRANT_GTID(ReplicationErrors.FINDING_ERRANT_GTID),
        IO_THREAD_NOT_RUNNING(ReplicationErrors.FINDING_IO_THREAD_NOT_RUNNING),
        SQL_THREAD_NOT_RUNNING(ReplicationErrors.FINDING_SQL_THREAD_NOT_RUNNING),
        REPLICATION_ERROR(ReplicationErrors.FINDING_REPLICATION_ERROR),
        LAGGING(ReplicationErrors.FINDING_LAGGING),
        LAG_ABOVE_MAX(ReplicationErrors.FINDING_LAG_ABOVE_MAX),
        PRIMARY_READ_ONLY(ReplicationErrors.FINDING_PRIMARY_READ_ONLY),
        REPLICA_WRITABLE(ReplicationErrors.FINDING_REPLICA_WRITABLE),
        NOT_REPLICATING(ReplicationErrors.FINDING_NOT_REPLICATING),
        NOT_GTID(ReplicationErrors.FINDING_NOT_GTID),
        SEMI_SYNC_LOCKED(ReplicationErrors.FINDING_SEMI_SYNC_LOCKED);

        private final ReplicationErrors error;

        Kind(ReplicationErrors error) {
            this.error = error;
        }

        public String id() {
            return error.id();
        }

        public ReplicationErrors error() {
            return error;
        }
    }

    @Override
    public String toString() {
        return kind.id() + " " + (node == null ? "" : node + ": ") + message;
    }
}
