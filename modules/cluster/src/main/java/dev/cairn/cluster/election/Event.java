package dev.cairn.cluster.election;

import dev.cairn.cluster.ClusterConfig;
import dev.cairn.cluster.TrackConfig;
import dev.cairn.cluster.advert.Advert;
import java.util.Map;

/**
 * What happens to a node, as {@link ElectionCore#step} takes it: time passing, an advert
 * arriving, the VIP driver finishing, a config change. Every time is given by the caller
 * ({@code now}: monotonic nanoseconds; {@code wallMillis}: the wall clock, for sequence numbers
 * and status pages only), so the core never reads a clock.
 */
public sealed interface Event {

    /** Time passed: timers run (master down, leases, claims, the advert interval). */
    record Tick(long now, long wallMillis, long witnessOkNanos) implements Event {
        /** No witness, or it never answered. */
        public static final long NEVER = Long.MIN_VALUE;
    }

    /** An advert that passed the HMAC check arrived. */
    record Received(Advert advert, long now, long wallMillis) implements Event {
    }

    /** One sample of every tracked health (taken by the loop once per interval). */
    record TracksSampled(Map<TrackConfig, Boolean> healthy) implements Event {
    }

    /** The driver could not add the VIP. */
    record AcquireFailed(String vip, String message, long now) implements Event {
    }

    /** The driver finished removing the VIP (successfully or not). */
    record Released(String vip) implements Event {
    }

    /** A reloaded config (VIPs, peers, priorities, timers); state is kept where it still applies. */
    record Reconfigured(ClusterConfig config) implements Event {
    }

    /** A graceful stop begins: every held VIP is released. */
    record Stopping() implements Event {
    }

    /** A graceful stop ends (the VIPs are gone): the shutdown adverts (priority 0) go out. */
    record Shutdown(long now, long wallMillis) implements Event {
    }
}
