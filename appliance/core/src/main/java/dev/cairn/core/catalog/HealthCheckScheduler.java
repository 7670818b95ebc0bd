package dev.cairn.core.catalog;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
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
    /** Checks asked for while held, started by {@link #release}; guarded by {@code this}. */
    private List<Task> held;

    /** A repeating check; {@link #cancel} stops it, whether it has started yet or not. */
    static final class Task {
        private final Duration interval;
        private final Runnable check;
        private ScheduledFuture<?> future;
        private boolean cancelled;

        private Task(Duration interval, Runnable check) {
            this.interval = interval;
            this.check = check;
        }

        synchronized void cancel() {
            cancelled = true;
            if (future != null) future.cancel(false);
        }

        private synchronized void start(ScheduledExecutorService on) {
            if (cancelled) return;
            long millis = interval.toMillis();
            long first = ThreadLocalRandom.current().nextLong(Math.max(1, Math.min(millis, 250)));
            future = on.scheduleWithFixedDelay(check, first, millis, TimeUnit.MILLISECONDS);
        }
    }

    /**
     * Holds every check asked for from now until {@link #release}: the host holds them while its
     * modules start, so an endpoint that a module of the same process serves (the demo backends, a
     * replication node's published service) is not probed before that module has bound it, which
     * would take it down at its first check and keep it down for {@code rise} intervals.
     */
    synchronized void hold() {
        if (held == null) held = new ArrayList<>();
    }

    /** Starts the held checks, each within its first 250 ms as {@link #every} does, and stops holding. */
    synchronized void release() {
        if (held == null) return;
        held.forEach(t -> t.start(checkers));
        held = null;
    }

    /** Runs {@code check} every {@code interval}, the first within one interval (at most 250 ms) so endpoints are not probed in a burst. */
    synchronized Task every(Duration interval, Runnable check) {
        Task t = new Task(interval, check);
        if (held != null) held.add(t);
        else t.start(checkers);
        return t;
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
