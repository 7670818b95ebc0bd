package dev.cairn.proxy;

import dev.cairn.proxy.balance.Backend;
import dev.cairn.proxy.balance.Endpoint;
import dev.cairn.proxy.config.ListenerConfig;
import dev.cairn.proxy.config.RouteConfig;
import dev.cairn.proxy.config.TcpConfig;
import dev.cairn.proxy.http.AccessLog;
import dev.cairn.proxy.http.AccessLogWriter;
import dev.cairn.proxy.http.ListenerHandler;
import dev.cairn.proxy.http.ListenerServer;
import dev.cairn.proxy.http.ProxySettings;
import dev.cairn.proxy.http.StickyCookie;
import dev.cairn.proxy.http.ThreadLocalBufferPool;
import dev.cairn.proxy.http.policy.Timeouts;
import dev.cairn.proxy.tcp.TcpForward;
import dev.cairn.proxy.tls.CertificateStore;
import dev.cairn.spi.Module;
import dev.cairn.spi.ModuleContext;
import dev.cairn.spi.ModuleStatus;
import dev.cairn.spi.ValidationContext;
import dev.cairn.spi.catalog.Catalog;
import dev.cairn.spi.catalog.CatalogEvent;
import dev.cairn.spi.catalog.EndpointView;
import dev.cairn.spi.catalog.Health;
import dev.cairn.spi.config.ConfigChange;
import dev.cairn.spi.config.HostPort;
import dev.cairn.spi.config.Suggestions;
import io.undertow.client.UndertowClient;
import io.undertow.connector.ByteBufferPool;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xnio.OptionMap;
import org.xnio.Options;
import org.xnio.Xnio;
import org.xnio.XnioWorker;

/**
 * The proxy module: HTTP(S) listeners that balance requests across catalog services, and TCP
 * forwards. Owns one XNIO worker (IO threads) shared by every listener and forward, and one
 * maintenance thread (certificate reload, closing pools of removed endpoints). Lifecycle calls
 * come from the host's thread; catalog events from the catalog's thread.
 */
public final class ProxyModule implements Module<ProxyConfig> {

    private static final Logger log = LoggerFactory.getLogger(ProxyModule.class);
    /** How often certificate files are looked at for renewals. */
    static final long CERT_CHECK_INTERVAL_MILLIS = 2_000;
    /** Worker (blocking) threads: only static files use them, the proxy path never blocks. */
    static final int WORKER_THREADS = 8;

    private XnioWorker worker;
    private ByteBufferPool buffers;
    private UndertowClient client;
    private ProxyMetrics metrics;
    private AccessLogWriter accessLogWriter;
    private ScheduledExecutorService maintenance;
    private Catalog.Subscription subscription;
    private Catalog catalog;
    private Path configDir;
    private StickyCookie sticky;
    private volatile ProxyConfig config;
    private final Map<String, Backend> backends = new ConcurrentHashMap<>();
    private final Map<String, ListenerServer> listeners = new ConcurrentHashMap<>();
    private final Map<HostPort, TcpForward> forwards = new ConcurrentHashMap<>();

    @Override
    public String name() {
        return "proxy";
    }

    @Override
    public Class<ProxyConfig> configType() {
        return ProxyConfig.class;
    }

    @Override
    public void validate(ProxyConfig config, ValidationContext ctx) {
        Set<String> services = ctx.serviceNames();
        Map<HostPort, Object> binds = new HashMap<>();
        for (ListenerConfig l : config.listeners()) {
            Object prev = binds.putIfAbsent(l.bind(), l);
            if (prev != null && l.bind().port() != 0) {
                ctx.problems().error(l, "bind", l.bind() + " is already used by another listener");
            }
            for (RouteConfig r : l.routes()) {
                if (r.service() != null && !services.contains(r.service())) {
                    ctx.problems().error(r, "service", unknownService(r.service(), services));
                }
                if (r.staticFiles() != null && !Files.isDirectory(ctx.resolve(r.staticFiles().root()))) {
                    ctx.problems().error(r.staticFiles(), "root", "directory " + ctx.resolve(r.staticFiles().root()) + " does not exist");
                }
            }
            if (l.tls() != null) {
                try {
                    CertificateStore.check(l.tls().certificates(), ctx.configDir());
                } catch (Exception e) {
                    ctx.problems().error(l.tls(), "certificates", "cannot load: " + e.getMessage());
                }
            }
        }
        for (TcpConfig t : config.tcp()) {
            Object prev = binds.putIfAbsent(t.bind(), t);
            if (prev != null && t.bind().port() != 0) {
                ctx.problems().error(t, "bind", t.bind() + " is already used by another listener");
            }
            if (!services.contains(t.service())) {
                ctx.problems().error(t, "service", unknownService(t.service(), services));
            }
        }
        if (config.stickySecretFile() != null && !Files.isReadable(ctx.resolve(config.stickySecretFile()))) {
            ctx.problems().error(config, "sticky_secret_file", "cannot read " + ctx.resolve(config.stickySecretFile()));
        }
    }

