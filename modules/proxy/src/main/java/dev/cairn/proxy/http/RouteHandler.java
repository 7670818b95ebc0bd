package dev.cairn.proxy.http;

import dev.cairn.proxy.ProxyMetrics;
import dev.cairn.proxy.balance.Backend;
import dev.cairn.proxy.balance.Endpoint;
import dev.cairn.proxy.config.RouteConfig;
import dev.cairn.proxy.http.policy.Forwarding;
import dev.cairn.proxy.net.Cidr;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.handlers.Cookie;
import io.undertow.server.handlers.proxy.ProxyHandler;
import io.undertow.server.handlers.resource.PathResourceManager;
import io.undertow.server.handlers.resource.ResourceHandler;
import io.undertow.util.ETag;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import io.undertow.util.StatusCodes;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;

/**
 * One route: maintenance page, static files, then the reverse proxy to the route's service with
 * Cairn's forwarding headers and sticky cookie. Immutable once built; a reload builds new ones.
 */
final class RouteHandler implements HttpHandler {

    static final HttpString FORWARDED = new HttpString("Forwarded");
    /** Forwarding.NAMES but Forwarded (replaced below): removed when the peer is not trusted. */
    private static final HttpString[] CLIENT_FORWARDING = Forwarding.NAMES.stream()
            .filter(n -> !n.equals("Forwarded")).map(HttpString::new).toArray(HttpString[]::new);

    final RouteConfig config;
    final HostMatcher host;
    final ProxyMetrics.RouteStats stats;
    private final Backend backend;
    private final MaintenancePage maintenance;
    private final String staticPrefix;
    private final HttpHandler staticFiles;
    private final HttpHandler proxy;
    private final List<Cidr> trusted;
    private final StickyCookie sticky;
    private final ProxySettings settings;

    RouteHandler(RouteConfig config, java.nio.file.Path configDir, Backend backend, ProxyMetrics.RouteStats stats,
                 List<Cidr> trusted, io.undertow.client.UndertowClient client, ProxySettings settings) {
        this.config = config;
        this.host = new HostMatcher(config.host());
        this.stats = stats;
        this.backend = backend;
        this.trusted = trusted;
        this.sticky = settings.sticky();
        this.settings = settings;
        this.maintenance = config.maintenanceFile() == null ? null
                : new MaintenancePage(configDir.resolve(config.maintenanceFile()));
        if (config.staticFiles() != null) {
            staticPrefix = config.staticFiles().prefix();
            PathResourceManager files = (PathResourceManager) PathResourceManager.builder()
                    .setBase(configDir.resolve(config.staticFiles().root()).normalize())
                    .setFollowLinks(false)
                    .setETagFunction(p -> {
                        try {
                            BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
                            return new ETag(false, Long.toHexString(a.lastModifiedTime().toMillis()) + "-" + Long.toHexString(a.size()));
                        } catch (java.io.IOException e) {
                            return null;
                        }
                    })
                    .build();
            staticFiles = new ResourceHandler(files, ex -> {
                ex.setStatusCode(StatusCodes.NOT_FOUND);
                ex.endExchange();
            }).setDirectoryListingEnabled(false).setWelcomeFiles("index.html");
        } else {
            staticPrefix = null;
            staticFiles = null;
        }
        if (backend != null) {
            proxy = ProxyHandler.builder()
                    .setProxyClient(new CairnProxyClient(backend, config.balance(), config.retries(), client, settings))
                    .setMaxRequestTime(settings.timeouts().serverMillis())
                    .setReuseXForwarded(true) // untrusted X-Forwarded-* are stripped before we get here
                    .setRewriteHostHeader(false)
                    .setMaxConnectionRetries(config.retries())
                    .setNext(ex -> {
                        ex.setStatusCode(StatusCodes.SERVICE_UNAVAILABLE);
                        ex.endExchange();
                    })
                    .build();
        } else {
            proxy = null;
        }
    }

    /** Only forwards (no maintenance page, no sticky cookie, not under the static prefix). */
    boolean plainProxy(String path) {
        return proxy != null && maintenance == null && !config.sticky()
                && (staticFiles == null || !HostMatcher.pathMatches(staticPrefix, path));
    }

