package dev.cairn.cluster.election;

import dev.cairn.cluster.advert.VipState;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/**
 * The cluster's metric families, registered once per module instance and unregistered on close,
 * so a module restarted in the same JVM registers them again without clashing.
 */
public final class ClusterMetrics implements AutoCloseable {

    /** Results of an incoming advert, the label values of cairn_cluster_adverts_total. */
    public static final String[] RESULTS = {"ok", "bad_hmac", "replay", "stale_epoch", "malformed", "unknown_peer", "wrong_cluster"};

    private final PrometheusRegistry registry;
    final Gauge vipState;
    final Counter transitions;
    final Gauge peerUp;
    final Counter adverts;
    final Gauge hashMismatch;
    final Gauge epoch;

    public ClusterMetrics(PrometheusRegistry registry) {
        this.registry = registry;
        vipState = Gauge.builder().name("cairn_vip_state")
                .help("1 for the state this node is in for the VIP (INIT, BACKUP, CLAIMING, MASTER, FAULT), else 0")
                .labelNames("vip", "state").register(registry);
        transitions = Counter.builder().name("cairn_vip_transitions")
                .help("VIP state transitions of this node, by the state entered").labelNames("vip", "state").register(registry);
        peerUp = Gauge.builder().name("cairn_cluster_peer_up")
                .help("1 while valid adverts arrive from the peer within its master-down time").labelNames("peer").register(registry);
        adverts = Counter.builder().name("cairn_cluster_adverts")
                .help("Adverts received, by result (ok, bad_hmac, replay, stale_epoch, malformed, unknown_peer, wrong_cluster)")
                .labelNames("result").register(registry);
        hashMismatch = Gauge.builder().name("cairn_cluster_config_hash_mismatch")
                .help("Number of live peers running a config file whose hash differs from this node's").register(registry);
        epoch = Gauge.builder().name("cairn_vip_epoch")
                .help("Highest election epoch this node knows for the VIP").labelNames("vip").register(registry);
        for (String r : RESULTS) adverts.labelValues(r);
        hashMismatch.set(0);
    }

    void state(String vip, VipState state) {
        for (VipState s : VipState.values()) {
            vipState.labelValues(vip, s.name()).set(s == state ? 1 : 0);
        }
    }

    void transition(String vip, VipState to) {
        transitions.labelValues(vip, to.name()).inc();
    }

    void forgetVip(String vip) {
        for (VipState s : VipState.values()) {
            vipState.remove(vip, s.name());
            transitions.remove(vip, s.name());
        }
        epoch.remove(vip);
    }

    void advert(String result) {
        adverts.labelValues(result).inc();
    }

    @Override
    public void close() {
        registry.unregister(vipState);
        registry.unregister(transitions);
        registry.unregister(peerUp);
        registry.unregister(adverts);
        registry.unregister(hashMismatch);
        registry.unregister(epoch);
    }
}
