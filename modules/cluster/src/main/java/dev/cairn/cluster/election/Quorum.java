package dev.cairn.cluster.election;

import dev.cairn.cluster.ClusterConfig;

/**
 * Who must agree before a node holds a VIP, resolved from {@code cluster.quorum} (auto already
 * decided). A value, so the election core can be driven with any of them in simulated time.
 */
sealed interface Quorum permits Quorum.Majority, Quorum.WitnessReachable, Quorum.Unconditional {

    /** True when a claim (or a held VIP) at {@code acks} acknowledgements (this node included) may hold. */
    boolean holds(int acks, boolean witnessReachable);

    /**
     * True when this node may start a claim: it sees {@code freshContacts} nodes (itself
     * included) with recent adverts. A node that fails this never raises the epoch.
     */
    boolean preVote(int freshContacts, boolean witnessReachable);

    /** True when an unreachable witness puts every VIP of this node in FAULT. */
    default boolean gatesOnWitness() {
        return false;
    }

    /** The lower-case mode name shown on status pages. */
    String label();

    /** A strict majority of {@code nodes} acknowledge the master within its lease. */
    record Majority(int nodes) implements Quorum {
        @Override
        public boolean holds(int acks, boolean witnessReachable) {
            return acks * 2 > nodes;
        }

        @Override
        public boolean preVote(int freshContacts, boolean witnessReachable) {
            return freshContacts * 2 > nodes;
        }

        @Override
        public String label() {
            return "majority";
        }
    }

    /** A 2-node pair: a node holds a VIP only while it can reach the witness. */
    record WitnessReachable() implements Quorum {
        @Override
        public boolean holds(int acks, boolean witnessReachable) {
            return witnessReachable;
        }

        @Override
        public boolean preVote(int freshContacts, boolean witnessReachable) {
            return witnessReachable;
        }

        @Override
        public boolean gatesOnWitness() {
            return true;
        }

        @Override
        public String label() {
            return "witness";
        }
    }

    /** keepalived's behaviour: a master holds its VIP whatever it can see. */
    record Unconditional() implements Quorum {
        @Override
        public boolean holds(int acks, boolean witnessReachable) {
            return true;
        }

        @Override
        public boolean preVote(int freshContacts, boolean witnessReachable) {
            return true;
        }

        @Override
        public String label() {
            return "none";
        }
    }

    static Quorum of(ClusterConfig cfg) {
        return switch (cfg.effectiveQuorum()) {
            case MAJORITY -> new Majority(cfg.nodes().size());
            case WITNESS -> new WitnessReachable();
            default -> new Unconditional();
        };
    }
}
