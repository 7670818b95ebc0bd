package dev.cairn.core.lifecycle;

import dev.cairn.core.CoreErrors;
import dev.cairn.core.admin.AdminApi;
import dev.cairn.core.admin.AdminServer;
import dev.cairn.core.catalog.CatalogRegistry;
import dev.cairn.core.config.CairnConfig;
import dev.cairn.core.config.ConfigError;
import dev.cairn.core.config.ConfigException;
import dev.cairn.core.config.ConfigLoader;
import dev.cairn.core.config.ModuleRegistry;
import dev.cairn.core.node.NodeIdentity;
import dev.cairn.spi.Module;
import dev.cairn.spi.ModuleContext;
import dev.cairn.spi.ModuleStatus;
import dev.cairn.spi.catalog.Catalog;
import dev.cairn.spi.config.ConfigChange;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Cairn process: loads the config, runs the catalog, the admin API and every module whose
 * section is present, and applies reloads. All lifecycle methods are serialized on this object.
 */
public final class Host implements AdminApi, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Host.class);

    /** How long a graceful stop may take before the process exits anyway. */
    public static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);

    private final ModuleRegistry registry;
    private final ConfigLoader loader;
    private final Path file;
    private final String nodeOverride;
    private final Clock clock = Clock.systemUTC();
    private final PrometheusRegistry metrics;
    private final Gauge reloadSuccess;
    private final Gauge lastReloadTime;
    private final Counter reloads;

    private final Map<String, Running> running = new LinkedHashMap<>();
    /** Modules whose start has not returned yet: their status reads "starting" (see {@link #moduleStatus}). */
    private final java.util.Set<String> starting = java.util.concurrent.ConcurrentHashMap.newKeySet();
    /** Copy of {@link #running} for readers that must not wait on the lifecycle lock. */
    private volatile Map<String, Running> runningView = Map.of();
    private volatile CairnConfig config;
    private volatile String node;
    private volatile Instant startedAt;
    private volatile ReloadResult lastReload;
    private CatalogRegistry catalog;
    private AdminServer admin;
    private boolean stopped;

    private record Running(Module<?> module, Record config) {
    }

    public Host(ModuleRegistry registry, Path file, String nodeOverride, Map<String, String> env) {
        this.registry = registry;
        this.loader = new ConfigLoader(registry, env);
        this.file = file;
        this.nodeOverride = nodeOverride;
        this.metrics = new PrometheusRegistry();
        this.reloadSuccess = Gauge.builder().name("cairn_config_reload_success")
                .help("1 if the last config load or reload succeeded, 0 if it failed").register(metrics);
        this.lastReloadTime = Gauge.builder().name("cairn_config_last_reload_timestamp_seconds")
                .help("Unix time of the last successful config load or reload").unit(null).register(metrics);
        this.reloads = Counter.builder().name("cairn_config_reloads")
                .help("Config reload attempts by result").labelNames("result").register(metrics);
        reloads.labelValues("success");
        reloads.labelValues("failure");
        // One series per running module, so dashboards and alerts see which modules a node runs.
        io.prometheus.metrics.core.metrics.GaugeWithCallback.builder().name("cairn_module_up")
                .help("1 for each running module whose status is healthy, 0 for one that runs unhealthy")
                .labelNames("module")
                .callback(cb -> moduleStatus().forEach((name, st) -> cb.call(st.healthy() ? 1 : 0, name)))
                .register(metrics);
    }

    /** Loads the config and starts everything; on failure releases what started and throws. */
    public synchronized void start() throws ConfigException, StartupException {
        CairnConfig cfg = loader.load(file, nodeOverride);
        try {
            node = NodeIdentity.resolve(cfg.cluster(), nodeOverride);
        } catch (NodeIdentity.UnknownNodeException e) {
            throw new ConfigException(List.of(new ConfigError(file.toString(), 0, 0, "cluster.nodes", e.getMessage())));
        }
        config = cfg;
        startedAt = clock.instant();
        catalog = new CatalogRegistry(metrics, clock);
        catalog.holdChecks();
        catalog.apply(cfg.services());
        catalog.declareOwned(ConfigLoader.publishedServices(registry, cfg.modules()).keySet());
        startModules(cfg.modules());
        catalog.releaseChecks();
        // The admin API comes up last: once it answers, everything configured is running.
        try {
            admin = new AdminServer(this);
            admin.start(cfg.admin(), cfg.dir());
        } catch (Exception e) {
            stopAll();
            throw new StartupException("admin API failed to start on " + cfg.admin().listen() + ": " + e.getMessage(), e);
        }
        publishRunning();
        reloadSuccess.set(1);
        lastReloadTime.set(clock.millis() / 1000.0);
        lastReload = new ReloadResult(true, startedAt, cfg.hash(), List.of(), List.of("started"));
        log.info("cairn started: node {}, config {} ({}), admin on {}, modules [{}]", node, file, cfg.hash(),
                dev.cairn.spi.config.HostPort.display(admin.address()), String.join(", ", running.keySet()));
    }

    /**
     * Starts every configured module, each on a thread of its own, so that independent modules
     * (a proxy binding its listeners, DNS parsing its zones, the metrics listener) do not wait for
     * one another: /metrics answers once the metrics module is up, whatever the others still do.
     * Modules talk only through the catalog, which is thread-safe, and a module's status reads as
     * "starting" to the others until its start returned. Waits for every start to return; if one
     * failed, stops them all (reverse config order, the failed one included) and throws for the
     * first failure in config order, with the message a one-at-a-time start gave.
     */
    private void startModules(Map<String, Record> modules) throws StartupException {
        Map<String, Thread> threads = new LinkedHashMap<>();
        Map<String, Throwable> failures = new java.util.concurrent.ConcurrentHashMap<>();
        for (Map.Entry<String, Record> e : modules.entrySet()) {
            Module<?> m = registry.get(e.getKey()).orElseThrow();
            running.put(m.name(), new Running(m, e.getValue()));
            starting.add(m.name());
        }
        publishRunning();
        for (Map.Entry<String, Record> e : modules.entrySet()) {
            Module<?> m = running.get(e.getKey()).module;
            Record c = e.getValue();
            Thread t = new Thread(() -> {
                try {
                    startModule(m, c);
                    starting.remove(m.name());
                    log.info("module {} started: {}", m.name(), m.status().summary());
                } catch (Throwable ex) {
                    failures.put(m.name(), ex);
                    log.atError().addKeyValue("error_id", CoreErrors.MODULE_START_FAILED.id())
                            .log("module {} failed to start: {}", m.name(), ex.toString());
                }
            }, "cairn-start-" + m.name());
            // Daemon or not as the caller (Thread's default): the threads a module creates in start
            // inherit that, as they did when the caller's thread started every module itself.
            threads.put(m.name(), t);
        }
        threads.values().forEach(Thread::start);
        boolean interrupted = false;
        for (Thread t : threads.values()) {
            while (true) {
                try {
                    t.join();
                    break;
                } catch (InterruptedException ie) {
                    interrupted = true; // a start cannot be abandoned half-way: wait, then report
                }
            }
        }
        if (interrupted) Thread.currentThread().interrupt();
        for (String name : modules.keySet()) {
            Throwable ex = failures.get(name);
            if (ex == null) continue;
            stopAll();
            if (ex instanceof Error err) throw err;
            throw new StartupException("module " + name + " failed to start: " + ex.getMessage()
                    + privilegedPortHint(ex), ex);
        }
    }

    /**
     * Reads and validates the whole file, then applies it. An invalid file changes nothing: the
     * running config keeps serving and the errors are returned.
     */
    @Override
    public synchronized ReloadResult reload() {
        if (stopped || config == null) {
            return new ReloadResult(false, clock.instant(), null, List.of("not running"), List.of());
        }
        CairnConfig next;
        try {
            next = loader.load(file, nodeOverride);
            String nextNode = NodeIdentity.resolve(next.cluster(), nodeOverride);
            if (!nextNode.equals(node)) {
                throw new ConfigException(List.of(new ConfigError(file.toString(), 0, 0, "cluster.nodes",
                        "this node would become '" + nextNode + "' (now '" + node + "'): restart to change identity")));
            }
        } catch (ConfigException e) {
            return failed(e.errors().stream().map(ConfigError::toString).toList(), List.of());
        } catch (NodeIdentity.UnknownNodeException e) {
            return failed(List.of(file + ": cluster.nodes: " + e.getMessage()), List.of());
        }
        List<String> errors = new ArrayList<>();
        List<String> applied = new ArrayList<>();
        List<String> restartKeys = new ArrayList<>();
        // Map equality ignores order: a file that only reorders its services reorders the catalog too.
        if (!ConfigChange.between("services", config.services(), next.services()).isEmpty()) {
            catalog.apply(next.services());
            applied.add("catalog updated");
        }
        catalog.declareOwned(ConfigLoader.publishedServices(registry, next.modules()).keySet());
        ConfigChange adminChange = ConfigChange.between("admin", config.admin(), next.admin());
        restartKeys.addAll(adminChange.paths(ConfigChange.Kind.RESTART));
        if (!adminChange.isEmpty()) {
            try {
                admin.rebind(next.admin(), next.dir());
                applied.add("admin API now on " + dev.cairn.spi.config.HostPort.display(admin.address()));
            } catch (Exception e) {
                errors.add("admin: cannot apply " + next.admin().listen() + ": " + e.getMessage() + " (old listener kept)");
            }
        }
        for (Map.Entry<String, Record> e : next.modules().entrySet()) {
            Running r = running.get(e.getKey());
            try {
                if (r == null) {
                    Module<?> m = registry.get(e.getKey()).orElseThrow();
                    try {
                        startModule(m, e.getValue());
                    } catch (Exception ex) {
                        safeStop(m);
                        throw ex;
                    }
                    running.put(m.name(), new Running(m, e.getValue()));
                    applied.add("module " + m.name() + " started");
                } else {
                    ConfigChange change = ConfigChange.between(e.getKey(), r.config, e.getValue());
                    if (change.isEmpty()) continue;
                    reloadModule(r.module, e.getValue(), change);
                    restartKeys.addAll(change.paths(ConfigChange.Kind.RESTART));
                    running.put(e.getKey(), new Running(r.module, e.getValue()));
                    applied.add("module " + e.getKey() + " reloaded");
                    log.info("module {} reloaded: {}", e.getKey(), change);
                }
            } catch (Exception ex) {
                errors.add("module " + e.getKey() + ": " + ex.getMessage() + " (kept its previous state)");
            }
        }
        for (String name : new ArrayList<>(running.keySet())) {
            if (!next.modules().containsKey(name)) {
                safeStop(running.remove(name).module);
                applied.add("module " + name + " stopped");
            }
        }
        config = next;
        publishRunning();
        if (!errors.isEmpty()) {
            return failed(errors, applied, restartKeys);
        }
        reloadSuccess.set(1);
        lastReloadTime.set(clock.millis() / 1000.0);
        reloads.labelValues("success").inc();
        lastReload = new ReloadResult(true, clock.instant(), next.hash(), List.of(), applied, restartKeys);
        log.info("config reloaded ({}): {}{}", next.hash(), applied.isEmpty() ? "no changes" : String.join("; ", applied),
                restartKeys.isEmpty() ? "" : "; keys marked restart (re-opened or applied at the next start): "
                        + String.join(", ", restartKeys));
        return lastReload;
    }

    /** Reads and validates the file as a reload would, and says what applying it would change; applies nothing. */
    @Override
    public ReloadResult plan() {
        CairnConfig running = config;
        if (stopped || running == null) {
            return new ReloadResult(false, clock.instant(), null, List.of("not running"), List.of());
        }
        try {
            CairnConfig next = loader.load(file, nodeOverride);
            return new ReloadResult(true, clock.instant(), next.hash(), List.of(), ReloadPlan.lines(registry, running, next));
        } catch (ConfigException e) {
            return new ReloadResult(false, clock.instant(), running.hash(),
                    e.errors().stream().map(ConfigError::toString).toList(), List.of());
        }
    }

    private ReloadResult failed(List<String> errors, List<String> applied) {
        return failed(errors, applied, List.of());
    }

    private ReloadResult failed(List<String> errors, List<String> applied, List<String> restartKeys) {
        reloadSuccess.set(0);
        reloads.labelValues("failure").inc();
        for (String e : errors) {
            log.atError().addKeyValue("error_id", CoreErrors.RELOAD_REJECTED.id()).log("reload rejected: {}", e);
        }
        lastReload = new ReloadResult(false, clock.instant(), config == null ? null : config.hash(), errors, applied,
                restartKeys);
        return lastReload;
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private void startModule(Module m, Record cfg) throws Exception {
        m.start(cfg, context());
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private void reloadModule(Module m, Record cfg, ConfigChange change) throws Exception {
        m.reload(cfg, change, context());
    }

    /** Stops modules in reverse start order, then the admin API and the catalog. Idempotent. */
    @Override
    public synchronized void close() {
        if (stopped) return;
        log.info("cairn stopping");
        stopAll();
        log.info("cairn stopped");
    }

    private void stopAll() {
        stopped = true;
        List<Running> list = new ArrayList<>(running.values());
        for (int i = list.size() - 1; i >= 0; i--) {
            safeStop(list.get(i).module);
        }
        running.clear();
        starting.clear();
        publishRunning();
        if (admin != null) admin.stop();
        if (catalog != null) catalog.close();
    }

    private void publishRunning() {
        runningView = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(running));
    }

    private static void safeStop(Module<?> m) {
        try {
            m.stop();
        } catch (RuntimeException e) {
            log.warn("module {} did not stop cleanly: {}", m.name(), e.toString());
        }
    }

    private ModuleContext context() {
        return new ModuleContext() {
            @Override public String nodeName() { return node; }
            @Override public Catalog catalog() { return catalog; }
            @Override public PrometheusRegistry metrics() { return metrics; }
            @Override public Path configDir() { return config.dir(); }
            @Override public String configHash() { return config.hash(); }
            @Override public java.util.Optional<ModuleStatus> moduleStatus(String module) {
                return java.util.Optional.ofNullable(Host.this.moduleStatus().get(module));
            }
        };
    }

    // ---- views for the admin API ----

    @Override
    public String node() { return node; }
    @Override
    public CairnConfig config() { return config; }
    @Override
    public CatalogRegistry catalog() { return catalog; }
    public PrometheusRegistry metrics() { return metrics; }
    @Override
    public Instant startedAt() { return startedAt; }
    @Override
    public ReloadResult lastReload() { return lastReload; }
    public AdminServer admin() { return admin; }

    /**
     * When a start failed on "Permission denied" while binding (a port below 1024 without
     * CAP_NET_BIND_SERVICE), the capability to grant, named; otherwise nothing.
     */
    static String privilegedPortHint(Throwable ex) {
        for (Throwable t = ex; t != null; t = t.getCause()) {
            String msg = String.valueOf(t.getMessage());
            if ((t instanceof java.net.SocketException || msg.contains("bind") || msg.contains("listen"))
                    && msg.contains("Permission denied")
                    && dev.cairn.spi.Capabilities.missing("CAP_NET_BIND_SERVICE").contains("CAP_NET_BIND_SERVICE")) {
                return " (" + dev.cairn.core.CoreErrors.MISSING_CAPABILITY.id()
                        + ": missing capability CAP_NET_BIND_SERVICE: ports below 1024 need it; the packaged unit grants it)";
            }
        }
        return "";
    }

    /** Status of every running module, in start order. Does not wait for a reload in progress. */
    @Override
    public Map<String, ModuleStatus> moduleStatus() {
        Map<String, ModuleStatus> out = new LinkedHashMap<>();
        runningView.forEach((name, r) -> {
            if (starting.contains(name)) {
                out.put(name, ModuleStatus.down("starting"));
                return;
            }
            try {
                out.put(name, r.module.status());
            } catch (RuntimeException e) {
                out.put(name, ModuleStatus.down("status failed: " + e));
            }
        });
        return out;
    }

    /** The running module with this name (tests, admin). */
    @Override
    public java.util.Optional<Module<?>> module(String name) {
        Running r = runningView.get(name);
        return r == null ? java.util.Optional.empty() : java.util.Optional.of(r.module);
    }
}
