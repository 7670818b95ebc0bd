package dev.cairn.dns.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.snapshots.ClassicHistogramBucket;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot.HistogramDataPointSnapshot;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class StripedHistogramTest {

    private static final double[] BOUNDS = {0.00001, 0.0001, 0.001, 0.01};

    @Test
    void exposesWhatTheClientLibrarysHistogramExposesForTheSameObservations() throws InterruptedException {
        StripedHistogram striped = new StripedHistogram("t_seconds", "help", 1e-9, BOUNDS, "zone");
        Histogram reference = Histogram.builder().name("t_seconds").help("help").labelNames("zone").classicOnly()
                .classicUpperBounds(BOUNDS).build();
        StripedHistogram.Child child = striped.labelValues("a.");
        // Several threads at once (they land on different stripes), values on and between the bounds.
        long[] values = {0, 10_000, 10_001, 99_999, 100_000, 5_000_000, 10_000_000, 2_000_000_000L};
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            Thread th = new Thread(() -> {
                for (int i = 0; i < 1000; i++) {
                    for (long v : values) child.observe(v);
                }
            });
            threads.add(th);
            th.start();
        }
        for (Thread th : threads) th.join();
        for (int i = 0; i < 4000; i++) {
            for (long v : values) reference.labelValues("a.").observe(v / 1e9);
        }

        HistogramSnapshot got = striped.collect();
        HistogramSnapshot want = reference.collect();
        assertThat(got.getMetadata().getName()).isEqualTo(want.getMetadata().getName());
        HistogramDataPointSnapshot g = got.getDataPoints().get(0);
        HistogramDataPointSnapshot w = want.getDataPoints().get(0);
        assertThat((Object) g.getLabels()).isEqualTo(w.getLabels());
        assertThat(g.getCount()).isEqualTo(w.getCount()).isEqualTo(32_000);
        assertThat(g.getSum()).isCloseTo(w.getSum(), org.assertj.core.data.Offset.offset(1e-6));
        assertThat(buckets(g)).isEqualTo(buckets(w));
    }

    @Test
    void aDataPointIsCreatedOncePerLabelValues() {
        StripedHistogram h = new StripedHistogram("s_bytes", "help", 1, new double[] {100, 200}, "zone", "proto");
        h.labelValues("a.", "udp").observe(150);
        h.labelValues("a.", "udp").observe(250);
        h.labelValues("a.", "tcp").observe(50);
        assertThat(h.collect().getDataPoints()).hasSize(2);
        HistogramDataPointSnapshot udp = h.collect().getDataPoints().stream()
                .filter(p -> p.getLabels().get("proto").equals("udp")).findFirst().orElseThrow();
        assertThat(buckets(udp)).containsExactly("100.0=0", "200.0=1", "Infinity=1");
        assertThat(udp.getSum()).isEqualTo(400);
    }

    private static List<String> buckets(HistogramDataPointSnapshot p) {
        List<String> out = new ArrayList<>();
        for (ClassicHistogramBucket b : p.getClassicBuckets()) out.add(b.getUpperBound() + "=" + b.getCount());
        return out;
    }
}
