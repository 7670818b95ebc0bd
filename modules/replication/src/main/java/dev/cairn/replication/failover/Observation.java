package dev.cairn.replication.failover;

import java.util.List;
import java.util.Optional;

/**
 * One probe round of a cluster, as the failover decision needs it: the analysis code the monitor
 * computed and the facts of every node. Built by the monitor (part 1's topology) or by
 * {@link ClusterProbe}; the decision never does I/O itself.
 *
 * @param atMillis when the round was taken (the decision's clock)
 * @param analysis the cluster's analysis code, e.g. {@link #DEAD_PRIMARY}
 * @param primary the node the cluster currently routes writes to (null when none is known)
 * @param nodes every configured node, in config order
 */
public record Observation(long atMillis, String analysis, String primary, List<Node> nodes) {

    public static final String DEAD_PRIMARY = "DeadPrimary";
    public static final String DEAD_PRIMARY_AND_SOME_REPLICAS = "DeadPrimaryAndSomeReplicas";
    public static final String UNREACHABLE_PRIMARY = "UnreachablePrimary";
    public static final String NO_PROBLEM = "NoProblem";

    public Observation {
        nodes = List.copyOf(nodes);
    }

    /** True for the two codes that may start a failover. */
    public boolean primaryDead() {
        return DEAD_PRIMARY.equals(analysis) || DEAD_PRIMARY_AND_SOME_REPLICAS.equals(analysis);
    }

    public Optional<Node> node(String name) {
        return nodes.stream().filter(n -> n.name().equals(name)).findFirst();
    }

    /** Semi-sync state of a primary, from {@code Rpl_semi_sync_master_status} and its counters. */
    public enum SemiSync {
        /** Semi-sync is not configured on this node. */
        NOT_CONFIGURED,
        /** On, and every commit since the last round was acknowledged by a replica. */
        ON,
        /** Configured but fell back to async (timeout, no replica): commits are not acknowledged. */
        FELL_BACK
    }

    /**
     * One node's facts in this round.
     *
     * @param reachable Cairn's probe got an answer
     * @param ioRunning the replica's IO thread runs and is connected (Slave_IO_Running=Yes)
     * @param sqlRunning the replica's SQL thread runs
     * @param sqlError the last SQL thread error, null when none
     * @param sqlDelaySeconds MASTER_DELAY configured on the replica
     * @param binlog log_bin and log_slave_updates are on (it can serve replicas when promoted)
     * @param filtered it has replication filters (it may lack data)
     * @param errant it has transactions the primary never had
     * @param lagSeconds true lag (heartbeat), null when unknown
     * @param received GTID position received into the relay log ({@code Gtid_IO_Pos})
     * @param applied GTID position applied ({@code @@gtid_slave_pos})
     * @param readOnly {@code @@read_only}
     * @param semiSync semi-sync state when this node is a primary
     */
    public record Node(String name, String host, int port, boolean reachable, boolean replica,
                       boolean ioRunning, boolean sqlRunning, String sqlError, long sqlDelaySeconds,
                       boolean binlog, boolean filtered, boolean errant, Double lagSeconds,
                       GtidPosition received, GtidPosition applied, boolean readOnly, SemiSync semiSync) {

        public Node {
            received = received == null ? GtidPosition.EMPTY : received;
            applied = applied == null ? GtidPosition.EMPTY : applied;
            semiSync = semiSync == null ? SemiSync.NOT_CONFIGURED : semiSync;
        }

        /** The same node, unreachable (every other fact kept as last seen). */
        public Node unreachable() {
            return new Node(name, host, port, false, replica, ioRunning, sqlRunning, sqlError, sqlDelaySeconds,
                    binlog, filtered, errant, lagSeconds, received, applied, readOnly, semiSync);
        }
    }
}
