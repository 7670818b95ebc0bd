package dev.cairn.replication;

import dev.cairn.replication.ReplicationConfig.ClusterConfig;
import dev.cairn.replication.ReplicationConfig.NodeConfig;
import dev.cairn.replication.catalog.ServicePublisher;
import dev.cairn.replication.failover.FailoverController;
import dev.cairn.replication.failover.FailoverHistory;
import dev.cairn.replication.failover.FailoverMetrics;
import dev.cairn.replication.failover.Failovers;
import dev.cairn.replication.heartbeat.HeartbeatWriter;
import dev.cairn.replication.metrics.ReplicationMetrics;
import dev.cairn.replication.metrics.ReplicationMetrics.ClusterSample;
import dev.cairn.replication.status.SnapshotJson;
import dev.cairn.replication.status.TopologyTree;
import dev.cairn.replication.topology.AnalysisCode;
import dev.cairn.replication.topology.TopologySnapshot;
import dev.cairn.spi.Module;
import dev.cairn.spi.ModuleContext;
import dev.cairn.spi.ModuleStatus;
import dev.cairn.spi.ValidationContext;
import dev.cairn.spi.command.ModuleCommand;
import dev.cairn.spi.config.ConfigProblems;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code replication:} section: monitors MySQL/MariaDB primary-replica clusters (topology,
 * true lag by heartbeat, findings, orchestrator-style analysis), serves mysqld_exporter-compatible
 * metrics, and publishes each cluster's primary and healthy replicas as catalog services that the
 * TCP proxy and DNS follow.
 *
 * <p>Per cluster: a {@link ClusterMonitor} (loop thread + one probe thread per node), a
 * {@link HeartbeatWriter} and a {@link ServicePublisher}. A reload restarts only the clusters
 * whose section changed. Lifecycle calls come from the host one at a time.
 */
public final class ReplicationModule implements Module<ReplicationConfig> {

    private static final Logger log = LoggerFactory.getLogger(ReplicationModule.class);
    private static final Pattern IDENT = Pattern.compile("[A-Za-z0-9_$]+\\.[A-Za-z0-9_$]+");

    /** One running cluster. */
    record Running(ClusterConfig config, ClusterMonitor monitor, HeartbeatWriter heartbeat, ServicePublisher publisher,
                   FailoverController failover) {
        void close() {
            if (failover != null) failover.close();
            if (heartbeat != null) heartbeat.close();
            monitor.close();
        }
    }

    private final Map<String, Running> running = new LinkedHashMap<>();
    /** Per cluster, what its failover remembers (block period, ack, max_per_hour, last audit): kept across reloads. */
    private final Map<String, FailoverHistory> histories = new java.util.concurrent.ConcurrentHashMap<>();
    /** The last analysis per cluster, to log changes only. */
    private final Map<String, Set<AnalysisCode>> lastCodes = new java.util.concurrent.ConcurrentHashMap<>();
    private volatile Map<String, Running> view = Map.of();
    private ReplicationMetrics metrics;
    private FailoverMetrics failoverMetrics;
    private ModuleContext ctx;
    private final Clock clock;

    public ReplicationModule() {
        this(Clock.systemUTC());
    }

    ReplicationModule(Clock clock) {
        this.clock = clock;
    }

    @Override
    public String name() {
        return "replication";
    }

    @Override
    public Class<ReplicationConfig> configType() {
        return ReplicationConfig.class;
    }

    @Override
    public Set<String> publishedServices(ReplicationConfig config) {
        Set<String> s = new LinkedHashSet<>();
        for (ClusterConfig c : config.clusters().values()) {
            if (c.publish().primary() != null) s.add(c.publish().primary());
            if (c.publish().replicas() != null) s.add(c.publish().replicas());
        }
        return s;
    }

