package dev.cairn.replication.failover;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.model.registry.Collector;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.List;

/**
 * The failover's metrics, labelled by cluster: failovers by result ({@code success}, {@code failed},
 * {@code refused}), when the last one finished, how long it took, the cluster's epoch, and how many
 * nodes accept writes (alert when above 1). Register once per registry; thread-safe.
 */
public final class FailoverMetrics implements AutoCloseable {

    /** Values of the {@code result} label. */
    public static final List<String> RESULTS = List.of("success", "failed", "refused");

    private final PrometheusRegistry registry;
    final Counter failovers;
    final Gauge lastTimestamp;
    final Gauge duration;
    final Gauge epoch;
    final Gauge writablePrimaries;

    public FailoverMetrics(PrometheusRegistry registry) {
        this.registry = registry;
        failovers = Counter.builder().name("cairn_replication_failovers")
                .help("Primary failovers and switchovers by result (success, failed, refused)")
                .labelNames("cluster", "result").withoutExemplars().build();
        lastTimestamp = Gauge.builder().name("cairn_replication_last_failover_timestamp_seconds")
                .help("When the last failover or switchover finished (Unix time)").labelNames("cluster").build();
        duration = Gauge.builder().name("cairn_replication_failover_duration_seconds")
                .help("How long the last failover or switchover took, from the decision to publication")
                .labelNames("cluster").build();
        epoch = Gauge.builder().name("cairn_replication_epoch")
                .help("The cluster's failover epoch (grows by one per promotion)").labelNames("cluster").build();
        writablePrimaries = Gauge.builder().name("cairn_replication_writable_primaries")
                .help("Nodes of the cluster that accept writes (read_only=OFF, not replicating); more than 1 is a split brain")
                .labelNames("cluster").build();
        for (Collector c : List.<Collector>of(failovers, lastTimestamp, duration, epoch, writablePrimaries)) {
            registry.register(c);
        }
    }

    /** Creates the cluster's series (counters at 0) so alerts see them before the first event. */
    public void declare(String cluster) {
        for (String r : RESULTS) {
            failovers.labelValues(cluster, r);
        }
        epoch.labelValues(cluster);
        writablePrimaries.labelValues(cluster);
    }

    void finished(String cluster, String result, long atMillis, double seconds) {
        failovers.labelValues(cluster, result).inc();
        if (!"refused".equals(result)) {
            lastTimestamp.labelValues(cluster).set(atMillis / 1000.0);
            duration.labelValues(cluster).set(seconds);
        }
    }

    @Override
    public void close() {
        for (Collector c : List.<Collector>of(failovers, lastTimestamp, duration, epoch, writablePrimaries)) {
            registry.unregister(c);
        }
    }
}
