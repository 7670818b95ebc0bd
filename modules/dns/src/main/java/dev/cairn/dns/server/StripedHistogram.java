package dev.cairn.dns.server;

import io.prometheus.metrics.model.registry.Collector;
import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.Exemplars;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricMetadata;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * A classic Prometheus histogram for the per-query path, exposed exactly as the client library's
 * {@code Histogram} with the same bounds would be. Why not that class: its {@code observe} bumps
 * one shared atomic counter per call (for scrape consistency), and with two listener threads
 * that cache line moves between cores on every packet; three histograms per query cost about
 * 0.2 µs, a noticeable share of a cache hit. Here each thread writes its own stripe (chosen by
 * thread id, padded apart), and a scrape sums the stripes. The count is the sum of the buckets,
 * so buckets and count always agree; the sum may trail them by an observation in flight.
 *
 * <p>Observations are longs in a raw unit ({@code scale} converts them to the exposed unit: 1e-9
 * for nanoseconds exposed as seconds, 1 for bytes). Thread-safe.
 */
final class StripedHistogram implements Collector {

    /** Stripes per data point (a power of two): more than the listener threads we expect. */
    private static final int STRIPES = 16;
    /** Longs between stripes, so two threads never write one cache line. */
    private static final int PAD = 8;

    private final String name;
    private final String help;
    private final String[] labelNames;
    /** Upper bounds in the exposed unit, +Inf last. */
    private final double[] bounds;
    /** The same bounds in the raw unit, without +Inf. */
    private final double[] rawBounds;
    private final double scale;
    private final int stride;
    private final Map<List<String>, Child> children = new ConcurrentHashMap<>();

    StripedHistogram(String name, String help, double scale, double[] upperBounds, String... labelNames) {
        this.name = name;
        this.help = help;
        this.labelNames = labelNames.clone();
        this.scale = scale;
        this.bounds = Arrays.copyOf(upperBounds, upperBounds.length + 1);
        this.bounds[upperBounds.length] = Double.POSITIVE_INFINITY;
        this.rawBounds = new double[upperBounds.length];
        for (int i = 0; i < upperBounds.length; i++) rawBounds[i] = upperBounds[i] / scale;
        // Per stripe: one count per bucket (+Inf included), the sum, then padding.
        this.stride = bounds.length + 1 + PAD;
    }

    /** The data point for these label values (created on first use; keep it). */
    Child labelValues(String... values) {
        if (values.length != labelNames.length) {
            throw new IllegalArgumentException(name + " takes " + labelNames.length + " labels");
        }
        return children.computeIfAbsent(List.of(values), v -> new Child(Labels.of(labelNames, values)));
    }

    /** One labelled histogram. */
    final class Child {
        private final Labels labels;
        private final AtomicLongArray cells = new AtomicLongArray(PAD + STRIPES * stride);

        Child(Labels labels) {
            this.labels = labels;
        }

        void observe(long value) {
            int b = 0;
            double v = value;
            while (b < rawBounds.length && v > rawBounds[b]) b++;
            int base = PAD + ((int) Thread.currentThread().getId() & (STRIPES - 1)) * stride;
            cells.getAndIncrement(base + b);
            cells.getAndAdd(base + bounds.length, value);
        }

        HistogramSnapshot.HistogramDataPointSnapshot snapshot() {
            long[] counts = new long[bounds.length];
            long sum = 0;
            for (int s = 0; s < STRIPES; s++) {
                int base = PAD + s * stride;
                for (int b = 0; b < bounds.length; b++) counts[b] += cells.get(base + b);
                sum += cells.get(base + bounds.length);
            }
            return new HistogramSnapshot.HistogramDataPointSnapshot(ClassicHistogramBuckets.of(bounds, counts),
                    sum * scale, labels, Exemplars.EMPTY, 0L);
        }
    }

    @Override
    public HistogramSnapshot collect() {
        List<HistogramSnapshot.HistogramDataPointSnapshot> points = new ArrayList<>(children.size());
        for (Child c : children.values()) points.add(c.snapshot());
        return new HistogramSnapshot(new MetricMetadata(name, help), points);
    }

    @Override
    public String getPrometheusName() {
        return name;
    }
}