    /**
     * IO threads to start: the configured number, or two per core when 0. An IO thread waiting for
     * a core (shared with the backends, the database, other load) holds up every connection it
     * owns; with two per core that is a quarter of them on 2 cores, not half (docs/benchmarks.md,
     * proxy, measured the tail this removes).
     */
    static int ioThreads(int configured, int cores) {
        return configured > 0 ? configured : 2 * Math.max(1, cores);
    }

    static String unknownService(String name, Set<String> known) {
        String msg = "unknown service '" + name + "'";
        String hint = Suggestions.didYouMean(name, known);
        if (!hint.isEmpty()) return msg + hint;
        return msg + (known.isEmpty() ? " (no services are defined)" : " (services: " + String.join(", ", new java.util.TreeSet<>(known)) + ")");
    }

    @Override
    public void start(ProxyConfig config, ModuleContext ctx) throws Exception {
        this.catalog = ctx.catalog();
        this.configDir = ctx.configDir();
        int io = ioThreads(config.ioThreads(), Runtime.getRuntime().availableProcessors());
        worker = Xnio.getInstance(ProxyModule.class.getClassLoader()).createWorker(OptionMap.builder()
                .set(Options.WORKER_IO_THREADS, io)
                .set(Options.WORKER_TASK_CORE_THREADS, WORKER_THREADS)
                .set(Options.WORKER_TASK_MAX_THREADS, WORKER_THREADS)
                .set(Options.WORKER_NAME, "cairn-proxy")
                .set(Options.TCP_NODELAY, true)
                .getMap());
        buffers = new ThreadLocalBufferPool(true, 16 * 1024);
        accessLogWriter = AccessLogWriter.toStdout();
        client = UndertowClient.getInstance();
        maintenance = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "cairn-proxy-maintenance");
            t.setDaemon(true);
            return t;
        });
        metrics = new ProxyMetrics(ctx.metrics(), new ProxyMetrics.Source() {
            @Override
            public Collection<Backend> backends() {
                return backends.values();
            }

            @Override
            public Collection<ProxyMetrics.ListenerStats> listeners() {
                return listeners.values().stream().map(ListenerServer::stats).toList();
            }

            @Override
            public int tcpActive(String bind) {
                return forwards.values().stream().filter(f -> f.bindLabel().equals(bind))
                        .mapToInt(TcpForward::openConnections).sum();
            }

            @Override
            public Collection<String> tcpBinds() {
                return forwards.values().stream().map(TcpForward::bindLabel).toList();
            }

            @Override
            public long accessLogDropped() {
                AccessLogWriter w = accessLogWriter;
                return w == null ? 0 : w.dropped();
            }

            @Override
            public Collection<ProxyMetrics.CertificateExpiry> certificates() {
                return listeners.values().stream().flatMap(l -> l.certificateExpiries().stream()).toList();
            }

            @Override
            public java.util.Optional<dev.cairn.spi.catalog.CheckStats> checkStats(String service, String endpoint) {
                return catalog.checkStats(service, endpoint);
            }
        }, config.haproxyMetrics(), io);
        sticky = new StickyCookie(stickySecret(config));
        subscription = catalog.subscribe(this::onCatalogEvent);
        apply(config, ConfigChange.NONE);
        maintenance.scheduleWithFixedDelay(this::reloadCertificates, CERT_CHECK_INTERVAL_MILLIS,
                CERT_CHECK_INTERVAL_MILLIS, TimeUnit.MILLISECONDS);
    }

    private byte[] stickySecret(ProxyConfig config) throws java.io.IOException {
        if (config.stickySecretFile() != null) {
            return Files.readAllBytes(configDir.resolve(config.stickySecretFile()));
        }
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        return key;
    }

    @Override
    public void reload(ProxyConfig config, ModuleContext ctx) throws Exception {
        reload(config, ConfigChange.between(name(), this.config, config), ctx);
    }

    @Override
    public void reload(ProxyConfig config, ConfigChange change, ModuleContext ctx) throws Exception {
        // Load every new certificate first: a bad file must fail the reload before anything changes.
        for (ListenerConfig l : config.listeners()) {
            if (l.tls() != null) CertificateStore.check(l.tls().certificates(), configDir);
        }
        if (!java.util.Objects.equals(config.stickySecretFile(), this.config.stickySecretFile())) {
            sticky = new StickyCookie(stickySecret(config));
        }
        if (change.touches("proxy.io_threads")) {
            log.warn("proxy.io_threads changed: the IO threads are sized at start, the new count applies at the next start");
        }
        apply(config, change);
        metrics.haproxyFamilies(config.haproxyMetrics());
    }

    /**
     * Whether listener {@code l} must be re-opened rather than get a new handler: from the reload's
     * diff (the keys docs/config.md marks restart, of the listener or of the shared limits,
     * timeouts and fast_path), or because it turns TLS on or off. Live keys (queue_size,
     * endpoint_max_connections, routes...) never re-open a listener.
     */
    private static boolean mustReopen(ListenerConfig running, ListenerConfig l, ConfigChange change) {
        if (running == null || (running.tls() == null) != (l.tls() == null)) return true;
        if (ConfigChange.between("", running, l).has(ConfigChange.Kind.RESTART)) return true;
        return change.under("proxy.limits").has(ConfigChange.Kind.RESTART)
                || change.under("proxy.timeouts").has(ConfigChange.Kind.RESTART)
                || change.touches("proxy.fast_path")
                || (l.tls() != null && change.touches("proxy.tls"));
    }

    /** Brings listeners, forwards and backends to {@code next}; keeps what did not change. */
    private synchronized void apply(ProxyConfig next, ConfigChange change) throws Exception {
        Map<String, ListenerConfig> runningListeners = new HashMap<>();
        if (config != null) for (ListenerConfig l : config.listeners()) runningListeners.put(l.name(), l);
        Set<String> wanted = new LinkedHashSet<>();
        for (ListenerConfig l : next.listeners()) {
            for (RouteConfig r : l.routes()) if (r.service() != null) wanted.add(r.service());
        }
        for (TcpConfig t : next.tcp()) wanted.add(t.service());
        for (String s : wanted) {
            backends.computeIfAbsent(s, name -> {
                Backend b = new Backend(name);
                b.refresh(catalog.service(name).orElse(null));
                return b;
            });
        }
        ProxySettings settings = new ProxySettings(next.limits().endpointMaxConnections(), next.limits().queueSize(),
                Timeouts.of(next.timeouts()), next.passiveHealth(), metrics, sticky, catalog);

        AccessLog accessLog = new AccessLog(next.accessLog(), accessLogWriter);

        // Listeners, in three steps so that a failure keeps every running listener as it was: build
        // what changes (handlers, re-opened listeners: certificates and options may fail), bind the
        // new addresses (a bind may fail: the sockets bound so far close again), then apply, which
        // cannot fail. A listener re-opened on an address a running listener holds (its own, or
        // that of one this reload removes, renames or moves) takes over that socket, so no
        // connection is refused while it happens.
        record Reopen(ListenerServer next, ListenerServer running, ListenerServer socketFrom) {
        }
        Map<String, ListenerConfig> nextByName = new HashMap<>();
        for (ListenerConfig l : next.listeners()) nextByName.put(l.name(), l);
        Map<HostPort, ListenerServer> sockets = new HashMap<>();
        for (ListenerServer s : listeners.values()) {
            ListenerConfig after = nextByName.get(s.config().name());
            boolean reopens = after == null || !after.bind().equals(s.config().bind()) || mustReopen(s.config(), after, change);
            if (reopens && (s.config().bind().port() != 0 || after != null)) sockets.putIfAbsent(s.config().bind(), s);
        }
        Map<String, ListenerHandler> swaps = new LinkedHashMap<>();
        List<Reopen> reopens = new ArrayList<>();
        Set<String> keep = new LinkedHashSet<>();
        try {
            for (ListenerConfig l : next.listeners()) {
                keep.add(l.name());
                ListenerHandler handler = new ListenerHandler(l, configDir, backends, client, settings, accessLog,
                        next.limits().maxBodySize().bytes());
                ListenerServer running = listeners.get(l.name());
                ListenerConfig was = runningListeners.get(l.name());
                if (running != null && !mustReopen(was, l, change)) {
                    swaps.put(l.name(), handler);
                    continue;
                }
                // Its own socket when the address stays; else one a leaving listener frees (port 0: only its own).
                ListenerServer socketFrom = sockets.get(l.bind());
                if (socketFrom != null && (socketFrom == running || l.bind().port() != 0)) {
                    sockets.remove(l.bind());
                } else {
                    socketFrom = null;
                }
                reopens.add(new Reopen(new ListenerServer(l, configDir, worker, buffers, next.limits(), next.timeouts(),
                        next.fastPath(), next.tls().engine(), handler), running, socketFrom));
            }
            List<ListenerServer> bound = new ArrayList<>();
            try {
                for (Reopen r : reopens) {
                    if (r.socketFrom() != null) continue;
                    r.next().bind();
                    bound.add(r.next());
                }
            } catch (Exception e) {
                bound.forEach(ListenerServer::stop);
                throw e;
            }
        } catch (Exception e) {
            for (Reopen r : reopens) r.next().stop();
            log.atError().addKeyValue("error_id", ProxyErrors.LISTENER_START_FAILED.id())
                    .log("cannot start proxy listener (the running listeners keep serving): {}", e.getMessage());
            throw e;
        }
        // Every take-over before any old listener stops: a stop closes a socket nobody took.
        for (Reopen r : reopens) {
            if (r.socketFrom() != null) r.next().takeOver(r.socketFrom());
        }
        for (Map.Entry<String, ListenerHandler> e : swaps.entrySet()) {
            listeners.get(e.getKey()).swap(e.getValue(), nextByName.get(e.getKey()));
        }
        for (Reopen r : reopens) {
            ListenerServer s = r.next();
            if (r.running() != null) r.running().stop();
            listeners.put(s.config().name(), s);
            log.info("proxy listener {} on {} ({}{})", s.config().name(), s.address(), s.config().tls() == null ? "http"
                            : "https, TLS engine " + s.tlsEngine().name().toLowerCase(java.util.Locale.ROOT),
                    r.socketFrom() != null ? ", on the running socket" : r.running() != null ? ", moved" : "");
        }
        for (String name : new ArrayList<>(listeners.keySet())) {
            if (!keep.contains(name)) {
                listeners.remove(name).stop();
            }
        }

        // TCP forwards: same bind keeps its socket and connections.
        Set<HostPort> keepBinds = new LinkedHashSet<>();
        for (TcpConfig t : next.tcp()) {
            keepBinds.add(t.bind());
            TcpForward running = forwards.get(t.bind());
            if (running != null) {
                running.update(t, backends.get(t.service()));
            } else {
                TcpForward f = new TcpForward(t, worker, backends.get(t.service()), buffers, metrics,
                        next.timeouts().connect().toMillis());
                forwards.put(t.bind(), f);
                log.info("proxy tcp forward {} -> service {}", f.address(), t.service());
            }
        }
        for (HostPort b : new ArrayList<>(forwards.keySet())) {
            if (!keepBinds.contains(b)) forwards.remove(b).stop();
        }

        // Backends nobody uses any more: let their requests finish, then close their pools.
        for (String s : new ArrayList<>(backends.keySet())) {
            if (!wanted.contains(s)) {
                Backend gone = backends.remove(s);
                retire(gone.refresh(null), next);
            }
        }
        // The catalog may have changed in the same reload (new endpoints): catch up.
        for (Backend b : backends.values()) {
            retire(b.refresh(catalog.service(b.service()).orElse(null)), next);
        }
        this.config = next;
    }

    private void onCatalogEvent(CatalogEvent event) {
        try {
            if (event.kind() == CatalogEvent.Kind.RELOAD && event.service() == null) {
                for (Backend b : backends.values()) refresh(b);
                return;
            }
            Backend b = backends.get(event.service());
            if (b == null) return;
            refresh(b);
            EndpointView after = event.after();
            if (after == null || after.health() == Health.DOWN) {
                // TCP clients of a dead endpoint are cut so they reconnect to a live one.
                EndpointView gone = event.before() != null ? event.before() : after;
                if (gone != null) closeTcpSessions(b, gone.name());
            }
        } catch (RuntimeException e) {
            log.warn("proxy could not apply catalog event {}: {}", event, e.toString());
        }
    }

    private void refresh(Backend b) {
        ProxyConfig c = config;
        List<Endpoint> removed = b.refresh(catalog.service(b.service()).orElse(null));
        if (c != null) retire(removed, c);
        b.wakeAll();
        for (Endpoint e : b.endpoints()) {
            if (e.view().health() == Health.DOWN) closeTcpSessions(b, e.name());
        }
    }

    private void closeTcpSessions(Backend b, String endpointName) {
        for (TcpForward f : forwards.values()) {
            for (Endpoint e : Set.copyOf(f.endpointsInUse())) {
                if (e.service().equals(b.service()) && e.name().equals(endpointName)
                        && (e.view().health() == Health.DOWN || !b.endpoints().contains(e))) {
                    f.closeSessionsOf(e);
                }
            }
        }
    }

    /** Closes removed endpoints' pools once their in-flight requests are done (or the drain timeout passes). */
    private void retire(List<Endpoint> removed, ProxyConfig c) {
        if (removed.isEmpty() || maintenance == null) return;
        long deadline = System.nanoTime() + c.timeouts().drain().toNanos();
        for (Endpoint e : removed) {
            Runnable[] task = new Runnable[1];
            task[0] = () -> {
                if (e.active() > 0 && System.nanoTime() - deadline < 0) {
                    maintenance.schedule(task[0], 200, TimeUnit.MILLISECONDS);
                } else {
                    e.closePool();
                }
            };
            maintenance.schedule(task[0], 200, TimeUnit.MILLISECONDS);
        }
        for (TcpForward f : forwards.values()) {
            for (Endpoint e : removed) f.closeSessionsOf(e);
        }
    }

    private void reloadCertificates() {
        for (ListenerServer s : listeners.values()) {
            try {
                s.reloadCertificatesIfChanged();
            } catch (RuntimeException e) {
                log.warn("certificate check failed: {}", e.toString());
            }
        }
    }

    /** The bound address of a listener (tests and status: the real port when bind is :0). */
    public java.net.InetSocketAddress listenerAddress(String name) {
        ListenerServer s = listeners.get(name);
        return s == null ? null : s.address();
    }

    /** The TLS engine a listener runs (openssl, or jdk also after a fallback), null for plain HTTP or no such listener. */
    dev.cairn.proxy.config.TlsEngineConfig.Engine listenerTlsEngine(String name) {
        ListenerServer s = listeners.get(name);
        return s == null ? null : s.tlsEngine();
    }

    /** The IO threads serving every listener and TCP forward. */
    int ioThreadCount() {
        return worker.getIoThreadCount();
    }

    /** The bound address of the TCP forward configured with {@code bind}. */
    public java.net.InetSocketAddress tcpAddress(HostPort bind) {
        TcpForward f = forwards.get(bind);
        return f == null ? null : f.address();
    }

    @Override
    public synchronized void stop() {
        if (subscription != null) {
            subscription.close();
            subscription = null;
        }
        for (ListenerServer s : listeners.values()) {
            try {
                s.stop();
            } catch (RuntimeException e) {
                log.warn("stopping listener {}: {}", s.config().name(), e.toString());
            }
        }
        listeners.clear();
        forwards.values().forEach(TcpForward::stop);
        forwards.clear();
        for (Backend b : backends.values()) {
            for (Endpoint e : b.endpoints()) e.closePool();
        }
        backends.clear();
        if (accessLogWriter != null) { // after the listeners: their last lines are queued
            accessLogWriter.close();
            accessLogWriter = null;
        }
        if (maintenance != null) {
            maintenance.shutdownNow();
            maintenance = null;
        }
        if (worker != null) {
            worker.shutdownNow();
            worker = null;
        }
        if (metrics != null) {
            metrics.unregister();
            metrics = null;
        }
        config = null;
    }

    /** Listeners that open, re-open or close, routes added and removed: for {@code cairn check --against}. */
    @Override
    public List<String> plan(ProxyConfig running, ProxyConfig next, ConfigChange change, Path configDir) {
        List<String> out = new ArrayList<>();
        Map<String, ListenerConfig> was = new LinkedHashMap<>();
        for (ListenerConfig l : running.listeners()) was.put(l.name(), l);
        for (ListenerConfig l : next.listeners()) {
            ListenerConfig o = was.remove(l.name());
            if (o == null) {
                out.add("listener " + l.name() + ": opens on " + l.bind());
                continue;
            }
            if (mustReopen(o, l, change)) out.add("listener " + l.name() + ": re-opens on " + l.bind());
            Map<String, String> before = routes(o);
            Map<String, String> after = routes(l);
            after.forEach((r, svc) -> {
                String old = before.get(r);
                if (old == null) out.add("listener " + l.name() + ": route " + r + " -> " + svc + " added");
                else if (!old.equals(svc)) out.add("listener " + l.name() + ": route " + r + " -> " + svc + " (was " + old + ")");
            });
            before.keySet().forEach(r -> {
                if (!after.containsKey(r)) out.add("listener " + l.name() + ": route " + r + " removed");
            });
        }
        was.keySet().forEach(n -> out.add("listener " + n + ": closes"));
        Set<HostPort> tcpBefore = new LinkedHashSet<>();
        running.tcp().forEach(t -> tcpBefore.add(t.bind()));
        for (TcpConfig t : next.tcp()) {
            if (!tcpBefore.remove(t.bind())) out.add("tcp forward " + t.bind() + " -> " + t.service() + ": opens");
        }
        tcpBefore.forEach(b -> out.add("tcp forward " + b + ": closes"));
        return out;
    }

    private static Map<String, String> routes(ListenerConfig l) {
        Map<String, String> out = new LinkedHashMap<>();
        for (RouteConfig r : l.routes()) {
            out.put(r.host() + r.path(), r.service() != null ? r.service() : r.staticFiles() != null ? "static files" : "-");
        }
        return out;
    }

    @Override
    public java.util.List<ProxyErrors> errors() {
        return java.util.List.of(ProxyErrors.values());
    }

    @Override
    public ModuleStatus status() {
        Map<String, Object> details = new LinkedHashMap<>();
        for (ListenerServer s : listeners.values()) {
            details.put("listener " + s.config().name(), dev.cairn.spi.config.HostPort.display(s.address()));
        }
        for (TcpForward f : forwards.values()) {
            details.put("tcp " + f.bindLabel(), f.config().service());
        }
        long now = System.nanoTime();
        boolean healthy = true;
        Map<String, Object> sessions = new LinkedHashMap<>();
        for (Backend b : backends.values()) {
            long up = b.endpoints().stream().filter(e -> e.usable(now)).count();
            details.put("service " + b.service(), up + "/" + b.endpoints().size() + " endpoints up");
            healthy &= up > 0;
            Map<String, Object> perEndpoint = new LinkedHashMap<>();
            for (Endpoint e : b.endpoints()) perEndpoint.put(e.name(), e.active());
            sessions.put(b.service(), perEndpoint);
        }
        // Requests in flight per endpoint, for the console's sessions column (HAProxy's scur).
        details.put("sessions", sessions);
        String summary = listeners.size() + " listeners, " + forwards.size() + " tcp forwards"
                + (healthy ? "" : ", a service has no endpoint up");
        return new ModuleStatus(healthy, summary, details);
    }
}
