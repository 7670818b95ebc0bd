package dev.cairn.proxy.balance;

import dev.cairn.proxy.http.policy.UpstreamPool;
import dev.cairn.spi.catalog.EndpointView;
import dev.cairn.spi.catalog.Health;
import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.undertow.client.UndertowClient;
import io.undertow.server.handlers.proxy.ConnectionPoolManager;
import io.undertow.server.handlers.proxy.ProxyConnectionPool;
import java.net.URI;
import java.util.concurrent.atomic.AtomicInteger;
import org.xnio.OptionMap;

/**
 * The proxy's runtime state for one catalog endpoint: its latest catalog view, the requests in
 * flight to it, passive-health ejection and (for HTTP) its keep-alive connection pool.
 * Thread-safe: counters are atomic, the view and ejection state volatile, their changes
 * serialized on this.
 */
public final class Endpoint {

    /** This endpoint as a selection result, made once: a pick per request would allocate. */
    final Backend.Pick picked = new Backend.Pick(this, false);


    private final String service;
    private final String name;
    private final String address;
    private final URI uri;
    private volatile EndpointView view;
    private final AtomicInteger active = new AtomicInteger();
    /** Timed passive ejection (services without an active check): out until then; 0: not ejected. */
    private volatile long ejectedUntilNanos;
    /**
     * Passive ejection of an endpoint with an active check: out until the catalog shows it UP after
     * having been marked DOWN. Set at once, before the catalog's event reaches us, so the requests in
     * between do not go to it either.
     */
    private volatile boolean held;
    /** {@code view.since()} when {@link #held} was set: an UP view with another since passed its check again. Guarded by this. */
    private java.time.Instant heldSince;
    private volatile boolean removed;
    private volatile ProxyConnectionPool pool;
    private volatile java.net.InetSocketAddress socketAddress;
    /** This endpoint's response counters by status class, resolved once (see {@link #responseCounters}). */
    private volatile CounterDataPoint[] responseCounters;

    // Passive health bookkeeping; guarded by this.
    private int consecutiveFailures;
    private long firstFailureNanos;

    Endpoint(EndpointView view) {
        this.service = view.service();
        this.name = view.name();
        this.address = view.address();
        this.uri = URI.create("http://" + view.address());
        this.view = view;
    }

    public String service() {
        return service;
    }

    public String name() {
        return name;
    }

    /** Where the proxy's fast path connects (resolved on first use). */
    public java.net.InetSocketAddress socketAddress() {
        java.net.InetSocketAddress a = socketAddress;
        if (a == null || a.isUnresolved()) {
            a = new java.net.InetSocketAddress(uri.getHost(), uri.getPort());
            socketAddress = a;
        }
        return a;
    }

    /** {@code http://host:port}, for the full path's HTTP client. */
    public URI uri() {
        return uri;
    }

    /** host:port as in the catalog. */
    public String address() {
        return address;
    }

    public EndpointView view() {
        return view;
    }

    synchronized void update(EndpointView v) {
        EndpointView old = view;
        if (v.health() == Health.UP) {
            if (old.health() == Health.DOWN) {
                // The active check saw it come back: a passive ejection has served its purpose.
                ejectedUntilNanos = 0;
                held = false;
            } else if (held && !v.since().equals(heldSince)) {
                // UP with a newer since: it went DOWN and passed its check again between two views we saw.
                held = false;
            }
        }
        this.view = v;
    }

    public int weight() {
        return view.weight();
    }

    /** The catalog lets it take traffic: up, not drained, weight above 0. */
    public boolean available() {
        return view.available() && !removed;
    }

    /** Passively ejected: held until its check passes again, or within a timed ejection. */
    public boolean ejected(long nowNanos) {
        if (held) return true;
        long until = ejectedUntilNanos;
        return until != 0 && nowNanos - until < 0;
    }

    /** Available and not passively ejected. */
    public boolean usable(long nowNanos) {
        return available() && !ejected(nowNanos);
    }

    public int active() {
        return active.get();
    }

    /** Takes one request slot unless {@code max} (0: unlimited) are taken. */
    boolean tryAcquire(int max) {
        for (;;) {
            int a = active.get();
            if (max > 0 && a >= max) return false;
            if (active.compareAndSet(a, a + 1)) return true;
        }
    }

    void release() {
        active.decrementAndGet();
    }

    public boolean removed() {
        return removed;
    }

