package dev.cairn.replication.topology;

/**
 * One thing wrong with one node (or the cluster when {@code node} is null), with a stable id an
 * operator can search ({@code CAIRN-REPL-01NN}).
 */
public record Finding(Kind kind, String node, String message) {

    /** What is wrong; each has its id. */
    public enum Kind {
        NODE_DOWN("CAIRN-REPL-0101"),
        ACCESS_DENIED("CAIRN-REPL-0102"),
        TOO_MANY_CONNECTIONS("CAIRN-REPL-0103"),
        MISSING_GRANT("CAIRN-REPL-0104"),
        WRONG_SOURCE("CAIRN-REPL-0105"),
        MULTIPLE_WRITABLE("CAIRN-REPL-0106"),
        REPLICATION_FILTERS("CAIRN-REPL-0107"),
        BINLOG_OFF("CAIRN-REPL-0108"),
        LOG_REPLICA_UPDATES_OFF("CAIRN-REPL-0109"),
        ERRANT_GTID("CAIRN-REPL-0110"),
        IO_THREAD_NOT_RUNNING("CAIRN-REPL-0111"),
        SQL_THREAD_NOT_RUNNING("CAIRN-REPL-0112"),
        REPLICATION_ERROR("CAIRN-REPL-0113"),
        LAGGING("CAIRN-REPL-0114"),
        LAG_ABOVE_MAX("CAIRN-REPL-0115"),
        PRIMARY_READ_ONLY("CAIRN-REPL-0116"),
        REPLICA_WRITABLE("CAIRN-REPL-0117"),
        NOT_REPLICATING("CAIRN-REPL-0118"),
        NOT_GTID("CAIRN-REPL-0119"),
        SEMI_SYNC_LOCKED("CAIRN-REPL-0120");

        private final String id;

        Kind(String id) {
            this.id = id;
        }

        public String id() {
            return id;
        }
    }

    @Override
    public String toString() {
        return kind.id() + " " + (node == null ? "" : node + ": ") + message;
    }
}
