package dev.cairn.proxy.http;

import dev.cairn.proxy.ProxyMetrics;
import dev.cairn.proxy.balance.Backend;
import dev.cairn.proxy.config.ListenerConfig;
import dev.cairn.proxy.config.RouteConfig;
import dev.cairn.proxy.http.policy.ErrorAnswer;
import dev.cairn.proxy.http.policy.Forwarding;
import dev.cairn.proxy.http.policy.RequestFraming;
import dev.cairn.proxy.net.AccessRules;
import dev.cairn.proxy.net.Cidr;
import io.undertow.client.UndertowClient;
import io.undertow.server.DefaultResponseListener;
import io.undertow.server.ExchangeCompletionListener;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.HeaderValues;
import io.undertow.util.Headers;
import io.undertow.util.StatusCodes;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The root handler of one listener for one config generation: access control, request
 * sanity (smuggling guards), routing, error bodies, metrics and the access log. Immutable;
 * a reload swaps in a new one, and requests already in flight finish on the old one.
 */
public final class ListenerHandler implements HttpHandler {

    private final String name;
    private final AccessRules rules;
    private final List<RouteHandler> routes;
    private final ProxyMetrics metrics;
    private final ProxyMetrics.RouteStats unrouted;
    private final AccessLog accessLog;
    private final boolean redirectHttps;
    private final int redirectPort;
    private final ProxySettings settings;
    private final long maxBodyBytes;
    private final boolean routesByPath;
    private final List<Cidr> trusted;

    public ListenerHandler(ListenerConfig config, Path configDir, Map<String, Backend> backends,
                           UndertowClient client, ProxySettings settings, AccessLog accessLog,
                           long maxBodyBytes) {
        this.name = config.name();
        this.rules = new AccessRules(config.allow(), config.deny());
        this.metrics = settings.metrics();
        this.settings = settings;
        this.maxBodyBytes = maxBodyBytes;
        this.unrouted = metrics.new RouteStats(name, null);
        this.accessLog = accessLog;
        this.redirectHttps = config.redirectHttps();
        this.redirectPort = config.redirectHttpsPort();
        List<Cidr> trusted = config.trustedProxies().stream().map(Cidr::parse).toList();
        this.trusted = trusted;
        List<RouteHandler> rs = new ArrayList<>();
        for (RouteConfig r : config.routes()) {
            Backend b = r.service() == null ? null : backends.get(r.service());
            rs.add(new RouteHandler(r, configDir, b, metrics.new RouteStats(name, r.service()), trusted, client, settings));
        }
        this.routes = List.copyOf(rs);
        boolean byPath = false;
        for (RouteConfig r : config.routes()) {
            if (!"/".equals(r.path()) || r.staticFiles() != null) byPath = true;
        }
        this.routesByPath = byPath;
    }

    @Override
    public void handleRequest(HttpServerExchange ex) throws Exception {
        InetSocketAddress src = ex.getSourceAddress();
        if (!rules.isOpen() && (src == null || !rules.permits(src.getAddress()))) {
            metrics.denied.labelValues(name).inc();
            ex.setPersistent(false);
            ex.setStatusCode(StatusCodes.FORBIDDEN);
            ex.endExchange();
            return;
        }
        RequestState st = new RequestState(name);
        st.stats = unrouted;
        ex.putAttachment(RequestState.KEY, st);
        ex.addExchangeCompleteListener(completion);
        ex.addDefaultResponseListener(ERROR_BODY);
        String smuggling = smugglingProblem(ex);
        if (smuggling != null) {
            st.note = smuggling;
            ex.setPersistent(false);
            ex.setStatusCode(StatusCodes.BAD_REQUEST);
            ex.endExchange();
            return;
        }
        long length = ex.getRequestContentLength();
        if (length > maxBodyBytes) {
            // Refused before a byte goes upstream; Undertow alone would only cut the stream midway.
            st.note = "body larger than limits.max_body_size";
            ex.setPersistent(false);
            ex.setStatusCode(StatusCodes.REQUEST_ENTITY_TOO_LARGE);
            ex.endExchange();
            return;
        }
        if (redirectHttps) {
            redirect(ex);
            return;
        }
        String host = ex.getRequestHeaders().getFirst(Headers.HOST);
        String path = ex.getRelativePath();
        for (RouteHandler r : routes) {
            if (r.matches(host, path)) {
                r.handleRequest(ex);
                return;
            }
        }
        st.note = "no route";
        ex.setStatusCode(StatusCodes.NOT_FOUND);
        ex.endExchange();
    }

    /**
     * Framing that two HTTP parsers may read differently is refused outright rather than
     * normalised: Content-Length with Transfer-Encoding, several Content-Length values, and a
     * Transfer-Encoding other than a final chunked.
     */
    static String smugglingProblem(HttpServerExchange ex) {
        HeaderValues cl = ex.getRequestHeaders().get(Headers.CONTENT_LENGTH);
        HeaderValues te = ex.getRequestHeaders().get(Headers.TRANSFER_ENCODING);
        return RequestFraming.problem(cl == null ? 0 : cl.size(), cl == null ? null : cl.getFirst(),
                te == null ? null : RequestFraming.lastCoding(te.getLast()));
    }