    @Override
    public void validate(ReplicationConfig config, ValidationContext ctx) {
        ConfigProblems p = ctx.problems();
        if (config.clusters().isEmpty()) p.error(config, "clusters", "no clusters: monitor at least one");
        Set<String> published = new HashSet<>();
        for (Map.Entry<String, ClusterConfig> e : config.clusters().entrySet()) {
            ClusterConfig c = e.getValue();
            if (c.nodes().isEmpty()) p.error(c, "nodes", "no nodes: list the primary and its replicas");
            Set<String> names = new HashSet<>();
            Set<String> addresses = new HashSet<>();
            for (NodeConfig n : c.nodes()) {
                if (n.address().port() == 0 || n.address().isWildcard()) {
                    p.error(n, "address", n.address() + " needs a host and a port");
                }
                if (!names.add(n.displayName())) p.error(n, "name", "node name '" + n.displayName() + "' is used twice");
                if (!addresses.add(n.address().toString())) p.error(n, "address", n.address() + " is listed twice");
            }
            if (c.user().isBlank()) p.error(c, "user", "needs the monitor user's name");
            if (c.passwordFile() == null && c.password() == null) {
                p.error(c, "password_file", "set password_file (or password: ${env:NAME})");
            } else if (c.passwordFile() != null && c.password() != null) {
                p.error(c, "password", "set password_file or password, not both");
            } else if (c.passwordFile() != null) {
                try {
                    readPassword(ctx.resolve(c.passwordFile()));
                } catch (IOException ex) {
                    p.error(c, "password_file", ReplicationErrors.PASSWORD_FILE_UNREADABLE.id() + " cannot read " + ctx.resolve(c.passwordFile()) + ": " + ex.getMessage());
                }
            }
            positive(p, c, "interval", c.interval());
            atLeast(p, c, "connect_timeout", c.connectTimeout());
            atLeast(p, c, "read_timeout", c.readTimeout());
            if (c.warnLag().isNegative()) p.error(c, "warn_lag", "must not be negative");
            if (c.maxLag().compareTo(c.warnLag()) < 0) {
                p.error(c, "max_lag", "must be at least warn_lag (" + c.warnLag().toSeconds() + "s)");
            }
            if (!IDENT.matcher(c.heartbeat().table()).matches()) {
                p.error(c.heartbeat(), "table", "'" + c.heartbeat().table() + "' is not schema.table (letters, digits, _ and $)");
            }
            positive(p, c.heartbeat(), "interval", c.heartbeat().interval());
            Failovers.validate(c, p, ctx::resolve);
            for (String svc : new String[] {c.publish().primary(), c.publish().replicas()}) {
                if (svc == null) continue;
                if (svc.isBlank()) p.error(c.publish(), null, "service names must not be empty");
                else if (!published.add(svc)) p.error(c.publish(), null, "service '" + svc + "' is published twice");
            }
        }
    }

    private static void positive(ConfigProblems p, Object rec, String key, Duration d) {
        if (d.isNegative() || d.isZero()) p.error(rec, key, "must be more than 0s");
    }

    private static void atLeast(ConfigProblems p, Object rec, String key, Duration d) {
        if (d.compareTo(ClusterConfig.MIN_TIMEOUT) < 0) p.error(rec, key, "must be at least 100ms");
    }

    /** The first line of a password file, without its line end. */
    static String readPassword(Path file) throws IOException {
        String text = Files.readString(file);
        int nl = text.indexOf('\n');
        String first = nl < 0 ? text : text.substring(0, nl);
        return first.endsWith("\r") ? first.substring(0, first.length() - 1) : first;
    }

    @Override
    public synchronized void start(ReplicationConfig config, ModuleContext ctx) throws Exception {
        this.ctx = ctx;
        for (Map.Entry<String, ClusterConfig> e : config.clusters().entrySet()) {
            running.put(e.getKey(), startCluster(e.getKey(), e.getValue(), ctx));
        }
        view = inConfigOrder(running);
        metrics = new ReplicationMetrics(this::samples);
        metrics.mysqldFamilies(config.mysqldMetrics());
        ctx.metrics().register(metrics);
    }

    /** A read-only copy in the file's order (Map.copyOf would not keep it): status, the CLI and metrics list clusters so. */
    private static Map<String, Running> inConfigOrder(Map<String, Running> m) {
        return java.util.Collections.unmodifiableMap(new LinkedHashMap<>(m));
    }

    private Running startCluster(String name, ClusterConfig c, ModuleContext ctx) throws IOException {
        String password = c.passwordFile() != null ? readPassword(ctx.configDir().resolve(c.passwordFile()).normalize()) : c.password();
        ClusterMonitor m = new ClusterMonitor(name, c, password, clock);
        ServicePublisher pub = c.publish().primary() != null || c.publish().replicas() != null
                ? new ServicePublisher(name, c.publish(), ctx.catalog()) : null;
        if (pub != null) m.subscribe(pub::publish);
        HeartbeatWriter hb = null;
        if (c.heartbeat().enabled()) {
            hb = new HeartbeatWriter(name, c.heartbeat(), m::latest, m::pool, clock);
        }
        m.subscribe(s -> logChanges(name, s));
        if (failoverMetrics == null) failoverMetrics = new FailoverMetrics(ctx.metrics());
        FailoverController fc = Failovers.create(name, c, password, ctx, pub, failoverMetrics, clock,
                histories.computeIfAbsent(name, k -> new FailoverHistory()));
        if (fc != null) m.subscribe(fc::accept);
        m.start();
        if (hb != null) hb.start();
        return new Running(c, m, hb, pub, fc);
    }

