package dev.cairn.cluster;

import dev.cairn.spi.cluster.ClusterMembership;
import dev.cairn.spi.cluster.NodeSpec;
import dev.cairn.spi.config.Doc;
import dev.cairn.spi.config.Range;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** {@code cluster:} the nodes that share this config file, and the virtual IPs they move between them. */
public record ClusterConfig(
        @Doc(value = "Cluster name, shown on status pages and bound into every advert.", dflt = "cairn")
        String name,
        @Doc(value = "Every node of the cluster (name, address, priority).", required = true)
        List<NodeConfig> nodes,
        @Doc(value = "File holding the shared secret (first line signs adverts; every line is accepted, for rotation). Required with 2+ nodes.")
        Path secretFile,
        @Doc(value = "UDP port of the adverts on every node (a node may override it with nodes[].port).", dflt = "5798")
        @Range(min = 1, max = 65535)
        int port,
        @Doc(value = "Virtual IPs to move between the nodes.", dflt = "[]")
        List<VipConfig> vips,
        @Doc(value = "Interval between adverts (VRRP advert_int, whose default is 1s); 20ms..10s. Master down = 3 × interval + skew.",
                dflt = "250ms")
        Duration advertInterval,
        @Doc(value = "A node with a higher priority takes a VIP back from a live lower-priority master.", dflt = "true")
        boolean preempt,
        @Doc(value = "How long a higher priority must last before preempting.", dflt = "0s")
        Duration preemptDelay,
        @Doc(value = "Catalog services or local modules whose health lowers this node's priority or puts it in FAULT.", dflt = "[]")
        List<TrackConfig> track,
        @Doc(value = "auto (majority with 3+ nodes, witness when set, else none), majority, witness or none.", dflt = "auto")
        QuorumMode quorum,
        @Doc(value = "With quorum witness: an IP to ping (ICMP) or host:port to connect to; a node that cannot reach it never holds a VIP.")
        String witness,
        @Doc(value = "How VIPs are added and removed on this node.", dflt = "{}")
        DriverConfig driver,
        @Doc(value = "Commands run (sh -c) after every VIP state transition, with CAIRN_* variables describing it.", dflt = "[]")
        List<String> notifyHooks) implements ClusterMembership {

    /**
     * Default advert interval: a crash costs about master-down (3 × 250 ms + skew ≈ 0.85 s), and
     * the lease (625 ms) outlasts a 300 ms stop-the-world pause of the master plus one interval.
     * VRRP's (and keepalived's) default is 1 s, for a 3.4 s master-down.
     */
    public static final Duration ADVERT_INTERVAL = Duration.ofMillis(250);
    public static final Duration MIN_ADVERT_INTERVAL = Duration.ofMillis(20);
    public static final Duration MAX_ADVERT_INTERVAL = Duration.ofSeconds(10);

    public ClusterConfig {
        if (advertInterval != null
                && (advertInterval.compareTo(MIN_ADVERT_INTERVAL) < 0 || advertInterval.compareTo(MAX_ADVERT_INTERVAL) > 0)) {
            throw new IllegalArgumentException("advert_interval " + advertInterval.toMillis() + "ms is out of range 20ms..10s");
        }
        if (preemptDelay != null && preemptDelay.isNegative()) {
            throw new IllegalArgumentException("preempt_delay must not be negative");
        }
    }

    /** Where quorum is decided, with auto resolved against the node count and witness. */
    public QuorumMode effectiveQuorum() {
        if (quorum != QuorumMode.AUTO) return quorum;
        if (witness != null && !witness.isBlank()) return QuorumMode.WITNESS;
        return nodes.size() >= 3 ? QuorumMode.MAJORITY : QuorumMode.NONE;
    }

    public NodeConfig node(String nodeName) {
        return nodes.stream().filter(n -> n.name().equals(nodeName)).findFirst().orElse(null);
    }

    /** The UDP port node {@code n} listens on. */
    public int portOf(NodeConfig n) {
        return n.port() > 0 ? n.port() : port;
    }

    @Override
    public String clusterName() {
        return name;
    }

    @Override
    public List<NodeSpec> members() {
        return nodes.stream().map(n -> new NodeSpec(n.name(), n.address())).toList();
    }
}
