package dev.cairn.cluster;

import dev.cairn.spi.error.ErrorId;

/** The cluster module's error ids. */
public enum ClusterErrors implements ErrorId {
    ADVERT_REJECTED("CAIRN-CLUSTER-0001", "An advert was rejected: bad HMAC (another secret), a replay, an unknown node or another cluster's name; logged at most once per advert interval.",
            "Compare cluster.secret_file, cluster.name and cluster.nodes on every node (docs/runbooks/cluster.md); during a secret rotation the old secret is still accepted for the overlap."),
    QUORUM_LOST("CAIRN-CLUSTER-0002", "The VIP's holder lost the acknowledgements of a majority of the nodes and released the VIP, so a partitioned minority never keeps it.",
            "Check the network between the nodes (cairn status shows each peer's last advert); the VIP comes back once a majority is reachable."),
    VIP_DRIVER_FAILED("CAIRN-CLUSTER-0003", "The VIP driver could not add or remove a VIP (ip addr add/del or the script driver failed): the node goes FAULT for 10 intervals so another node takes the VIP.",
            "Read the driver's message: permissions (CAP_NET_ADMIN), the interface name, or the script's exit status and output."),
    ARPING_MISSING("CAIRN-CLUSTER-0004", "No arping is installed: VIPs are added without gratuitous ARP, so neighbours may keep sending to the old holder until their ARP cache expires.",
            "Install iputils-arping (the .deb recommends it); without it a takeover is seen by neighbours only when their ARP cache entry expires."),
    ELECTION_LOOP_FAILED("CAIRN-CLUSTER-0005", "An internal error in the election loop; the loop goes on with the next event.",
            "A bug if it repeats: report it with the log line and its stack trace."),
    CAPABILITY_MISSING("CAIRN-CLUSTER-0006", "The linux VIP driver needs CAP_NET_ADMIN (add and remove VIPs) and CAP_NET_RAW (gratuitous ARP) and the process lacks one: the module does not start.",
            "Run Cairn from the packaged unit (it grants both), or grant them (setcap / AmbientCapabilities); with driver type none or script neither is needed.");

    private final String id;
    private final String meaning;
    private final String action;

    ClusterErrors(String id, String meaning, String action) {
        this.id = id;
        this.meaning = meaning;
        this.action = action;
    }

    @Override public String id() { return id; }
    @Override public String meaning() { return meaning; }
    @Override public String action() { return action; }
}
