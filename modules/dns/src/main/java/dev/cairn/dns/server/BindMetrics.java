package dev.cairn.dns.server;

import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The DNS module's figures under bind_exporter's names, types and labels (prometheus-community/
 * bind_exporter), for the families an authoritative server has data for, so the "Bind9 Exporter
 * Full" dashboard and BIND alert rules fill unchanged. Values are read at scrape time from the
 * {@code cairn_dns_*} counters; nothing is counted twice. One deviation: bind_exporter types
 * {@code bind_zone_serial} as a counter without {@code _total}, which the Prometheus Java client
 * cannot write; it is a gauge here (queries read the same value).
 *
 * <p>Thread-safe; {@link #setEnabled} switches it at the next scrape.
 */
final class BindMetrics implements MultiCollector {

    /** BIND's view name for zones outside any view. */
    static final String DEFAULT_VIEW = "_default";

    private static final List<String> NAMES = List.of("bind_up", "bind_boot_time_seconds", "bind_config_time_seconds",
            "bind_incoming_queries", "bind_incoming_requests", "bind_responses", "bind_response_rcodes", "bind_query_errors",
            "bind_zone_transfer_success", "bind_zone_transfer_rejected", "bind_zone_serial", "bind_worker_threads");

    private final DnsMetrics metrics;
    private final int workerThreads;
    private final double bootTime = System.currentTimeMillis() / 1000.0;
    private volatile double configTime = bootTime;
    private volatile boolean enabled;

    BindMetrics(DnsMetrics metrics, boolean enabled, int workerThreads) {
        this.metrics = metrics;
        this.enabled = enabled;
        this.workerThreads = workerThreads;
    }

    void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }

    void configured(double epochSeconds) {
        configTime = epochSeconds;
    }

    @Override
    public List<String> getPrometheusNames() {
        return NAMES;
    }

    @Override
    public MetricSnapshots collect() {
        if (!enabled) return MetricSnapshots.of();
        List<MetricSnapshot> out = new ArrayList<>();
        out.add(gauge("bind_up", "Was the Bind instance query successful?", Map.of(Labels.EMPTY, 1.0)));
        out.add(gauge("bind_boot_time_seconds", "Start time of the BIND process since unix epoch in seconds.",
                Map.of(Labels.EMPTY, bootTime)));
        out.add(gauge("bind_config_time_seconds", "Time of the last reconfiguration since unix epoch in seconds.",
                Map.of(Labels.EMPTY, configTime)));

        Map<Labels, Double> byType = new LinkedHashMap<>();
        double requests = 0;
        for (CounterDataPointSnapshot p : metrics.requests().collect().getDataPoints()) {
            byType.merge(Labels.of("type", p.getLabels().get("type")), p.getValue(), Double::sum);
            requests += p.getValue();
        }
        out.add(counter("bind_incoming_queries", "Number of incoming DNS queries.", byType));
        // Cairn answers the QUERY opcode only; every request it counts is one.
        out.add(counter("bind_incoming_requests", "Number of incoming DNS requests.",
                Map.of(Labels.of("opcode", "QUERY"), requests)));

        Map<Labels, Double> results = new LinkedHashMap<>();
        for (int i = 0; i < DnsMetrics.RESULTS.length; i++) {
            results.put(Labels.of("result", DnsMetrics.RESULTS[i]), (double) metrics.results[i].sum());
        }
        out.add(counter("bind_responses", "Number of responses sent.", results));

        Map<Labels, Double> rcodes = new LinkedHashMap<>();
        for (CounterDataPointSnapshot p : metrics.responses().collect().getDataPoints()) {
            rcodes.merge(Labels.of("rcode", p.getLabels().get("rcode")), p.getValue(), Double::sum);
        }
        out.add(counter("bind_response_rcodes", "Number of responses sent per RCODE.", rcodes));

        double dropped = 0;
        for (CounterDataPointSnapshot p : metrics.dropped().collect().getDataPoints()) dropped += p.getValue();
        Map<Labels, Double> errors = new LinkedHashMap<>();
        errors.put(Labels.of("error", "Dropped"), dropped);
        errors.put(Labels.of("error", "Failure"), (double) metrics.failures.sum());
        out.add(counter("bind_query_errors", "Number of query failures.", errors));

        double xfrOk = 0;
        double xfrRefused = 0;
        for (CounterDataPointSnapshot p : metrics.transfers().collect().getDataPoints()) {
            if ("ok".equals(p.getLabels().get("result"))) xfrOk += p.getValue();
            else xfrRefused += p.getValue();
        }
        out.add(counter("bind_zone_transfer_success", "Number of successful zone transfers.", Map.of(Labels.EMPTY, xfrOk)));
        out.add(counter("bind_zone_transfer_rejected", "Number of rejected zone transfers.", Map.of(Labels.EMPTY, xfrRefused)));

        Map<Labels, Double> serials = new LinkedHashMap<>();
        for (GaugeDataPointSnapshot p : metrics.serial().collect().getDataPoints()) {
            String zone = p.getLabels().get("zone");
            // BIND names zones without the trailing dot.
            String name = zone.endsWith(".") && zone.length() > 1 ? zone.substring(0, zone.length() - 1) : zone;
            serials.put(Labels.of("view", DEFAULT_VIEW, "zone_name", name), p.getValue());
        }
        out.add(gauge("bind_zone_serial", "Zone serial number.", serials));
        out.add(gauge("bind_worker_threads", "Total number of available worker threads.",
                Map.of(Labels.EMPTY, (double) workerThreads)));
        return new MetricSnapshots(out);
    }

    private static GaugeSnapshot gauge(String name, String help, Map<Labels, Double> points) {
        GaugeSnapshot.Builder b = GaugeSnapshot.builder().name(name).help(help);
        points.forEach((l, v) -> b.dataPoint(GaugeDataPointSnapshot.builder().labels(l).value(v).build()));
        return b.build();
    }

    /** {@code name} without {@code _total}: the text format adds it. */
    private static CounterSnapshot counter(String name, String help, Map<Labels, Double> points) {
        CounterSnapshot.Builder b = CounterSnapshot.builder().name(name).help(help);
        points.forEach((l, v) -> b.dataPoint(CounterDataPointSnapshot.builder().labels(l).value(v).build()));
        return b.build();
    }
}
