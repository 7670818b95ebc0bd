package dev.cairn.proxy;

import dev.cairn.proxy.balance.Backend;
import dev.cairn.proxy.balance.Endpoint;
import dev.cairn.spi.catalog.CheckStats;
import dev.cairn.spi.catalog.Health;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot.HistogramDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The proxy's figures again under HAProxy 2.x's built-in Prometheus exporter's names, types and
 * labels ({@code haproxy_frontend_*{proxy}}, {@code haproxy_backend_*{proxy}},
 * {@code haproxy_server_*{proxy,server}}; listener = frontend, service = backend, endpoint =
 * server), so the dashboards and alert rules written for HAProxy fill unchanged. Nothing is
 * counted twice: every value is read at scrape time from the {@code cairn_proxy_*} counters and
 * the live listeners and backends. Only families Cairn can fill truthfully are served (see the
 * module's README); averages are over the process's life, where HAProxy averages its last 1024
 * requests.
 *
 * <p>Thread-safe; {@link #setEnabled} switches it at the next scrape.
 */
final class HaproxyMetrics implements MultiCollector {

    /** HAProxy's server states; Cairn never reports MAINT or NOLB but serves the series as HAProxy does. */
    private static final String[] SERVER_STATES = {"UP", "DOWN", "MAINT", "DRAIN", "NOLB"};

    /** HAProxy 2.6's check_status label values, in its order; Cairn's checks end in L4*, L7* or SOCKERR. */
    private static final String[] CHECK_STATES = {"HANA", "SOCKERR", "L4OK", "L4TOUT", "L4CON", "L6OK", "L6TOUT",
        "L6RSP", "L7TOUT", "L7RSP", "L7OK", "L7OKC", "L7STS", "PROCERR", "PROCTOUT", "PROCOK"};

    private static final List<String> NAMES = List.of(
            "haproxy_process_start_time_seconds", "haproxy_process_uptime_seconds", "haproxy_process_nbthread",
            "haproxy_process_current_connections",
            "haproxy_frontend_status", "haproxy_frontend_current_sessions", "haproxy_frontend_bytes_in",
            "haproxy_frontend_bytes_out", "haproxy_frontend_http_requests", "haproxy_frontend_http_responses",
            "haproxy_frontend_denied_connections", "haproxy_frontend_requests_denied",
            "haproxy_backend_status", "haproxy_backend_active_servers", "haproxy_backend_backup_servers",
            "haproxy_backend_current_queue", "haproxy_backend_current_sessions", "haproxy_backend_weight",
            "haproxy_backend_http_requests", "haproxy_backend_http_responses", "haproxy_backend_retry_warnings",
            "haproxy_backend_redispatch_warnings", "haproxy_backend_response_time_average_seconds",
            "haproxy_backend_connect_time_average_seconds", "haproxy_backend_total_time_average_seconds",
            "haproxy_server_status", "haproxy_server_weight", "haproxy_server_uweight", "haproxy_server_current_sessions",
            "haproxy_server_http_responses", "haproxy_server_check_failures", "haproxy_server_check_up_down",
            "haproxy_server_downtime_seconds", "haproxy_server_check_status", "haproxy_server_check_duration_seconds",
            "haproxy_server_check_last_change_seconds");

    private final ProxyMetrics metrics;
    private final ProxyMetrics.Source source;
    private final int threads;
    private volatile boolean enabled;

    HaproxyMetrics(ProxyMetrics metrics, ProxyMetrics.Source source, int threads, boolean enabled) {
        this.metrics = metrics;
        this.source = source;
        this.threads = threads;
        this.enabled = enabled;
    }

    void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }

    @Override
    public List<String> getPrometheusNames() {
        return NAMES;
    }

    @Override
    public MetricSnapshots collect() {
        if (!enabled) return MetricSnapshots.of();
        List<MetricSnapshot> out = new ArrayList<>();
        long now = System.nanoTime();
        List<ProxyMetrics.ListenerStats> listeners = List.copyOf(source.listeners());
        List<Backend> backends = List.copyOf(source.backends());

        double start = ManagementFactory.getRuntimeMXBean().getStartTime() / 1000.0;
        out.add(gauge("haproxy_process_start_time_seconds", "Start time in seconds.", Map.of(Labels.EMPTY, start)));
        out.add(gauge("haproxy_process_uptime_seconds", "How long ago this worker process was started (seconds).",
                Map.of(Labels.EMPTY, Math.floor(System.currentTimeMillis() / 1000.0 - start))));
        out.add(gauge("haproxy_process_nbthread", "Number of started threads (global.nbthread).",
                Map.of(Labels.EMPTY, (double) threads)));
        out.add(gauge("haproxy_process_current_connections", "Number of active sessions.",
                Map.of(Labels.EMPTY, listeners.stream().mapToDouble(ProxyMetrics.ListenerStats::activeConnections).sum())));

        // Frontends: one per listener.
        Map<Labels, Double> status = new LinkedHashMap<>();
        Map<Labels, Double> sessions = new LinkedHashMap<>();
        Map<Labels, Double> in = new LinkedHashMap<>();
        Map<Labels, Double> outBytes = new LinkedHashMap<>();
        for (ProxyMetrics.ListenerStats l : listeners) {
            status.put(Labels.of("proxy", l.name(), "state", "UP"), 1.0);
            status.put(Labels.of("proxy", l.name(), "state", "DOWN"), 0.0);
            sessions.put(Labels.of("proxy", l.name()), (double) l.activeConnections());
            in.put(Labels.of("proxy", l.name()), (double) l.bytesIn());
            outBytes.put(Labels.of("proxy", l.name()), (double) l.bytesOut());
        }
        out.add(gauge("haproxy_frontend_status", "Current status of the service.", status));
        out.add(gauge("haproxy_frontend_current_sessions", "Number of current sessions on the frontend, backend or server",
                sessions));
        out.add(counter("haproxy_frontend_bytes_in", "Total number of request bytes since process started", in));
        out.add(counter("haproxy_frontend_bytes_out", "Total number of response bytes since process started", outBytes));
        out.add(counter("haproxy_frontend_http_requests", "Total number of HTTP requests processed by this object since the worker process started",
                relabel(metrics.frontendRequests, "listener", "proxy")));
        out.add(counter("haproxy_frontend_http_responses", "Total number of HTTP responses with status 100-199 returned by this object since the worker process started",
                relabel(metrics.frontendResponses, "listener", "proxy")));
        // An HTTP listener's allow/deny answers each refused request with a 403, as HAProxy's
        // "http-request deny" does (requests_denied); a TCP forward's closes the connection, as
        // "tcp-request connection reject" does (denied_connections). Both start at 0 per frontend.
        Map<Labels, Double> deniedRequests = new LinkedHashMap<>();
        Map<Labels, Double> deniedConnections = new LinkedHashMap<>();
        for (ProxyMetrics.ListenerStats l : listeners) {
            deniedRequests.put(Labels.of("proxy", l.name()), 0.0);
            deniedConnections.put(Labels.of("proxy", l.name()), 0.0);
        }
        relabel(metrics.denied, "listener", "proxy").forEach((l, v) ->
                (l.get("proxy").startsWith("tcp ") ? deniedConnections : deniedRequests).merge(l, v, Double::sum));
        out.add(counter("haproxy_frontend_denied_connections", "Total number of incoming connections blocked on a listener/frontend by a tcp-request connection rule since the worker process started",
                deniedConnections));
        out.add(counter("haproxy_frontend_requests_denied", "Total number of denied requests since process started",
                deniedRequests));

        // Backends: one per service; servers: one per endpoint.
        Map<Labels, Double> bStatus = new LinkedHashMap<>();
        Map<Labels, Double> active = new LinkedHashMap<>();
        Map<Labels, Double> backup = new LinkedHashMap<>();
        Map<Labels, Double> queue = new LinkedHashMap<>();
        Map<Labels, Double> bSessions = new LinkedHashMap<>();
        Map<Labels, Double> bWeight = new LinkedHashMap<>();
        Map<Labels, Double> sStatus = new LinkedHashMap<>();
        Map<Labels, Double> sWeight = new LinkedHashMap<>();
        Map<Labels, Double> sSessions = new LinkedHashMap<>();
        Map<Labels, Double> failures = new LinkedHashMap<>();
        Map<Labels, Double> upDown = new LinkedHashMap<>();
        Map<Labels, Double> downtime = new LinkedHashMap<>();
        Map<Labels, Double> lastChange = new LinkedHashMap<>();
        Map<Labels, Double> checkStatus = new LinkedHashMap<>();
        Map<Labels, Double> checkDuration = new LinkedHashMap<>();
        long wall = System.currentTimeMillis() / 1000;
        for (Backend b : backends) {
            Labels proxy = Labels.of("proxy", b.service());
            int usable = 0;
            double weight = 0;
            double inFlight = 0;
            for (Endpoint e : b.endpoints()) {
                boolean up = e.usable(now);
                if (up) {
                    usable++;
                    weight += e.weight();
                }
                inFlight += e.active();
                String state = up ? "UP" : e.view().drained() && e.view().health() == Health.UP ? "DRAIN" : "DOWN";
                for (String s : SERVER_STATES) {
                    sStatus.put(Labels.of("proxy", b.service(), "server", e.name(), "state", s), s.equals(state) ? 1.0 : 0.0);
                }
                Labels server = Labels.of("proxy", b.service(), "server", e.name());
                sWeight.put(server, (double) e.weight());
                sSessions.put(server, (double) e.active());
                CheckStats cs = source.checkStats(b.service(), e.name()).orElse(null);
                if (cs != null) { // HAProxy serves the check families only for servers with a check
                    failures.put(server, (double) cs.failures());
                    upDown.put(server, (double) cs.upToDown());
                    downtime.put(server, Math.floor(cs.downtime().toMillis() / 1000.0));
                    lastChange.put(server, (double) Math.max(0, wall - e.view().since().getEpochSecond()));
                    for (String c : CHECK_STATES) {
                        checkStatus.put(Labels.of("proxy", b.service(), "server", e.name(), "state", c),
                                cs.lastStatus().filter(c::equals).isPresent() ? 1.0 : 0.0);
                    }
                    cs.lastDuration().ifPresent(d -> checkDuration.put(server, d.toNanos() / 1e9));
                }
            }
            bStatus.put(Labels.of("proxy", b.service(), "state", "UP"), usable > 0 ? 1.0 : 0.0);
            bStatus.put(Labels.of("proxy", b.service(), "state", "DOWN"), usable > 0 ? 0.0 : 1.0);
            active.put(proxy, (double) usable);
            backup.put(proxy, 0.0);
            queue.put(proxy, (double) b.queueLength());
            bSessions.put(proxy, inFlight);
            bWeight.put(proxy, weight);
        }
        out.add(gauge("haproxy_backend_status", "Current status of the service.", bStatus));
        out.add(gauge("haproxy_backend_active_servers", "Total number of active UP servers with a non-zero weight", active));
        out.add(gauge("haproxy_backend_backup_servers", "Total number of backup UP servers with a non-zero weight", backup));
        out.add(gauge("haproxy_backend_current_queue", "Number of current queued connections", queue));
        out.add(gauge("haproxy_backend_current_sessions", "Number of current sessions on the frontend, backend or server",
                bSessions));
        out.add(gauge("haproxy_backend_weight", "Server's effective weight, or sum of active servers' effective weights for a backend",
                bWeight));
        Map<Labels, Double> backendResponses = relabel(metrics.backendResponses, "service", "proxy");
        out.add(counter("haproxy_backend_http_requests", "Total number of HTTP requests processed by this object since the worker process started",
                sumBy(backendResponses, "proxy")));
        out.add(counter("haproxy_backend_http_responses", "Total number of HTTP responses with status 100-199 returned by this object since the worker process started",
                backendResponses));
        out.add(counter("haproxy_backend_retry_warnings", "Total number of server connection retries since the worker process started",
                relabel(metrics.retries, "service", "proxy")));
        out.add(counter("haproxy_backend_redispatch_warnings", "Total number of server redispatches due to connection failures since the worker process started",
                relabel(metrics.redispatches, "service", "proxy")));
        out.add(gauge("haproxy_backend_response_time_average_seconds", "Avg. response time for last 1024 successful connections.",
                averages(metrics.responseTime, "service")));
        out.add(gauge("haproxy_backend_connect_time_average_seconds", "Avg. connect time for last 1024 successful connections.",
                averages(metrics.connectTime, "service")));
        out.add(gauge("haproxy_backend_total_time_average_seconds", "Avg. total time for last 1024 successful connections.",
                averages(metrics.requestDuration, "service")));

        out.add(gauge("haproxy_server_status", "Current status of the service, per state label value.", sStatus));
        out.add(gauge("haproxy_server_weight", "Server's effective weight, or sum of active servers' effective weights for a backend",
                sWeight));
        out.add(gauge("haproxy_server_uweight", "Server's user weight, or sum of active servers' user weights for a backend",
                sWeight));
        out.add(gauge("haproxy_server_current_sessions", "Number of current sessions on the frontend, backend or server",
                sSessions));
        Map<Labels, Double> serverResponses = new LinkedHashMap<>();
        for (CounterDataPointSnapshot p : metrics.serverResponses.collect().getDataPoints()) {
            serverResponses.put(Labels.of("proxy", p.getLabels().get("service"), "server", p.getLabels().get("endpoint"),
                    "code", p.getLabels().get("code")), p.getValue());
        }
        out.add(counter("haproxy_server_http_responses", "Total number of HTTP responses with status 100-199 returned by this object since the worker process started",
                serverResponses));
        out.add(counter("haproxy_server_check_failures", "Total number of failed individual health checks per server/backend, since the worker process started",
                failures));
        out.add(counter("haproxy_server_check_up_down", "Total number of failed checks causing UP to DOWN server transitions, per server/backend, since the worker process started",
                upDown));
        out.add(gauge("haproxy_server_check_last_change_seconds", "How long ago the last server state changed, in seconds",
                lastChange));
        out.add(counter("haproxy_server_downtime_seconds", "Total time spent in DOWN state, for server or backend", downtime));
        out.add(gauge("haproxy_server_check_status", "Status of last health check, per state label value.", checkStatus));
        out.add(gauge("haproxy_server_check_duration_seconds", "Total duration of the latest server health check, in seconds.",
                checkDuration));
        return new MetricSnapshots(out);
    }

    /** The data points of {@code counter} with label {@code from} renamed {@code to} (other labels kept). */
    private static Map<Labels, Double> relabel(Counter counter, String from, String to) {
        Map<Labels, Double> out = new LinkedHashMap<>();
        for (CounterDataPointSnapshot p : counter.collect().getDataPoints()) {
            out.merge(rename(p.getLabels(), from, to), p.getValue(), Double::sum);
        }
        return out;
    }

    private static Labels rename(Labels labels, String from, String to) {
        List<String> names = new ArrayList<>();
        List<String> values = new ArrayList<>();
        for (int i = 0; i < labels.size(); i++) {
            names.add(labels.getName(i).equals(from) ? to : labels.getName(i));
            values.add(labels.getValue(i));
        }
        return Labels.of(names, values);
    }

    private static Map<Labels, Double> sumBy(Map<Labels, Double> points, String label) {
        Map<Labels, Double> out = new LinkedHashMap<>();
        points.forEach((l, v) -> out.merge(Labels.of(label, l.get(label)), v, Double::sum));
        return out;
    }

    /** Sum over count per value of {@code label} (0 before the first observation), summed over other labels. */
    private static Map<Labels, Double> averages(Histogram histogram, String label) {
        Map<String, double[]> sumCount = new LinkedHashMap<>();
        for (HistogramDataPointSnapshot p : histogram.collect().getDataPoints()) {
            String key = p.getLabels().get(label);
            if (key == null || key.isEmpty()) continue;
            double[] sc = sumCount.computeIfAbsent(key, k -> new double[2]);
            sc[0] += p.hasSum() ? p.getSum() : 0;
            sc[1] += p.getCount();
        }
        Map<Labels, Double> out = new LinkedHashMap<>();
        sumCount.forEach((k, sc) -> out.put(Labels.of("proxy", k), sc[1] == 0 ? 0 : sc[0] / sc[1]));
        return out;
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
