package dev.cairn.cluster.advert;

import java.util.List;
import java.util.Map;

/**
 * One advert: what a node tells every peer once per advert interval (and at once after a
 * change). Unlike VRRP, backups advertise too, so every node knows every candidate's priority
 * and which master each node acknowledges; the acks are what quorum leases are built from.
 *
 * @param cluster the cluster name (an advert for another cluster is rejected)
 * @param node the sender's node name
 * @param configHash hash of the config file the sender runs
 * @param seq the sender's sequence number, strictly increasing, also across restarts (replay protection)
 * @param intervalMillis the sender's advert interval
 * @param shutdown true in the last advert of a node stopping gracefully (VRRP's priority 0)
 * @param acks for each peer, the highest sequence number received from it
 * @param vips the sender's view of each VIP
 */
public record Advert(String cluster, String node, String configHash, long seq, int intervalMillis, boolean shutdown,
                     Map<String, Long> acks, List<VipView> vips) {

    public Advert {
        acks = Map.copyOf(acks);
        vips = List.copyOf(vips);
    }

    /** The sender's view of one VIP. */
    public record VipView(String vip, VipState state, int priority, long epoch, String leader) {
        /** True when the sender claims (or holds) the VIP itself. */
        public boolean claims(String sender) {
            return (state == VipState.MASTER || state == VipState.CLAIMING) && sender.equals(leader);
        }
    }

    public VipView vip(String key) {
        for (VipView v : vips) {
            if (v.vip.equals(key)) return v;
        }
        return null;
    }
}
