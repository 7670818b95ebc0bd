package dev.cairn.proxy.http;

import dev.cairn.proxy.ProxyMetrics;
import dev.cairn.proxy.balance.Endpoint;
import dev.cairn.proxy.config.PassiveHealthConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Module-wide request settings of one config generation (limits, timeouts, passive health)
 * plus the shared metrics and sticky key. Immutable apart from the metrics it feeds.
 */
public record ProxySettings(int endpointMaxConnections, int queueSize, long queueTimeoutMillis,
                            long connectTimeoutMillis, int serverTimeoutMillis, PassiveHealthConfig passive,
                            ProxyMetrics metrics, StickyCookie sticky) {

    private static final Logger log = LoggerFactory.getLogger(ProxySettings.class);

    /** Counts a failed request against the endpoint; ejects it at the threshold. */
    public void passiveFailure(Endpoint e) {
        if (passive.failures() <= 0) return;
        if (e.recordFailure(passive.failures(), passive.window().toNanos(), passive.ejectFor().toNanos(), System.nanoTime())) {
            metrics.ejections.labelValues(e.service(), e.name()).inc();
            log.atWarn().addKeyValue("error_id", "CAIRN-PROXY-0002").addKeyValue("service", e.service())
                    .addKeyValue("endpoint", e.name())
                    .log("endpoint {} of service {} ejected for {} after {} consecutive failures of live requests",
                            e.name(), e.service(), passive.ejectFor(), passive.failures());
        }
    }

    public void passiveSuccess(Endpoint e) {
        e.recordSuccess();
    }
}
