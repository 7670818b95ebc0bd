package dev.cairn.replication.failover;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * The right to change one cluster's topology, granted by the database servers themselves (as
 * MaxScale's cooperative monitoring): {@code GET_LOCK('cairn.failover.CLUSTER', 0)} held on a
 * strict majority of the voters, each on its own connection, for as long as the recovery runs.
 * Two Cairn nodes (or two monitors in one process) can never both hold a majority, because any
 * two majorities of the same voters share a server and a named lock has one owner per server.
 * A node that cannot reach a majority never acts. The locks live exactly as long as their
 * connections: a crashed Cairn node's lease ends when the server drops its connections, and a
 * hung hook cannot end it early (the connections stay open while the recovery waits for it).
 *
 * <p>Voters: for a failover, every node but the dead primary (counting the dead primary, as
 * MaxScale's {@code majority_of_all}, would forbid any failover of a three-node cluster that also
 * lost a replica); for a switchover, every node. Either majority shares a replica with the other,
 * so a failover and a switchover started by two Cairn nodes still exclude each other.
 * Not thread-safe; {@link #close()} releases every lock.
 */
public final class DecisionLease implements AutoCloseable {

    private final List<Connection> held;
    private final List<String> grantedBy;

    private DecisionLease(List<Connection> held, List<String> grantedBy) {
        this.held = held;
        this.grantedBy = grantedBy;
    }

    /** The lock's name for a cluster. */
    public static String lockName(String cluster) {
        return "cairn.failover." + cluster;
    }

    /**
     * Tries to take the lock on every voter; returns the lease when a strict majority granted it,
     * else releases what it got and throws.
     */
    public static DecisionLease acquire(String cluster, List<NodeSql> voters) throws NoMajorityException {
        List<Connection> got = new ArrayList<>();
        List<String> by = new ArrayList<>();
        List<String> refused = new ArrayList<>();
        for (NodeSql n : voters) {
            Connection c = null;
            try {
                c = n.open();
                String r = NodeSql.value(c, "SELECT GET_LOCK(" + NodeSql.quote(lockName(cluster)) + ", 0)");
                if ("1".equals(r)) {
                    got.add(c);
                    by.add(n.name());
                    c = null;
                } else {
                    refused.add(n.name() + " (held by another Cairn)");
                }
            } catch (SQLException e) {
                refused.add(n.name() + " (" + e.getMessage() + ")");
            } finally {
                closeQuietly(c);
            }
        }
        int need = voters.size() / 2 + 1;
        if (got.size() < need) {
            got.forEach(DecisionLease::closeQuietly);
            throw new NoMajorityException("decision lease for cluster " + cluster + ": " + got.size() + " of "
                    + voters.size() + " servers granted it, " + need + " needed; refused by " + refused);
        }
        return new DecisionLease(got, List.copyOf(by));
    }

    /** The servers whose lock this lease holds. */
    public List<String> grantedBy() {
        return grantedBy;
    }

    @Override
    public void close() {
        for (Connection c : held) {
            closeQuietly(c);
        }
        held.clear();
    }

    private static void closeQuietly(Connection c) {
        if (c != null) {
            try {
                c.close();
            } catch (SQLException ignored) {
                // closing drops the lock server-side anyway
            }
        }
    }

    /** No majority of the voters granted the lease: another Cairn acts, or this one is cut off. */
    public static final class NoMajorityException extends Exception {
        public NoMajorityException(String message) {
            super(message);
        }
    }
}
