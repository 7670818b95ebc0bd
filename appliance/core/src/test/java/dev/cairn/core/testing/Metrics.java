package dev.cairn.core.testing;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.DataPointSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.UnknownSnapshot;

/** Reads one sample out of a registry, for assertions. */
public final class Metrics {

    private Metrics() {
    }

    /**
     * The value of {@code name} (without {@code _total}) with exactly these labels
     * ({@code "service", "web", ...}); for a histogram, its count; untyped samples too. NaN when absent.
     */
    public static double value(PrometheusRegistry registry, String name, String... labelPairs) {
        Labels want = Labels.of(labelPairs);
        for (MetricSnapshot s : registry.scrape()) {
            if (!s.getMetadata().getName().equals(name)) continue;
            for (DataPointSnapshot p : s.getDataPoints()) {
                if (!p.getLabels().equals(want)) continue;
                if (p instanceof GaugeSnapshot.GaugeDataPointSnapshot g) return g.getValue();
                if (p instanceof CounterSnapshot.CounterDataPointSnapshot c) return c.getValue();
                if (p instanceof HistogramSnapshot.HistogramDataPointSnapshot h) return h.getCount();
                if (p instanceof UnknownSnapshot.UnknownDataPointSnapshot u) return u.getValue();
            }
        }
        return Double.NaN;
    }
}
