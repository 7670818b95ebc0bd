package dev.cairn.cluster;

/** Who must agree before a node holds a VIP. */
public enum QuorumMode {
    /** MAJORITY with 3+ nodes, WITNESS when a witness is set, else NONE. */
    AUTO,
    /** A master holds a VIP only while a majority of the nodes acknowledge it within its lease. */
    MAJORITY,
    /** A node holds a VIP only while it can reach the witness address (2-node pairs). */
    WITNESS,
    /** Keepalived's behaviour: a master holds its VIP whatever it can see (split brain is possible). */
    NONE
}
