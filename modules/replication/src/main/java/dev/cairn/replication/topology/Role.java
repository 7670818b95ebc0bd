package dev.cairn.replication.topology;

/** A node's place in the topology. */
public enum Role {
    /** The node the replicas follow (writable when healthy); at most one per snapshot. */
    PRIMARY,
    /** Replicates from another node. */
    REPLICA,
    /** Answers but replicates from nobody and nobody follows it: not part of the topology. */
    STANDALONE,
    /** Not reachable and never seen: Cairn cannot tell. */
    UNKNOWN
}
