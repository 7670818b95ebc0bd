package dev.cairn.core.catalog;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/** The catalog's metrics: endpoint up and drained, health check failures and durations. Thread-safe. */
final class CatalogMetrics {

    private final Gauge up;
    private final Gauge drained;
    private final Counter failures;
    private final Histogram checkDuration;

    CatalogMetrics(PrometheusRegistry metrics) {
        this.up = Gauge.builder().name("cairn_service_endpoint_up")
                .help("1 when the endpoint passes its health check (or has none), 0 when down")
                .labelNames("service", "endpoint").register(metrics);
        this.drained = Gauge.builder().name("cairn_service_endpoint_drained")
                .help("1 while an operator has drained the endpoint")
                .labelNames("service", "endpoint").register(metrics);
        this.failures = Counter.builder().name("cairn_health_check_failures")
                .help("Failed active health checks")
                .labelNames("service", "endpoint").register(metrics);
        this.checkDuration = Histogram.builder().name("cairn_health_check_duration_seconds")
                .help("Duration of active health checks")
                .classicUpperBounds(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5)
                .labelNames("service").register(metrics);
    }

    /** A configured endpoint's samples; its failure counter is exported as 0 from the start. */
    void endpoint(String service, String endpoint, boolean isUp, boolean isDrained) {
        up.labelValues(service, endpoint).set(isUp ? 1 : 0);
        drained.labelValues(service, endpoint).set(isDrained ? 1 : 0);
        failures.labelValues(service, endpoint);
    }

    /** A published (module-owned) endpoint: only its up gauge. */
    void published(String service, String endpoint, boolean isUp) {
        up.labelValues(service, endpoint).set(isUp ? 1 : 0);
    }

    /** A configured endpoint gone from the config: every sample of it. */
    void removeEndpoint(String service, String endpoint) {
        up.remove(service, endpoint);
        drained.remove(service, endpoint);
        failures.remove(service, endpoint);
    }

    /** A published endpoint gone. */
    void removePublished(String service, String endpoint) {
        up.remove(service, endpoint);
    }

    void checkDone(String service, String endpoint, boolean ok, double seconds) {
        checkDuration.labelValues(service).observe(seconds);
        if (!ok) failures.labelValues(service, endpoint).inc();
    }
}
