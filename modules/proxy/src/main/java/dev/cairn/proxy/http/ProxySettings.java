package dev.cairn.proxy.http;

import dev.cairn.proxy.ProxyErrors;
import dev.cairn.proxy.ProxyMetrics;
import dev.cairn.proxy.balance.Endpoint;
import dev.cairn.proxy.config.PassiveHealthConfig;
import dev.cairn.proxy.http.policy.Timeouts;
import dev.cairn.spi.catalog.Catalog;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Module-wide request settings of one config generation (limits, {@link Timeouts}, passive health)
 * plus the shared metrics, sticky key and the catalog (where passive health marks endpoints
 * down). Immutable apart from the metrics it feeds.
 */
public record ProxySettings(int endpointMaxConnections, int queueSize, Timeouts timeouts, PassiveHealthConfig passive,
                            ProxyMetrics metrics, StickyCookie sticky, Catalog catalog) {

    private static final Logger log = LoggerFactory.getLogger(ProxySettings.class);

    /** What went wrong with a live request, for the reason an operator reads. */
    public enum Failure {
        CONNECT_ERROR("connect error"),
        SERVER_ERROR("5xx"),
        TIMEOUT("timeout");

        private final String text;

        Failure(String text) {
            this.text = text;
        }

        /** A 5xx answered to the client: 504 is a timeout, the rest server errors. */
        public static Failure ofStatus(int status) {
            return status == 504 ? TIMEOUT : SERVER_ERROR;
        }
    }

    /**
     * Counts a failed request against the endpoint. At the threshold the endpoint is ejected at
     * once and marked DOWN in the catalog (every module stops using it until its active check
     * passes {@code rise} times, as HAProxy's {@code on-error mark-down}); an endpoint without an
     * active check stays out for {@code eject_for} instead.
     */
    public void passiveFailure(Endpoint e, Failure cause) {
        if (passive.failures() <= 0) return;
        long now = System.nanoTime();
        if (!e.recordFailure(passive.failures(), passive.window().toNanos(), now)) return;
        String reason = passive.failures() + " consecutive failures of live requests (last: " + cause.text + ")";
        boolean markedDown;
        try {
            markedDown = catalog.markDown(e.service(), e.name(), reason);
        } catch (RuntimeException ex) {
            // The catalog is closing (shutdown): a timed ejection is all that is left to do.
            markedDown = false;
        }
        if (markedDown) {
            log.atWarn().addKeyValue("error_id", ProxyErrors.ENDPOINT_EJECTED.id()).addKeyValue("service", e.service())
                    .addKeyValue("endpoint", e.name())
                    .log("endpoint {} of service {} ejected after {}: marked DOWN until its active check passes again",
                            e.name(), e.service(), reason);
        } else {
            e.ejectFor(passive.ejectFor().toNanos(), now);
            log.atWarn().addKeyValue("error_id", ProxyErrors.ENDPOINT_EJECTED.id()).addKeyValue("service", e.service())
                    .addKeyValue("endpoint", e.name())
                    .log("endpoint {} of service {} ejected for {} after {} (the service has no active check)",
                            e.name(), e.service(), passive.ejectFor(), reason);
        }
        // Counted once the catalog has it DOWN (or the timed ejection is set): a scrape never runs ahead.
        metrics.ejections.labelValues(e.service(), e.name()).inc();
    }

    public void passiveSuccess(Endpoint e) {
        e.recordSuccess();
    }
}
