package dev.cairn.replication.topology;

/**
 * Orchestrator-style analysis of a whole cluster, computed from one snapshot. Part 2
 * (failover) acts on {@link #DEAD_PRIMARY} and {@link #DEAD_PRIMARY_AND_SOME_REPLICAS} only.
 */
public enum AnalysisCode {
    /**
     * Cairn cannot reach the primary AND every replica reaches Cairn and has lost the primary
     * too (IO thread not running or connecting). A stopped SQL thread is no evidence.
     */
    DEAD_PRIMARY("DeadPrimary"),
    /** As DeadPrimary, but some replicas are unreachable too; the reachable ones all lost it. */
    DEAD_PRIMARY_AND_SOME_REPLICAS("DeadPrimaryAndSomeReplicas"),
    /** Cairn reaches no node at all: nothing to judge by (Cairn may be the one cut off). */
    DEAD_PRIMARY_AND_REPLICAS("DeadPrimaryAndReplicas"),
    /** Cairn cannot reach the primary, but some replica still replicates from it. */
    UNREACHABLE_PRIMARY("UnreachablePrimary"),
    /** The primary answers but is read_only: nobody accepts writes. */
    NO_WRITABLE_PRIMARY("NoWritablePrimary"),
    /** More than one node is writable (split brain risk; errant transactions follow). */
    MULTIPLE_WRITABLE_NODES("MultipleWritableNodes"),
    /** The primary answers but none of its reachable replicas replicates (IO or SQL thread down). */
    ALL_REPLICAS_NOT_REPLICATING("AllReplicasNotReplicating"),
    /** Some replica's IO or SQL thread is stopped or failing. */
    REPLICATION_STOPPED("ReplicationStopped"),
    /** Semi-sync is on, no replica acknowledges, and sessions wait: writes hang until the timeout. */
    LOCKED_SEMI_SYNC_PRIMARY("LockedSemiSyncPrimary"),
    /** A replica has transactions the primary never had. */
    ERRANT_GTID("ErrantGtid"),
    /** A replica follows a node other than the primary (or an address outside the cluster). */
    WRONG_SOURCE("WrongSource"),
    /** No node can be identified as the primary. */
    NO_PRIMARY("NoPrimary");

    private final String code;

    AnalysisCode(String code) {
        this.code = code;
    }

    /** The name shown in status and the metric label, e.g. {@code DeadPrimary}. */
    public String code() {
        return code;
    }

    /** The codes on which a failover may act. */
    public boolean primaryIsDead() {
        return this == DEAD_PRIMARY || this == DEAD_PRIMARY_AND_SOME_REPLICAS;
    }
}