    private void logChanges(String cluster, TopologySnapshot s) {
        Set<AnalysisCode> before = lastCodes.put(cluster, s.analysis());
        if (!s.analysis().equals(before)) {
            (healthy(s) ? log.atInfo() : log.atWarn()).addKeyValue("cluster", cluster).log("replication cluster {}: primary {}, analysis {}", cluster,
                    s.primary(), SnapshotJson.analysis(s));
        }
    }

    @Override
    public synchronized void reload(ReplicationConfig config, ModuleContext ctx) throws Exception {
        this.ctx = ctx;
        Map<String, Running> next = new LinkedHashMap<>();
        List<Running> started = new ArrayList<>();
        try {
            for (Map.Entry<String, ClusterConfig> e : config.clusters().entrySet()) {
                Running r = running.get(e.getKey());
                if (r != null && r.config().equals(e.getValue())) {
                    next.put(e.getKey(), r);
                } else {
                    Running fresh = startCluster(e.getKey(), e.getValue(), ctx);
                    started.add(fresh);
                    next.put(e.getKey(), fresh);
                }
            }
        } catch (IOException | RuntimeException ex) {
            started.forEach(Running::close);
            throw ex;
        }
        for (Map.Entry<String, Running> e : running.entrySet()) {
            if (next.get(e.getKey()) != e.getValue()) e.getValue().close();
        }
        running.clear();
        running.putAll(next);
        view = inConfigOrder(running);
        histories.keySet().retainAll(next.keySet());
        if (metrics != null) metrics.mysqldFamilies(config.mysqldMetrics());
    }

    @Override
    public synchronized void stop() {
        if (metrics != null && ctx != null) {
            ctx.metrics().unregister(metrics);
            metrics = null;
        }
        running.values().forEach(Running::close);
        running.clear();
        view = Map.of();
        if (failoverMetrics != null) {
            failoverMetrics.close();
            failoverMetrics = null;
        }
    }

    /** The failover of a cluster whose {@code failover.mode} is not off (tests). */
    public Optional<FailoverController> failover(String cluster) {
        return Optional.ofNullable(view.get(cluster)).map(Running::failover);
    }

    private Map<String, FailoverController> failovers() {
        Map<String, FailoverController> out = new LinkedHashMap<>();
        view.forEach((k, r) -> {
            if (r.failover() != null) out.put(k, r.failover());
        });
        return out;
    }

    /** The running monitor of a cluster (part 2 and tests), if any. */
    public Optional<ClusterMonitor> monitor(String cluster) {
        return Optional.ofNullable(view.get(cluster)).map(Running::monitor);
    }

    /** The publisher of a cluster's services, if it publishes any. */
    public Optional<ServicePublisher> publisher(String cluster) {
        return Optional.ofNullable(view.get(cluster)).map(Running::publisher);
    }

    /** The heartbeat writer of a cluster, if the heartbeat is on. */
    public Optional<HeartbeatWriter> heartbeat(String cluster) {
        return Optional.ofNullable(view.get(cluster)).map(Running::heartbeat);
    }

    private List<ClusterSample> samples() {
        List<ClusterSample> out = new ArrayList<>();
        view.forEach((name, r) -> out.add(new ClusterSample(name, r.monitor().latest(),
                r.heartbeat() == null ? 0 : r.heartbeat().writes(), r.heartbeat() == null ? 0 : r.heartbeat().failures())));
        return out;
    }

    /** A cluster is healthy when its primary answers, is writable, and no analysis code says otherwise. */
    static boolean healthy(TopologySnapshot s) {
        if (s == null || s.primary() == null) return false;
        if (!s.primaryNode().map(n -> n.state().writable()).orElse(false)) return false;
        for (AnalysisCode c : s.analysis()) {
            switch (c) {
                case DEAD_PRIMARY, DEAD_PRIMARY_AND_SOME_REPLICAS, DEAD_PRIMARY_AND_REPLICAS, UNREACHABLE_PRIMARY,
                        NO_WRITABLE_PRIMARY, NO_PRIMARY, MULTIPLE_WRITABLE_NODES, LOCKED_SEMI_SYNC_PRIMARY -> {
                    return false;
                }
                default -> {
                }
            }
        }
        return true;
    }

