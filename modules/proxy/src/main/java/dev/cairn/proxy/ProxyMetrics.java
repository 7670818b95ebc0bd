package dev.cairn.proxy;

import dev.cairn.proxy.balance.Backend;
import dev.cairn.proxy.balance.Endpoint;
import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.datapoints.DistributionDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.Collector;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * The proxy's metrics, named after HAProxy's exporter (frontend = listener, backend = service,
 * server = endpoint) under {@code cairn_proxy_}, and the same figures under HAProxy's own names
 * ({@link HaproxyMetrics}). Registered in the constructor, removed by {@link #unregister}; one
 * instance per module start. Thread-safe.
 */
public final class ProxyMetrics {

    private static final double[] LATENCY_BUCKETS = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
    public static final String[] CODE_CLASSES = {"1xx", "2xx", "3xx", "4xx", "5xx", "other"};

    private final PrometheusRegistry registry;
    private final List<Collector> registered = new ArrayList<>();
    private final List<MultiCollector> registeredMulti = new ArrayList<>();
    private final HaproxyMetrics haproxy;

    public final Counter frontendRequests;
    public final Counter frontendResponses;
    public final Counter backendResponses;
    public final Counter serverResponses;
    public final Histogram requestDuration;
    public final Histogram connectTime;
    public final Histogram responseTime;
    public final Counter retries;
    public final Counter redispatches;
    public final Counter ejections;
    public final Counter denied;
    public final Counter tcpConnections;
    public final Counter tcpBytesIn;
    public final Counter tcpBytesOut;

    /** What the callback metrics read: live listeners and backends. */
    public interface Source {
        Collection<Backend> backends();

        Collection<ListenerStats> listeners();

        int tcpActive(String bind);

        Collection<String> tcpBinds();

        /** Access-log lines dropped because stdout did not keep up. */
        default long accessLogDropped() {
            return 0;
        }

        /** The TLS certificates each listener serves, with their expiry. */
        default Collection<CertificateExpiry> certificates() {
            return List.of();
        }

        /** The catalog's active-check figures of one endpoint; empty without a check. */
        default java.util.Optional<dev.cairn.spi.catalog.CheckStats> checkStats(String service, String endpoint) {
            return java.util.Optional.empty();
        }
    }

    /** One served certificate: its listener, its first name (or subject), its notAfter. */
    public record CertificateExpiry(String listener, String certificate, long notAfterEpochSeconds) {
    }

    /** Connection figures of one listener, from Undertow's connector statistics. */
    public record ListenerStats(String name, long activeConnections, long bytesIn, long bytesOut, long fastPathRequests) {
    }

    /**
     * @param haproxyFamilies serve the haproxy_* families too (proxy.haproxy_metrics)
     * @param threads IO threads, for haproxy_process_nbthread
     */
    ProxyMetrics(PrometheusRegistry registry, Source source, boolean haproxyFamilies, int threads) {
        this.registry = registry;
        frontendRequests = add(Counter.builder().name("cairn_proxy_frontend_http_requests")
                .help("HTTP requests received per listener").labelNames("listener").withoutExemplars().build());
        frontendResponses = add(Counter.builder().name("cairn_proxy_frontend_http_responses")
                .help("HTTP responses sent per listener by status class").labelNames("listener", "code").withoutExemplars().build());
        backendResponses = add(Counter.builder().name("cairn_proxy_backend_http_responses")
                .help("HTTP responses per service by status class (including 503 when no endpoint is available)")
                .labelNames("service", "code").withoutExemplars().build());
        serverResponses = add(Counter.builder().name("cairn_proxy_server_http_responses")
                .help("HTTP responses per endpoint by status class").labelNames("service", "endpoint", "code").withoutExemplars().build());
        requestDuration = add(Histogram.builder().name("cairn_proxy_http_request_duration_seconds")
                .help("Time from request received to response complete").classicOnly()
                .classicUpperBounds(LATENCY_BUCKETS).labelNames("listener", "service").withoutExemplars().build());
        connectTime = add(Histogram.builder().name("cairn_proxy_server_connect_time_seconds")
                .help("Time to get a connection to an endpoint (pooled or new)").classicOnly()
                .classicUpperBounds(LATENCY_BUCKETS).labelNames("service").withoutExemplars().build());
        responseTime = add(Histogram.builder().name("cairn_proxy_server_response_time_seconds")
                .help("Time from connection to the endpoint's response headers").classicOnly()
                .classicUpperBounds(LATENCY_BUCKETS).labelNames("service").withoutExemplars().build());
        retries = add(Counter.builder().name("cairn_proxy_backend_retry_warnings")
                .help("Requests attempted again after a connect failure or reset").labelNames("service").withoutExemplars().build());
        redispatches = add(Counter.builder().name("cairn_proxy_backend_redispatch_warnings")
                .help("Retries sent to a different endpoint than the failed one").labelNames("service").withoutExemplars().build());
        ejections = add(Counter.builder().name("cairn_proxy_server_ejections")
                .help("Times passive health took an endpoint out of rotation").labelNames("service", "endpoint").withoutExemplars().build());
        denied = add(Counter.builder().name("cairn_proxy_frontend_denied_connections")
                .help("Requests or connections refused by allow/deny").labelNames("listener").withoutExemplars().build());
        tcpConnections = add(Counter.builder().name("cairn_proxy_tcp_connections")
                .help("TCP connections accepted per forward").labelNames("bind", "service").withoutExemplars().build());
        tcpBytesIn = add(Counter.builder().name("cairn_proxy_tcp_bytes_in")
                .help("Bytes received from TCP clients").labelNames("bind", "service").withoutExemplars().build());
        tcpBytesOut = add(Counter.builder().name("cairn_proxy_tcp_bytes_out")
                .help("Bytes sent to TCP clients").labelNames("bind", "service").withoutExemplars().build());

        add(GaugeWithCallback.builder().name("cairn_proxy_server_up")
                .help("1 when the endpoint takes new traffic (catalog up, not drained, weight > 0, not ejected)")
                .labelNames("service", "endpoint").callback(cb -> {
                    long now = System.nanoTime();
                    for (Backend b : source.backends()) {
                        for (Endpoint e : b.endpoints()) cb.call(e.usable(now) ? 1 : 0, b.service(), e.name());
                    }
                }).build());
        add(GaugeWithCallback.builder().name("cairn_proxy_server_weight")
                .help("Effective weight from the catalog").labelNames("service", "endpoint").callback(cb -> {
                    for (Backend b : source.backends()) {
                        for (Endpoint e : b.endpoints()) cb.call(e.weight(), b.service(), e.name());
                    }
                }).build());
        add(GaugeWithCallback.builder().name("cairn_proxy_server_current_sessions")
                .help("Requests (or TCP connections) in flight to the endpoint").labelNames("service", "endpoint")
                .callback(cb -> {
                    for (Backend b : source.backends()) {
                        for (Endpoint e : b.endpoints()) cb.call(e.active(), b.service(), e.name());
                    }
                }).build());
        add(GaugeWithCallback.builder().name("cairn_proxy_backend_current_queue")
                .help("Requests waiting for a free endpoint slot").labelNames("service").callback(cb -> {
                    for (Backend b : source.backends()) cb.call(b.queueLength(), b.service());
                }).build());
        add(GaugeWithCallback.builder().name("cairn_proxy_frontend_current_connections")
                .help("Open client connections per listener").labelNames("listener").callback(cb -> {
                    for (ListenerStats l : source.listeners()) cb.call(l.activeConnections(), l.name());
                }).build());
        add(CounterWithCallback.builder().name("cairn_proxy_frontend_bytes_in")
                .help("Bytes received from clients per listener").labelNames("listener").callback(cb -> {
                    for (ListenerStats l : source.listeners()) cb.call(l.bytesIn(), l.name());
                }).build());
        add(CounterWithCallback.builder().name("cairn_proxy_frontend_fast_path_requests")
                .help("Requests the listener's fast path forwarded itself (the rest took Undertow's full path)")
                .labelNames("listener").callback(cb -> {
                    for (ListenerStats l : source.listeners()) cb.call(l.fastPathRequests(), l.name());
                }).build());
        add(CounterWithCallback.builder().name("cairn_proxy_frontend_bytes_out")
                .help("Bytes sent to clients per listener").labelNames("listener").callback(cb -> {
                    for (ListenerStats l : source.listeners()) cb.call(l.bytesOut(), l.name());
                }).build());
        add(CounterWithCallback.builder().name("cairn_proxy_access_log_dropped_lines")
                .help("Access-log lines dropped because the output (stdout) did not keep up; the IO threads never wait for it")
                .callback(cb -> cb.call(source.accessLogDropped())).build());
        add(GaugeWithCallback.builder().name("cairn_proxy_tcp_current_connections")
                .help("Open TCP connections per forward").labelNames("bind").callback(cb -> {
                    for (String b : source.tcpBinds()) cb.call(source.tcpActive(b), b);
                }).build());
        add(GaugeWithCallback.builder().name("cairn_proxy_certificate_expiry_timestamp_seconds")
                .help("When each served TLS certificate expires (notAfter), in seconds since the epoch")
                .labelNames("listener", "certificate").callback(cb -> {
                    for (CertificateExpiry c : source.certificates()) {
                        cb.call(c.notAfterEpochSeconds(), c.listener(), c.certificate());
                    }
                }).build());
        haproxy = new HaproxyMetrics(this, source, threads, haproxyFamilies);
        registry.register(haproxy);
        registeredMulti.add(haproxy);
    }

    /** Turns the haproxy_* families on or off (proxy.haproxy_metrics, live). */
    void haproxyFamilies(boolean enabled) {
        haproxy.setEnabled(enabled);
    }

    private <T extends Collector> T add(T c) {
        registry.register(c);
        registered.add(c);
        return c;
    }

    void unregister() {
        registered.forEach(registry::unregister);
        registered.clear();
        registeredMulti.forEach(registry::unregister);
        registeredMulti.clear();
    }

    /** "2xx" for 200..299 and so on. */
    public static String codeClass(int status) {
        return status >= 100 && status < 600 ? CODE_CLASSES[status / 100 - 1] : "other";
    }

    /** Pre-resolved data points for one route, so the request path does no label lookups. */
    public final class RouteStats {
        public final CounterDataPoint frontendRequests;
        public final CounterDataPoint[] frontendByClass = new CounterDataPoint[CODE_CLASSES.length];
        public final CounterDataPoint[] backendByClass = new CounterDataPoint[CODE_CLASSES.length];
        public final DistributionDataPoint duration;
        public final DistributionDataPoint connect;
        public final DistributionDataPoint response;
        public final CounterDataPoint retries;
        public final CounterDataPoint redispatches;
        public final String service;

        public RouteStats(String listener, String service) {
            this.service = service;
            String svc = service == null ? "" : service;
            frontendRequests = ProxyMetrics.this.frontendRequests.labelValues(listener);
            for (int i = 0; i < CODE_CLASSES.length; i++) {
                frontendByClass[i] = frontendResponses.labelValues(listener, CODE_CLASSES[i]);
                backendByClass[i] = backendResponses.labelValues(svc, CODE_CLASSES[i]);
            }
            duration = requestDuration.labelValues(listener, svc);
            connect = connectTime.labelValues(svc);
            response = responseTime.labelValues(svc);
            retries = ProxyMetrics.this.retries.labelValues(svc);
            redispatches = ProxyMetrics.this.redispatches.labelValues(svc);
        }
    }

    public static int classIndex(int status) {
        return status >= 100 && status < 600 ? status / 100 - 1 : CODE_CLASSES.length - 1;
    }
}
