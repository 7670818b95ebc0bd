package dev.cairn.metrics;

import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.util.List;

/**
 * The JVM's own metrics (jvm_*, process_*) from prometheus-metrics-instrumentation-jvm, as one
 * collector that can be registered into and removed from the shared registry any number of times.
 *
 * <p>{@code JvmMetrics.register(registry)} registers a dozen collectors that cannot be removed and
 * remembers the registry in a static set (a second call is a no-op). So the JVM metrics live in a
 * private registry, filled once per JVM (they describe the process, not a module instance), and
 * this collector forwards scrapes to it. Thread-safe.
 */
final class JvmCollector implements MultiCollector {

    /** Holder idiom: the JVM collectors are created on first use, exactly once per JVM. */
    private static final class Jvm {
        static final PrometheusRegistry REGISTRY = new PrometheusRegistry();

        static {
            JvmMetrics.builder().register(REGISTRY);
        }
    }

    private final List<String> names;
    private volatile boolean enabled;

    JvmCollector(boolean enabled) {
        this.enabled = enabled;
        this.names = Jvm.REGISTRY.scrape().stream()
                .map(s -> s.getMetadata().getPrometheusName())
                .toList();
    }

    void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }

    @Override
    public MetricSnapshots collect() {
        return enabled ? Jvm.REGISTRY.scrape() : MetricSnapshots.of();
    }

    /** The names the JVM exposed at start, so that the shared registry refuses a second jvm_* owner. */
    @Override
    public List<String> getPrometheusNames() {
        return names;
    }
}