    @Override
    public ModuleStatus status() {
        Map<String, Running> v = view;
        boolean healthy = true;
        List<String> summary = new ArrayList<>();
        Map<String, Object> details = new LinkedHashMap<>();
        for (Map.Entry<String, Running> e : v.entrySet()) {
            TopologySnapshot s = e.getValue().monitor().latest();
            if (s == null) {
                summary.add(e.getKey() + ": probing");
                healthy = false;
                continue;
            }
            healthy &= healthy(s);
            summary.add(e.getKey() + ": primary " + (s.primary() == null ? "none" : s.primary()) + ", "
                    + s.replicas().size() + " replicas, " + String.join(",", SnapshotJson.analysis(s)));
            Map<String, Object> m = SnapshotJson.toMap(s);
            HeartbeatWriter hb = e.getValue().heartbeat();
            if (hb != null) {
                Map<String, Object> h = new LinkedHashMap<>();
                h.put("writes", hb.writes());
                h.put("failures", hb.failures());
                if (hb.lastNode() != null) h.put("last_node", hb.lastNode());
                if (hb.lastError() != null) h.put("last_error", hb.lastError());
                m.put("heartbeat", h);
            }
            ServicePublisher pub = e.getValue().publisher();
            if (pub != null) m.put("epoch", pub.epoch());
            if (e.getValue().failover() != null) m.put("failover", failoverStatus(e.getValue().failover()));
            details.put(e.getKey(), m);
        }
        return new ModuleStatus(healthy, String.join("; ", summary), Map.of("clusters", details));
    }

    /**
     * The failover controller's status, its last failover with {@code started_at} and {@code at}
     * (finished) added from the audit log's first and last steps, for the console and
     * {@code cairn status}; every other key as the controller gives it.
     */
    @SuppressWarnings("unchecked")
    private static Map<String, Object> failoverStatus(FailoverController fc) {
        Map<String, Object> st = fc.status();
        if (st.get("last_failover") instanceof Map<?, ?> lf) {
            fc.lastResult().filter(r -> !r.audit().isEmpty() && Long.valueOf(r.epoch()).equals(lf.get("epoch"))).ifPresent(r -> {
                Map<String, Object> m = (Map<String, Object>) lf;
                m.put("started_at", r.audit().get(0).at().toString());
                m.put("at", r.audit().get(r.audit().size() - 1).at().toString());
            });
        }
        return st;
    }

    @Override
    public Object action(String action, Map<String, String> params, boolean post) throws Exception {
        String cluster = params.get("cluster");
        Map<String, Running> v = view;
        if (cluster != null && !v.containsKey(cluster)) {
            throw new ActionException(404, "no replication cluster '" + cluster + "' (clusters: " + String.join(", ", v.keySet()) + ")");
        }
        switch (action) {
            case "status" -> {
                Map<String, Object> out = new LinkedHashMap<>();
                for (Map.Entry<String, Running> e : v.entrySet()) {
                    if (cluster != null && !cluster.equals(e.getKey())) continue;
                    TopologySnapshot s = e.getValue().monitor().latest();
                    out.put(e.getKey(), s == null ? Map.of("cluster", e.getKey(), "probing", true) : SnapshotJson.toMap(s));
                }
                return out;
            }
            case "tree" -> {
                StringBuilder b = new StringBuilder();
                for (Map.Entry<String, Running> e : v.entrySet()) {
                    if (cluster != null && !cluster.equals(e.getKey())) continue;
                    TopologySnapshot s = e.getValue().monitor().latest();
                    b.append(s == null ? "cluster " + e.getKey() + ": probing (no round finished yet)\n" : TopologyTree.render(s));
                    if (s != null && !healthy(s)) b.append("UNHEALTHY\n");
                }
                return b.toString();
            }
            default -> {
                Optional<Object> f = Failovers.action(failovers(), action, params, post);
                if (f.isPresent()) return f.get();
                return Module.super.action(action, params, post);
            }
        }
    }

    @Override
    public List<ReplicationErrors> errors() {
        return List.of(ReplicationErrors.values());
    }

    @Override
    public List<ModuleCommand<ReplicationConfig>> commands() {
        return List.of(new ReplicationCommand());
    }
}
