package dev.cairn.replication.flavour;

/**
 * A server's GTID position in its flavour's form: MariaDB's {@code domain-server-seq} list (one
 * last sequence number per replication domain) or MySQL's {@code uuid:1-5:7} interval sets.
 * Immutable.
 */
public interface GtidSet {

    boolean isEmpty();

    /** True when every transaction of {@code other} is also in this set. */
    boolean containsAll(GtidSet other);

    /**
     * What this set has that {@code other} does not, in this flavour's notation (empty when
     * {@link #containsAll} of this by other). For MariaDB, per domain: a sequence number beyond
     * other's, or the same number from a different server (a diverged history).
     */
    GtidSet subtract(GtidSet other);

    /**
     * Orders positions of the same history by how far they got: positive when this one has more
     * transactions than {@code other}. Used to rank replicas by received position.
     */
    long progressOver(GtidSet other);

    /** The set in the server's own notation, as a WAIT function accepts it. */
    @Override
    String toString();

    /** Parses {@code text} in {@code flavour}'s notation (empty text is the empty set). */
    static GtidSet parse(Flavour flavour, String text) {
        return flavour == Flavour.MARIADB ? MariaDbGtidPosition.parse(text) : MySqlGtidSet.parse(text);
    }
}
