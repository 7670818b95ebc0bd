package dev.cairn.replication.probe;

/** Whether a node answered its probe. */
public enum Reach {
    /** Answered every query the probe needs (grants may still be missing for some). */
    UP,
    /**
     * Answered but refused the session: too many connections, access denied. The server is
     * alive, so this is never evidence of a dead primary.
     */
    REFUSING,
    /** No answer: port refused, connect or read timeout, or the probe did not finish in time. */
    DOWN
}
