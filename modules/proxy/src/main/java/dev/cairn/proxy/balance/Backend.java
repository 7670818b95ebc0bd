package dev.cairn.proxy.balance;

import dev.cairn.proxy.config.RouteConfig.Balance;
import dev.cairn.spi.catalog.EndpointView;
import dev.cairn.spi.catalog.ServiceView;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The endpoints of one catalog service as the proxy balances them. Shared by every route and TCP
 * forward that names the service, and kept across reloads so counters and pools survive.
 *
 * <p>Selection reads one immutable {@link Snapshot} (rebuilt on catalog events) and atomic
 * counters, so it is safe and lock-free on every IO thread. Round robin uses a 64-bit counter
 * reduced with {@code floorMod}: it cannot go negative, unlike an int index after 2^31 requests.
 */
public final class Backend {

    private final String service;
    private volatile Snapshot snapshot = new Snapshot(new Endpoint[0], new int[0]);
    private final AtomicLong cursor = new AtomicLong();
    private final ConcurrentLinkedQueue<Waiter> queue = new ConcurrentLinkedQueue<>();
    private final AtomicInteger queued = new AtomicInteger();

    /** A request waiting for a free slot; {@link #wake} runs at most once. */
    public interface Waiter {
        /** Claims the waiter; false when it already timed out or was woken. */
        boolean claim();

        void wake();
    }

    /**
     * Endpoints in config order, and the smooth weighted round-robin schedule over the ones the
     * catalog calls available (indexes into endpoints; length = sum of weights).
     */
    record Snapshot(Endpoint[] endpoints, int[] schedule) {
    }

    public Backend(String service) {
        this.service = service;
    }

    public String service() {
        return service;
    }

    /** Moves the round-robin counter, so a test can start it where an int would have overflowed. */
    void setCursorForTest(long value) {
        cursor.set(value);
    }

    public List<Endpoint> endpoints() {
        return List.of(snapshot.endpoints);
    }

    /**
     * Applies the catalog's view of the service; returns endpoints that left it (the caller closes
     * their pools once their in-flight requests finish). Called from one thread at a time.
     */
    public synchronized List<Endpoint> refresh(ServiceView view) {
        Map<String, Endpoint> old = new LinkedHashMap<>();
        for (Endpoint e : snapshot.endpoints) old.put(key(e.name(), e.address()), e);
        List<Endpoint> next = new ArrayList<>();
        if (view != null) {
            for (EndpointView v : view.endpoints()) {
                Endpoint e = old.remove(key(v.name(), v.address()));
                if (e == null) {
                    e = new Endpoint(v);
                } else {
                    e.update(v);
                }
                next.add(e);
            }
        }
        old.values().forEach(Endpoint::markRemoved);
        Endpoint[] eps = next.toArray(new Endpoint[0]);
        snapshot = new Snapshot(eps, schedule(eps));
        return new ArrayList<>(old.values());
    }

    private static String key(String name, String address) {
        return name + "\u0000" + address;
    }

    /**
     * nginx's smooth weighted round robin, unrolled once into a schedule: weights 5,1,1 give
     * a a b a c a a rather than a a a a a b c, so a heavy endpoint is not hit in bursts.
     */
    static int[] schedule(Endpoint[] eps) {
        int total = 0;
        for (Endpoint e : eps) if (e.available()) total += e.weight();
        int[] out = new int[total];
        int[] current = new int[eps.length];
        for (int n = 0; n < total; n++) {
            int best = -1;
            for (int i = 0; i < eps.length; i++) {
                if (!eps[i].available()) continue;
                current[i] += eps[i].weight();
                if (best < 0 || current[i] > current[best]) best = i;
            }
            current[best] -= total;
            out[n] = best;
        }
        return out;
    }

    /** True when the catalog offers at least one endpoint (passive ejection aside). */
    public boolean anyAvailable() {
        return snapshot.schedule.length > 0;
    }

    /** Result of a selection: an endpoint with a slot taken, or why there is none. */
    public record Pick(Endpoint endpoint, boolean full) {
        static final Pick NONE = new Pick(null, false);
        static final Pick FULL = new Pick(null, true);
    }

