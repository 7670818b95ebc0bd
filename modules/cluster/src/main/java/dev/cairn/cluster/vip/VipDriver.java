package dev.cairn.cluster.vip;

import dev.cairn.cluster.VipConfig;

/**
 * Takes and releases a VIP on this node. Called from one thread (the cluster's driver thread),
 * so an implementation need not be thread-safe; a call may block for the length of a command.
 */
public interface VipDriver {

    /** Makes this node answer for the VIP (add it, announce it). Throws when it could not. */
    void acquire(VipConfig vip) throws Exception;

    /** Stops answering for the VIP. Idempotent: releasing a VIP not held is not an error. */
    void release(VipConfig vip) throws Exception;

    /** Announces again a VIP this node holds (gratuitous ARP / unsolicited NA), e.g. after a partition heals. */
    default void announce(VipConfig vip) throws Exception {
    }

    /** Whether this node holds the VIP right now, as far as the driver can tell; null when it cannot tell. */
    default Boolean holds(VipConfig vip) {
        return null;
    }

    /** Stops background work (scheduled announcements). */
    default void close() {
    }

    /** The driver that only elects: for clusters that use notify hooks or the status alone. */
    VipDriver NONE = new VipDriver() {
        @Override
        public void acquire(VipConfig vip) {
        }

        @Override
        public void release(VipConfig vip) {
        }
    };
}
