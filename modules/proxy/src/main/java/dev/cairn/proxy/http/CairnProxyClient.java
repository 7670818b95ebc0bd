package dev.cairn.proxy.http;

import dev.cairn.proxy.balance.Backend;
import dev.cairn.proxy.balance.Endpoint;
import dev.cairn.proxy.config.RouteConfig.Balance;
import dev.cairn.proxy.http.policy.RetryRule;
import dev.cairn.proxy.http.policy.UpstreamPool;
import io.undertow.client.ClientCallback;
import io.undertow.client.ClientConnection;
import java.io.IOException;
import org.xnio.IoUtils;
import org.xnio.OptionMap;
import io.undertow.client.UndertowClient;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.handlers.CookieImpl;
import io.undertow.server.handlers.proxy.ProxyCallback;
import io.undertow.server.handlers.proxy.ProxyClient;
import io.undertow.server.handlers.proxy.ProxyConnection;
import io.undertow.util.HttpString;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import org.xnio.XnioExecutor;

/**
 * Cairn's {@link ProxyClient} for one route: picks an endpoint of the route's service with the
 * route's balance mode, takes a request slot on it, queues when every endpoint is at its
 * limit, and redispatches to another endpoint when {@link io.undertow.server.handlers.proxy.ProxyHandler}
 * asks again after a failure. Stateless apart from its settings: per-request state lives in
 * {@link RequestState}.
 */
final class CairnProxyClient implements ProxyClient {

    static final HttpString RETRY_AFTER = new HttpString("Retry-After");

    private final Backend backend;
    private final Balance balance;
    private final Target target;
    private final UndertowClient client;
    private final ProxySettings settings;

    /** The target ProxyHandler passes back to us; carries the route's retry budget. */
    private record Target(int maxRetries) implements ProxyClient.MaxRetriesProxyTarget {
        @Override
        public int getMaxRetries() {
            return maxRetries;
        }
    }

    CairnProxyClient(Backend backend, Balance balance, int retries, UndertowClient client, ProxySettings settings) {
        this.backend = backend;
        this.balance = balance;
        this.target = new Target(retries);
        this.client = client;
        this.settings = settings;
    }

    @Override
    public ProxyTarget findTarget(HttpServerExchange exchange) {
        return target;
    }

    @Override
    public void getConnection(ProxyTarget t, HttpServerExchange exchange, ProxyCallback<ProxyConnection> callback,
                              long timeout, TimeUnit unit) {
        RequestState st = exchange.getAttachment(RequestState.KEY);
        Endpoint failed = null;
        boolean fresh = false;
        if (st.current != null) {
            // ProxyHandler asks again: the last attempt failed to connect or was reset before a
            // response (ProxyHandler retries a reset only for an idempotent request, as RetryRule).
            failed = st.current;
            st.current = null;
            backend.release(failed);
            RetryRule.Failure why = st.attemptConnected ? RetryRule.Failure.RESET : RetryRule.Failure.CONNECT_ERROR;
            if (RetryRule.countsAgainstEndpoint(why, st.attemptReused)) {
                settings.passiveFailure(failed, ProxySettings.Failure.CONNECT_ERROR);
                st.addTried(failed);
            }
            fresh = UpstreamPool.retryOnNewConnection(why, st.attemptReused);
            st.attemptConnected = false;
            st.attemptReused = false;
            st.retries++;
            st.stats.retries.inc();
        }
        Backend.Pick pick = backend.select(balance, clientAddress(exchange), st.sticky, st.tried,
                settings.endpointMaxConnections());
        Endpoint ep = pick.endpoint();
        if (ep != null) {
            if (failed != null && ep != failed) st.stats.redispatches.inc();
            st.current = ep;
            st.last = ep;
            connect(t, exchange, callback, st, ep, fresh);
        } else if (pick.full()) {
            queue(t, exchange, callback, st);
        } else {
            st.note = "no endpoint available";
            callback.couldNotResolveBackend(exchange);
        }
    }

    private void queue(ProxyTarget t, HttpServerExchange exchange, ProxyCallback<ProxyConnection> callback, RequestState st) {
        QueuedRequest w = new QueuedRequest(t, exchange, callback);
        if (!backend.enqueue(w, settings.queueSize())) {
            st.note = "queue full";
            exchange.getResponseHeaders().put(RETRY_AFTER, "1");
            callback.couldNotResolveBackend(exchange);
            return;
        }
        st.waiter = w;
        w.timer = exchange.getIoThread().executeAfter(w::expire, settings.timeouts().queueMillis(), TimeUnit.MILLISECONDS);
    }

    private final class QueuedRequest implements Backend.Waiter {
        private final ProxyTarget t;
        private final HttpServerExchange exchange;
        private final ProxyCallback<ProxyConnection> callback;
        private final java.util.concurrent.atomic.AtomicBoolean claimed = new java.util.concurrent.atomic.AtomicBoolean();
        volatile XnioExecutor.Key timer;