    private void redirect(HttpServerExchange ex) {
        String host = ex.getRequestHeaders().getFirst(Headers.HOST);
        if (host == null || host.isEmpty()) {
            ex.setStatusCode(StatusCodes.BAD_REQUEST);
            ex.endExchange();
            return;
        }
        String h = HostMatcher.stripPort(host);
        String qs = ex.getQueryString();
        String location = "https://" + h + (redirectPort == 443 ? "" : ":" + redirectPort) + ex.getRequestURI()
                + (qs == null || qs.isEmpty() ? "" : "?" + qs);
        ex.setStatusCode(StatusCodes.PERMANENT_REDIRECT);
        ex.getResponseHeaders().put(Headers.LOCATION, location);
        ex.endExchange();
    }

    private final ExchangeCompletionListener completion = (ex, next) -> {
        try {
            complete(ex);
        } finally {
            next.proceed();
        }
    };

    private void complete(HttpServerExchange ex) {
        RequestState st = ex.getAttachment(RequestState.KEY);
        long duration = st.durationNanos(System.nanoTime());
        if (st.waiter != null && st.waiter.claim()) {
            st.backend.dequeued(); // the client went away while queued
        }
        settle(st, ex.getStatusCode(), duration);
        if (accessLog.enabled()) accessLog.write(ex, st, duration);
    }

    /**
     * A finished request, from either path: metrics, the endpoint's slot and passive health
     * (a 5xx or a timeout counts against the endpoint).
     */
    void settle(RequestState st, int status, long duration) {
        int cls = ProxyMetrics.classIndex(status);
        ProxyMetrics.RouteStats s = st.stats;
        s.frontendRequests.inc();
        s.frontendByClass[cls].inc();
        if (s.service != null) {
            s.backendByClass[cls].inc();
            s.duration.observe(duration / 1e9);
        }
        if (st.responseNanos >= 0) s.response.observe(st.responseNanos / 1e9);
        if (st.current != null) {
            var ep = st.current;
            st.current = null;
            st.backend.release(ep);
            if (status >= 500) {
                // A 5xx or a timeout from this endpoint counts against it (passive health).
                settings.passiveFailure(ep, ProxySettings.Failure.ofStatus(status));
            } else {
                ep.recordSuccess();
            }
            ep.responseCounters(metrics.serverResponses, ProxyMetrics.CODE_CLASSES)[cls].inc();
        }
    }

    /**
     * The route for a request the {@link FastPath} may forward itself, or null when the request
     * needs this handler (client refused, HTTPS redirect, no route, or a route that does more than
     * proxy: maintenance page, static files, sticky cookie).
     */
    RouteHandler fastRoute(InetAddress peer, String host, String path) {
        if (redirectHttps) return null;
        if (!rules.isOpen() && (peer == null || !rules.permits(peer))) return null;
        for (int i = 0, n = routes.size(); i < n; i++) { // indexed: no iterator per request
            RouteHandler r = routes.get(i);
            if (r.matches(host, path)) return r.plainProxy(path) ? r : null;
        }
        return null;
    }

    String name() {
        return name;
    }

    /** Whether {@code peer} is one of {@code trusted_proxies} (its forwarding headers are kept and extended). */
    boolean trusts(InetAddress peer) {
        return Forwarding.trusted(trusted, peer);
    }

    /** Whether some route matches on more than "/" (else the fast path need not read the path). */
    boolean routesByPath() {
        return routesByPath;
    }

    ProxySettings settings() {
        return settings;
    }

    AccessLog accessLog() {
        return accessLog;
    }

    /** Plain-text bodies for errors Cairn itself produces, so clients see why rather than nothing. */
    private static final DefaultResponseListener ERROR_BODY = ex -> {
        if (ex.isResponseStarted() || ex.getStatusCode() < 400) return false;
        RequestState st = ex.getAttachment(RequestState.KEY);
        if (st != null) {
            st.ownAnswer = true;
            if (st.note == null) st.note = ErrorAnswer.defaultWhy(ex.getStatusCode(), st.attemptConnected);
        }
        String body = ErrorAnswer.body(ex.getStatusCode(), StatusCodes.getReason(ex.getStatusCode()),
                st == null ? null : st.note, st == null || st.stats == null ? null : st.stats.service);
        ex.getResponseHeaders().put(Headers.CONTENT_TYPE, ErrorAnswer.CONTENT_TYPE);
        ex.getResponseHeaders().put(Headers.CACHE_CONTROL, ErrorAnswer.CACHE_CONTROL);
        ex.getResponseSender().send(body);
        return true;
    };
}
