package dev.cairn.cluster.election;

import dev.cairn.cluster.VipConfig;
import dev.cairn.cluster.advert.Advert;
import dev.cairn.cluster.advert.VipState;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * What {@link ElectionCore#step} asks the caller to do: send, drive the VIP, run hooks, and the
 * metric updates that follow state changes. The caller performs them in order; driver effects
 * ({@link AddVip}, {@link RemoveVip}, {@link AnnounceVip}) run one at a time, in order, and a
 * {@link RemoveVip} is answered with {@link Event.Released}, a failed {@link AddVip} with
 * {@link Event.AcquireFailed}.
 */
public sealed interface Effect {

    /** Send this advert to every peer. */
    record SendAdvert(Advert advert) implements Effect {
    }

    record AddVip(VipConfig vip) implements Effect {
    }

    record RemoveVip(VipConfig vip) implements Effect {
    }

    /** Gratuitous ARP / unsolicited NA again, for a VIP this node holds. */
    record AnnounceVip(VipConfig vip) implements Effect {
    }

    /** Run the notify hooks (in order, off the election thread) with these CAIRN_* variables. */
    record RunHooks(List<String> commands, Map<String, String> env, Duration timeout) implements Effect {
    }

    /** A VIP appeared (config) in this state. */
    record VipAdded(String vip, VipState state) implements Effect {
    }

    /** A VIP was removed from the config. */
    record VipForgotten(String vip) implements Effect {
    }

    record StateChanged(String vip, VipState from, VipState to, String reason, long epoch) implements Effect {
    }

    record EpochKnown(String vip, long epoch) implements Effect {
    }

    record PeerUp(String peer, boolean up) implements Effect {
    }

    record PeerForgotten(String peer) implements Effect {
    }

    /** One incoming advert, by result (a label of cairn_cluster_adverts_total). */
    record AdvertCounted(String result) implements Effect {
    }
}
