package dev.cairn.proxy.http;

import dev.cairn.proxy.ProxyMetrics;
import dev.cairn.proxy.balance.Backend;
import dev.cairn.proxy.balance.Endpoint;
import dev.cairn.proxy.http.policy.RequestTiming;
import io.undertow.util.AttachmentKey;
import java.util.HashSet;
import java.util.Set;

/**
 * What Cairn tracks about one HTTP request: route, the endpoint holding its slot, failed
 * endpoints, timings (marked as {@link RequestTiming} defines them). Attached to the exchange; touched only from the exchange's threads in
 * sequence (IO thread, or the thread a handler dispatched to), so it needs no locks.
 */
public final class RequestState extends RequestTiming {

    public static final AttachmentKey<RequestState> KEY = AttachmentKey.create(RequestState.class);

    String listener;
    ProxyMetrics.RouteStats stats;
    Backend backend;
    /** The endpoint whose slot this request holds (released on completion or retry). */
    Endpoint current;
    /** The endpoint that last served (or failed) the request, for the log. */
    Endpoint last;
    Set<Endpoint> tried = Set.of();
    Endpoint sticky;
    boolean stickyRoute;
    int retries;
    Backend.Waiter waiter;
    /** The current attempt has a connection (a failure now is a reset, not a connect error). */
    boolean attemptConnected;
    /** The current attempt's connection was reused from a keep-alive pool. */
    boolean attemptReused;
    String note;
    /** Cairn answers this request itself (an error answer): no endpoint response head to time. */
    boolean ownAnswer;

    RequestState(String listener) {
        this.listener = listener;
    }

    /** As new, for the next request of a fast-path connection (which reuses one per connection). */
    RequestState reset(String listener) {
        resetTiming();
        this.listener = listener;
        stats = null;
        backend = null;
        current = null;
        last = null;
        tried = Set.of();
        sticky = null;
        stickyRoute = false;
        retries = 0;
        waiter = null;
        note = null;
        ownAnswer = false;
        attemptConnected = false;
        attemptReused = false;
        return this;
    }

    void addTried(Endpoint e) {
        if (tried.isEmpty()) tried = new HashSet<>(4);
        tried.add(e);
    }
}