    synchronized void markRemoved() {
        removed = true;
        held = false;
    }

    /**
     * Records a live-traffic failure. At the {@code threshold}-th consecutive failure within
     * {@code windowNanos} it ejects the endpoint at once, held until its active check passes again
     * (see {@link #update}), and returns true; the caller then marks it down in the catalog, or
     * calls {@link #ejectFor} when the catalog cannot (no active check). Returns false otherwise,
     * also while it is already ejected.
     */
    public synchronized boolean recordFailure(int threshold, long windowNanos, long now) {
        if (threshold <= 0) return false;
        if (consecutiveFailures == 0 || now - firstFailureNanos > windowNanos) {
            consecutiveFailures = 0;
            firstFailureNanos = now;
        }
        consecutiveFailures++;
        if (consecutiveFailures >= threshold && !ejected(now)) {
            consecutiveFailures = 0;
            heldSince = view.since();
            held = true;
            return true;
        }
        return false;
    }

    /** Turns the ejection {@link #recordFailure} started into a timed one, ending {@code ejectNanos} after {@code now}. */
    public synchronized void ejectFor(long ejectNanos, long now) {
        long until = now + ejectNanos;
        ejectedUntilNanos = until == 0 ? 1 : until;
        held = false;
    }

    public void recordSuccess() {
        if (consecutiveFailures != 0) {
            synchronized (this) {
                consecutiveFailures = 0;
            }
        }
    }

    /**
     * The children of {@code family} (labels service, endpoint, code class) for this endpoint, by
     * class index: resolved on first use rather than with a label lookup per request. An endpoint
     * lives within one module start, so within one metrics registration.
     */
    public CounterDataPoint[] responseCounters(Counter family, String[] classes) {
        CounterDataPoint[] c = responseCounters;
        if (c == null) {
            c = new CounterDataPoint[classes.length];
            for (int i = 0; i < classes.length; i++) c[i] = family.labelValues(service, name, classes[i]);
            responseCounters = c; // a race resolves the same children twice: harmless
        }
        return c;
    }

    /** The keep-alive pool to this endpoint, created on first HTTP use. */
    public ProxyConnectionPool poolFor(UndertowClient client) {
        ProxyConnectionPool p = pool;
        if (p == null) {
            synchronized (this) {
                p = pool;
                if (p == null) {
                    p = new ProxyConnectionPool(new PoolSettings(), uri, client, OptionMap.EMPTY);
                    pool = p;
                }
            }
        }
        return p;
    }

    /** Pooled connections that have carried a request (a reset on one of them is the connection's fault). */
    private final java.util.Set<io.undertow.client.ClientConnection> used = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /**
     * True when {@code c}, a connection of this endpoint's pool, is about to carry its first
     * request; false when it is being reused after an idle time in the pool.
     */
    public boolean firstUse(io.undertow.client.ClientConnection c) {
        if (!used.add(c)) return false;
        c.addCloseListener(used::remove);
        return true;
    }

    /** Closes pooled connections; called once no request uses them any more. */
    public void closePool() {
        ProxyConnectionPool p = pool;
        if (p != null) {
            p.close();
        }
    }

    @Override
    public String toString() {
        return service + "/" + name;
    }

    /**
     * Pool settings: Cairn limits concurrency and judges health itself (catalog + passive), so
     * the pool neither queues nor marks the host as a problem on its own; idle connections follow
     * {@link UpstreamPool} (at most so many per IO thread, each closed after the idle timeout:
     * Undertow times out idle connections above its "soft max", here 0).
     */
    private static final class PoolSettings implements ConnectionPoolManager {
        @Override
        public boolean isAvailable() {
            return true;
        }

        @Override
        public boolean handleError() {
            return true;
        }

        @Override
        public boolean clearError() {
            return true;
        }

        @Override
        public int getProblemServerRetry() {
            return -1;
        }

        @Override
        public int getMaxConnections() {
            return Integer.MAX_VALUE;
        }

        @Override
        public int getMaxCachedConnections() {
            return UpstreamPool.MAX_IDLE_PER_ENDPOINT;
        }

        @Override
        public int getSMaxConnections() {
            return 0;
        }

        @Override
        public long getTtl() {
            return UpstreamPool.IDLE_TIMEOUT.toMillis();
        }

        @Override
        public int getMaxQueueSize() {
            return 0;
        }
    }
}