    /**
     * Picks an endpoint and takes a request slot on it. {@code preferred} (sticky) wins when
     * usable; endpoints in {@code exclude} (already failed for this request) are used only when
     * nothing else is left. {@code full} in the result means endpoints exist but are all at
     * {@code maxPerEndpoint}: the request may queue.
     */
    public Pick select(Balance balance, InetAddress client, Endpoint preferred, Set<Endpoint> exclude,
                       int maxPerEndpoint) {
        Snapshot s = snapshot;
        long now = System.nanoTime();
        if (preferred != null && !exclude.contains(preferred) && preferred.usable(now)
                && preferred.tryAcquire(maxPerEndpoint)) {
            return preferred.picked;
        }
        Pick p = selectFrom(s, balance, client, exclude, maxPerEndpoint, now);
        if (p.endpoint == null && !p.full && !exclude.isEmpty()) {
            // Every other endpoint is gone: trying a failed one again beats a certain 503.
            p = selectFrom(s, balance, client, Set.of(), maxPerEndpoint, now);
        }
        return p;
    }

    private Pick selectFrom(Snapshot s, Balance balance, InetAddress client, Set<Endpoint> exclude,
                            int max, long now) {
        int[] sched = s.schedule;
        Endpoint[] eps = s.endpoints;
        if (sched.length == 0) return Pick.NONE;
        boolean full = false;
        switch (balance) {
            case FIRST -> {
                for (Endpoint e : eps) {
                    if (!e.usable(now) || exclude.contains(e)) continue;
                    if (e.tryAcquire(max)) return e.picked;
                    full = true;
                }
            }
            case LEASTCONN -> {
                // Fewest in-flight requests per unit of weight; the rotating start breaks ties fairly.
                int start = (int) Math.floorMod(cursor.getAndIncrement(), (long) eps.length);
                for (int attempt = 0; attempt < 2; attempt++) {
                    Endpoint best = null;
                    for (int k = 0; k < eps.length; k++) {
                        Endpoint e = eps[(start + k) % eps.length];
                        if (!e.usable(now) || exclude.contains(e)) continue;
                        if (max > 0 && e.active() >= max) {
                            full = true;
                            continue;
                        }
                        if (best == null || (long) e.active() * best.weight() < (long) best.active() * e.weight()) {
                            best = e;
                        }
                    }
                    if (best == null) break;
                    if (best.tryAcquire(max)) return best.picked;
                    full = true; // lost a race for its last slot: look once more
                }
            }
            default -> {
                long start = balance == Balance.SOURCE && client != null
                        ? Integer.toUnsignedLong(Arrays.hashCode(client.getAddress()) * 0x9E3779B9)
                        : cursor.getAndIncrement();
                int base = (int) Math.floorMod(start, (long) sched.length);
                for (int k = 0; k < sched.length; k++) {
                    Endpoint e = eps[sched[(base + k) % sched.length]];
                    if (!e.usable(now) || exclude.contains(e)) continue;
                    if (e.tryAcquire(max)) return e.picked;
                    full = true;
                }
            }
        }
        return full ? Pick.FULL : Pick.NONE;
    }

    /** Frees the slot taken by {@link #select} and hands it to the oldest waiter, if any. */
    public void release(Endpoint e) {
        e.release();
        wakeOne();
    }

    /** Queues a request; false when {@code limit} waiters are already queued. */
    public boolean enqueue(Waiter w, int limit) {
        for (;;) {
            int q = queued.get();
            if (q >= limit) return false;
            if (queued.compareAndSet(q, q + 1)) break;
        }
        queue.add(w);
        return true;
    }

    /** A waiter gave up (timeout); keeps the count right. */
    public void dequeued() {
        queued.decrementAndGet();
    }

    public int queueLength() {
        return queued.get();
    }

    private void wakeOne() {
        Waiter w;
        while ((w = queue.poll()) != null) {
            if (w.claim()) {
                queued.decrementAndGet();
                w.wake();
                return;
            }
        }
    }

    /** Wakes every waiter (endpoints changed: they may now find a slot, or fail fast). */
    public void wakeAll() {
        Waiter w;
        while ((w = queue.poll()) != null) {
            if (w.claim()) {
                queued.decrementAndGet();
                w.wake();
            }
        }
    }
}