        QueuedRequest(ProxyTarget t, HttpServerExchange exchange, ProxyCallback<ProxyConnection> callback) {
            this.t = t;
            this.exchange = exchange;
            this.callback = callback;
        }

        @Override
        public boolean claim() {
            return claimed.compareAndSet(false, true);
        }

        @Override
        public void wake() {
            exchange.getIoThread().execute(() -> {
                XnioExecutor.Key k = timer;
                if (k != null) k.remove();
                RequestState st = exchange.getAttachment(RequestState.KEY);
                st.waiter = null;
                if (exchange.isComplete()) return;
                getConnection(t, exchange, callback, -1, TimeUnit.MILLISECONDS);
            });
        }

        void expire() {
            if (!claim()) return;
            backend.dequeued();
            RequestState st = exchange.getAttachment(RequestState.KEY);
            st.waiter = null;
            st.note = "queue timeout";
            exchange.getResponseHeaders().put(RETRY_AFTER, "1");
            callback.couldNotResolveBackend(exchange);
        }
    }

    private void connect(ProxyTarget t, HttpServerExchange exchange, ProxyCallback<ProxyConnection> callback,
                         RequestState st, Endpoint ep, boolean fresh) {
        ConnectAttempt attempt = new ConnectAttempt(exchange, callback, st, ep);
        if (fresh) {
            // UpstreamPool.retryOnNewConnection: the pool would hand out another idle connection,
            // maybe as stale as the one that was reset; this one is the exchange's own, closed with it.
            client.connect(new ClientCallback<ClientConnection>() {
                @Override
                public void completed(ClientConnection c) {
                    exchange.addExchangeCompleteListener((ex, next) -> {
                        IoUtils.safeClose(c);
                        next.proceed();
                    });
                    attempt.completed(exchange, new ProxyConnection(c, ep.uri().getPath() == null ? "/" : ep.uri().getPath()));
                }

                @Override
                public void failed(IOException e) {
                    attempt.failed(exchange);
                }
            }, ep.uri(), exchange.getIoThread(), exchange.getConnection().getByteBufferPool(), OptionMap.EMPTY);
        } else {
            ep.poolFor(client).connect(t, exchange, attempt, -1, TimeUnit.MILLISECONDS, false);
        }
        // A pooled keep-alive connection is handed over within connect(), the common case under
        // load: only a new connection needs the timer (adding and removing one per request cost a
        // few % of the IO threads' time in a profile).
        if (!attempt.done) {
            attempt.timer = exchange.getIoThread().executeAfter(attempt, settings.timeouts().connectMillis(), TimeUnit.MILLISECONDS);
        }
    }

    /**
     * One connection attempt with Cairn's connect timeout (XNIO has none of its own). Runs on
     * the exchange's IO thread only, so plain fields suffice.
     */
    private final class ConnectAttempt implements ProxyCallback<ProxyConnection>, Runnable {
        private final HttpServerExchange exchange;
        private final ProxyCallback<ProxyConnection> callback;
        private final RequestState st;
        private final Endpoint ep;
        private final long started = System.nanoTime();
        private boolean done;
        XnioExecutor.Key timer;

        ConnectAttempt(HttpServerExchange exchange, ProxyCallback<ProxyConnection> callback, RequestState st, Endpoint ep) {
            this.exchange = exchange;
            this.callback = callback;
            this.st = st;
            this.ep = ep;
        }

        @Override
        public void completed(HttpServerExchange ex, ProxyConnection result) {
            if (done) return; // too late: the pool takes the connection back when the exchange ends
            done = true;
            if (timer != null) timer.remove();
            st.connected(st.stats.connect, started, System.nanoTime());
            st.attemptConnected = true;
            st.attemptReused = !ep.firstUse(result.getConnection());
            if (st.stickyRoute && st.sticky != ep) {
                ex.setResponseCookie(new CookieImpl(StickyCookie.NAME, settings.sticky().sign(ep.name()))
                        .setPath("/").setHttpOnly(true));
            }
            callback.completed(ex, result);
        }

        @Override
        public void failed(HttpServerExchange ex) {
            if (done) return;
            done = true;
            if (timer != null) timer.remove();
            callback.failed(ex);
        }

        @Override
        public void queuedRequestFailed(HttpServerExchange ex) {
            failed(ex);
        }

        @Override
        public void couldNotResolveBackend(HttpServerExchange ex) {
            if (done) return;
            done = true;
            if (timer != null) timer.remove();
            callback.couldNotResolveBackend(ex);
        }

        @Override
        public void run() {
            if (done) return;
            done = true;
            st.note = "connect timeout";
            callback.failed(exchange);
        }
    }

    static InetAddress clientAddress(HttpServerExchange exchange) {
        InetSocketAddress a = exchange.getSourceAddress();
        return a == null ? null : a.getAddress();
    }
}
