package dev.cairn.core.catalog;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Runs the active health checks: owns the check threads (a probe blocks one of them for at most
 * its timeout) and stops them on {@link #close}. The catalog decides what the results mean.
 */
final class HealthCheckScheduler implements AutoCloseable {

    /** Check threads: probes are short and bounded by their timeouts. */
    static final int THREADS = 4;

    private final ScheduledExecutorService checkers = Executors.newScheduledThreadPool(THREADS, CatalogRegistry.daemon("cairn-health"));
    private final HealthProbe probe = new HealthProbe();

    /** Runs {@code check} every {@code interval}, the first within one interval (at most 250 ms) so endpoints are not probed in a burst. */
    ScheduledFuture<?> every(Duration interval, Runnable check) {
        long millis = interval.toMillis();
        long first = ThreadLocalRandom.current().nextLong(Math.max(1, Math.min(millis, 250)));
        return checkers.scheduleWithFixedDelay(check, first, millis, TimeUnit.MILLISECONDS);
    }

    /** Probes one endpoint; a probe that throws counts as a failed check. */
    HealthProbe.Result probe(CheckConfig check, String host, int port) {
        try {
            return probe.run(check, host, port);
        } catch (RuntimeException e) {
            return new HealthProbe.Result(false, "check error: " + e, "SOCKERR");
        }
    }

    @Override
    public void close() {
        checkers.shutdownNow();
    }
}
