package dev.cairn.replication;

import dev.cairn.spi.error.ErrorId;

/** The replication module's error ids: 00NN for probe, config and runtime errors, 01NN for findings. */
public enum ReplicationErrors implements ErrorId {
    NODE_UNREACHABLE("CAIRN-REPLICATION-0001", "A node did not answer: its port refused the connection or the network failed.",
            "Check that mysqld runs and listens on the node's host:port, and the network path from this Cairn node."),
    ACCESS_DENIED("CAIRN-REPLICATION-0002", "A node refused the monitor user (wrong user, password or host in the grant). The server is alive.",
            "Check user and password_file against the server's account, e.g. SELECT user, host FROM mysql.user."),
    MISSING_GRANT("CAIRN-REPLICATION-0003", "The monitor user lacks a grant a probe statement needs; the message names the grant and the statement.",
            "Run the GRANT the message names on the node (modules/replication/README.md lists every grant)."),
    REFUSING_SESSIONS("CAIRN-REPLICATION-0004", "A node is alive but refuses new sessions (max_connections or max_user_connections reached).",
            "Find what holds the connections (SHOW PROCESSLIST); Cairn's kept probe connection still answers and no failover follows."),
    PASSWORD_FILE_UNREADABLE("CAIRN-REPLICATION-0005", "A cluster's password_file cannot be read.",
            "Check the path (relative to the config file) and its permissions for the user Cairn runs as."),
    HEARTBEAT_WRITE_FAILED("CAIRN-REPLICATION-0006", "Writing the heartbeat row on the primary failed; lag falls back to Seconds_Behind_Master.",
            "Grant CREATE, INSERT, UPDATE, SELECT on the heartbeat schema to the monitor user, or check the primary's errors."),
    NO_ANSWER("CAIRN-REPLICATION-0007", "A node accepted the connection but did not answer within read_timeout (hung, SIGSTOPped, overloaded, or packets lost).",
            "Check the server (is mysqld stuck? iowait? a long FLUSH TABLES WITH READ LOCK?) and the network."),
    BAD_VERSION("CAIRN-REPLICATION-0008", "A server's @@version holds no x.y.z version, so its flavour and dialect cannot be chosen.",
            "Report the @@version and @@version_comment strings; this server is not supported."),
    PROBE_FAILED("CAIRN-REPLICATION-0009", "A probe failed in an unexpected way (a bug or an answer Cairn cannot read).",
            "Report it with the log line; the node is shown down until a probe succeeds."),
    MONITOR_STOPPED("CAIRN-REPLICATION-0010", "A cluster's monitor loop stopped on an unexpected error: its status no longer updates.",
            "Report it with the log line; a config reload of the cluster or a restart starts the monitor again."),
    STALE_PUBLICATION("CAIRN-REPLICATION-0011", "The catalog holds this cluster's service under a higher epoch than this node's: its view is stale and is not published.",
            "Expected after a failover decided elsewhere; if it persists, check that every Cairn node runs the same config."),
    FINDING_NODE_DOWN("CAIRN-REPLICATION-0101", "Finding: a node of the cluster does not answer.", "See the node's error (0001 or 0007)."),
    FINDING_ACCESS_DENIED("CAIRN-REPLICATION-0102", "Finding: a node refuses the monitor user.", "See CAIRN-REPLICATION-0002."),
    FINDING_TOO_MANY_CONNECTIONS("CAIRN-REPLICATION-0103", "Finding: a node refuses new sessions.", "See CAIRN-REPLICATION-0004."),
    FINDING_MISSING_GRANT("CAIRN-REPLICATION-0104", "Finding: the monitor user lacks a grant on a node.", "See CAIRN-REPLICATION-0003."),
    FINDING_WRONG_SOURCE("CAIRN-REPLICATION-0105", "Finding: a replica follows another node than the primary, or an address outside the cluster.",
            "Point it at the primary by GTID (CHANGE MASTER TO ... MASTER_USE_GTID=slave_pos), or fix the cluster's node list."),
    FINDING_MULTIPLE_WRITABLE("CAIRN-REPLICATION-0106", "Finding: more than one node is writable (read_only off).",
            "Set read_only=ON on every node but the primary: writes on a replica become errant transactions."),
    FINDING_REPLICATION_FILTERS("CAIRN-REPLICATION-0107", "Finding: a replica has replication filters: it does not hold every transaction.",
            "Remove the filters if it may be promoted; part 2 never promotes a filtered replica."),
    FINDING_BINLOG_OFF("CAIRN-REPLICATION-0108", "Finding: a node's binary log is off: it cannot be promoted or be a source.", "Turn on log_bin."),
    FINDING_LOG_REPLICA_UPDATES_OFF("CAIRN-REPLICATION-0109", "Finding: log_slave_updates (log_replica_updates) is off: replicated transactions are not in the node's binary log.",
            "Turn on log_slave_updates so the node can serve as a source after a failover."),
    FINDING_ERRANT_GTID("CAIRN-REPLICATION-0110", "Finding: a replica has transactions the primary never had (written on the replica).",
            "Find them (the message names the GTIDs) and either replay them on the primary or rebuild the replica."),
    FINDING_IO_THREAD_NOT_RUNNING("CAIRN-REPLICATION-0111", "Finding: a replica's IO thread is stopped or connecting (it receives nothing).",
            "See Last_IO_Error in the message; START SLAVE IO_THREAD once the cause is fixed."),
    FINDING_SQL_THREAD_NOT_RUNNING("CAIRN-REPLICATION-0112", "Finding: a replica's SQL thread is stopped: it applies nothing and its lag grows.",
            "See Last_SQL_Error in the message; START SLAVE SQL_THREAD once the cause is fixed."),
    FINDING_REPLICATION_ERROR("CAIRN-REPLICATION-0113", "Finding: a replica reports a replication error.", "See the error in the message."),
    FINDING_LAGGING("CAIRN-REPLICATION-0114", "Finding: a replica lags warn_lag or more.", "Look for long transactions on the primary or a slow replica."),
    FINDING_LAG_ABOVE_MAX("CAIRN-REPLICATION-0115", "Finding: a replica lags max_lag or more and has left the published replicas service.",
            "As for lagging; it returns to the service once under max_lag."),
    FINDING_PRIMARY_READ_ONLY("CAIRN-REPLICATION-0116", "Finding: the primary is read_only: nobody accepts writes.", "SET GLOBAL read_only=OFF on the primary if it should take writes."),
    FINDING_REPLICA_WRITABLE("CAIRN-REPLICATION-0117", "Finding: a replica has read_only off.", "SET GLOBAL read_only=ON on the replica."),
    FINDING_NOT_REPLICATING("CAIRN-REPLICATION-0118", "Finding: a node answers but replicates from nobody and is not the primary.",
            "Point it at the primary, or remove it from the cluster's nodes."),
    FINDING_NOT_GTID("CAIRN-REPLICATION-0119", "Finding: a replica replicates by file and position, not by GTID.",
            "CHANGE MASTER TO MASTER_USE_GTID=slave_pos (MySQL: SOURCE_AUTO_POSITION=1): failover repoints by GTID."),
    FINDING_SEMI_SYNC_LOCKED("CAIRN-REPLICATION-0120", "Finding: semi-sync is on, no replica acknowledges, and sessions wait: writes hang until the timeout.",
            "Bring a semi-sync replica back (START SLAVE IO_THREAD) or lower rpl_semi_sync_master_timeout."),