    ProxySettings settings() {
        return settings;
    }

    /** Whether {@code peer} is one of the listener's {@code trusted_proxies}. */
    boolean trusts(InetAddress peer) {
        return Forwarding.trusted(trusted, peer);
    }

    Backend backend() {
        return backend;
    }

    boolean matches(String hostHeader, String path) {
        return host.matches(hostHeader) && HostMatcher.pathMatches(config.path(), path);
    }

    @Override
    public void handleRequest(HttpServerExchange ex) throws Exception {
        RequestState st = ex.getAttachment(RequestState.KEY);
        st.stats = stats;
        st.backend = backend;
        if (maintenance != null) {
            byte[] page = maintenance.current();
            if (page != null) {
                st.note = "maintenance";
                ex.setStatusCode(StatusCodes.SERVICE_UNAVAILABLE);
                ex.getResponseHeaders().put(Headers.CONTENT_TYPE, "text/html; charset=utf-8");
                ex.getResponseHeaders().put(Headers.CACHE_CONTROL, "no-store");
                ex.getResponseHeaders().put(CairnProxyClient.RETRY_AFTER, "60");
                ex.getResponseSender().send(ByteBuffer.wrap(page));
                return;
            }
        }
        String path = ex.getRelativePath();
        if (staticFiles != null && HostMatcher.pathMatches(staticPrefix, path)) {
            st.note = "static";
            ex.setRelativePath(path.substring(staticPrefix.endsWith("/") ? staticPrefix.length() - 1 : staticPrefix.length()));
            staticFiles.handleRequest(ex);
            return;
        }
        if (proxy == null) {
            ex.setStatusCode(StatusCodes.NOT_FOUND);
            ex.endExchange();
            return;
        }
        if (!config.sticky()) {
            // An HTTP/2 stream: Cairn's own HTTP/1.1 upstream code forwards it (H2Forward).
            H2Forward h2 = ex.getAttachment(H2Forward.KEY);
            if (h2 != null) {
                h2.forward(ex, st, this);
                return;
            }
        }
        proxyByUndertow(ex);
    }

    /** Undertow's proxy handler forwards the request (with Cairn's client: balancing, queue, retries). */
    void proxyByUndertow(HttpServerExchange ex) throws Exception {
        RequestState st = ex.getAttachment(RequestState.KEY);
        forwarded(ex);
        ex.addResponseCommitListener(RESPONSE_HEAD);
        if (config.sticky()) {
            st.stickyRoute = true;
            Cookie c = ex.getRequestCookie(StickyCookie.NAME);
            if (c != null) {
                String name = sticky.verify(c.getValue());
                if (name != null) {
                    for (Endpoint e : backend.endpoints()) {
                        if (e.name().equals(name)) {
                            st.sticky = e;
                            break;
                        }
                    }
                }
            }
        }
        proxy.handleRequest(ex);
    }

    /**
     * The response is about to be written: on a proxied request that is when ProxyHandler has the
     * endpoint's response head (it opens the response channel right after copying it), unless
     * Cairn answers itself (its error answers mark that first).
     */
    private static final io.undertow.server.ResponseCommitListener RESPONSE_HEAD = ex -> {
        RequestState st = ex.getAttachment(RequestState.KEY);
        if (st != null && st.attemptConnected && !st.ownAnswer) st.responseHead(System.nanoTime());
    };

    /**
     * X-Forwarded-* and Forwarded: kept and extended when the peer is a trusted proxy, replaced
     * otherwise so a client cannot claim another address or scheme.
     */
    private void forwarded(HttpServerExchange ex) {
        InetAddress peer = CairnProxyClient.clientAddress(ex);
        var h = ex.getRequestHeaders();
        boolean trust = Forwarding.trusted(trusted, peer);
        String previous = null;
        if (trust) {
            var values = h.get(FORWARDED);
            previous = values == null || values.isEmpty() ? null : String.join(", ", values);
        } else {
            for (HttpString name : CLIENT_FORWARDING) h.remove(name);
        }
        h.put(FORWARDED, Forwarding.forwardedValue(previous, peer, ex.getRequestScheme(), ex.getRequestHeaders().getFirst(Headers.HOST)));
    }
}