    // Failover (dev.cairn.replication.failover): 02xx.
    FAILOVER_PASSWORD_FILE("CAIRN-REPLICATION-0201", "failover.replication_password_file cannot be read (config).",
            "Create the file (first line: the replication account's password) or fix the path; it is relative to the config file."),
    UNSAFE_NET_TIMEOUT("CAIRN-REPLICATION-0202", "A replica's slave_net_timeout is above 10s: it notices a silently dead primary only after that long.",
            "SET GLOBAL slave_net_timeout=4 (and in my.cnf); keep MASTER_HEARTBEAT_PERIOD at most half of it."),
    UNSAFE_HEARTBEAT_PERIOD("CAIRN-REPLICATION-0203", "A replica's MASTER_HEARTBEAT_PERIOD is 0 or more than half of slave_net_timeout: an idle primary looks lost.",
            "CHANGE MASTER TO MASTER_HEARTBEAT_PERIOD=1 on the replica."),
    UNSAFE_CONNECT_RETRY("CAIRN-REPLICATION-0204", "A replica's MASTER_CONNECT_RETRY is above 5s: it reconnects slowly after a blip or a repoint.",
            "CHANGE MASTER TO MASTER_CONNECT_RETRY=1 on the replica."),
    LOSSLESS_SEMI_SYNC_OFF("CAIRN-REPLICATION-0205", "durability: lossless, but the primary does not run semi-sync: automatic failover will be refused.",
            "Enable semi-sync (rpl_semi_sync_master_enabled=ON on the primary, rpl_semi_sync_slave_enabled=ON on replicas) or set durability: available."),
    LOSSLESS_AFTER_COMMIT("CAIRN-REPLICATION-0206", "durability: lossless, but rpl_semi_sync_master_wait_point is AFTER_COMMIT: a commit is visible before any replica has it.",
            "SET GLOBAL rpl_semi_sync_master_wait_point=AFTER_SYNC (and in my.cnf)."),
    LOSSLESS_REPLICA_NO_ACK("CAIRN-REPLICATION-0207", "durability: lossless, but a replica has rpl_semi_sync_slave_enabled=OFF: it never acknowledges and may lack acknowledged writes.",
            "SET GLOBAL rpl_semi_sync_slave_enabled=ON, then STOP SLAVE IO_THREAD; START SLAVE IO_THREAD on it."),
    FAILOVER_REFUSED("CAIRN-REPLICATION-0210", "A failover was needed and refused (mode manual, block_period, max_per_hour, lossless without semi-sync or with a replica away that may hold acknowledged writes, no candidate, too few replicas): the failed hooks ran.",
            "Read the reason (cairn replication status); docs/runbooks/mysql-failover.md says what to do for each; cairn replication ack when settled."),
    FAILOVER_FAILED("CAIRN-REPLICATION-0211", "A failover or switchover failed at a step (see the audit log): automatic failover is disabled until ack.",
            "cairn replication status shows the audit log and the failed step; fix the cause, then cairn replication ack or switchover by hand."),
    OLD_PRIMARY_FENCED("CAIRN-REPLICATION-0212", "A node is writable but the cluster's epoch names another primary (an old primary back from the dead): it stays out of the catalog.",
            "Set it read_only now (its direct clients could still write), then cairn replication rejoin CLUSTER NODE."),
    REJOIN_REFUSED("CAIRN-REPLICATION-0213", "rejoin refused: the node has transactions the current primary never had (named in the message).",
            "Inspect them with mariadb-binlog on the node, apply what matters to the primary by hand, rebuild the node from a backup or clone."),
    CONTROL_NOT_STORED("CAIRN-REPLICATION-0214", "The failover control state (block_period, max_per_hour, disabled until ack) could not be written to a server's cairn.failover_control: a restarted or another Cairn node may not see it.",
            "Grant the failover user BINLOG ADMIN (sql_log_bin) and READ_ONLY ADMIN, or SUPER, and CREATE, INSERT, DELETE, SELECT ON cairn.*; the message names the server and the error.");

    private final String id;
    private final String meaning;
    private final String action;

    ReplicationErrors(String id, String meaning, String action) {
        this.id = id;
        this.meaning = meaning;
        this.action = action;
    }

    @Override public String id() { return id; }
    @Override public String meaning() { return meaning; }
    @Override public String action() { return action; }
}
