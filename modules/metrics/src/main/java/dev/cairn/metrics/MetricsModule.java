package dev.cairn.metrics;

import dev.cairn.metrics.host.HostCollector;
import dev.cairn.metrics.host.HostFilters;
import dev.cairn.spi.Module;
import dev.cairn.spi.ModuleContext;
import dev.cairn.spi.ModuleStatus;
import dev.cairn.spi.ValidationContext;
import dev.cairn.spi.config.HostPort;
import io.prometheus.metrics.core.metrics.Info;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.net.BindException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code metrics} module: serves the host's shared registry over HTTP for Prometheus, and
 * adds to it {@code cairn_build_info}, the JVM's metrics and host metrics under node_exporter's
 * names.
 *
 * <p>Each collector is registered once, in {@link #start}, and unregistered in {@link #stop};
 * {@link #reload} never re-registers (a name registered twice throws): it rebinds the listener
 * when {@code listen} changed and swaps everything else in place. Lifecycle methods are called
 * from one thread at a time (see {@link Module}); {@link #status()} and {@link #boundPort()} may be
 * called from any thread.
 */
public final class MetricsModule implements Module<MetricsConfig> {

    private static final Logger log = LoggerFactory.getLogger(MetricsModule.class);
    private static final Path PROC = Path.of("/proc");

    private final Deque<Runnable> cleanups = new ArrayDeque<>();
    private volatile MetricsConfig config;
    private volatile MetricsListener listener;
    private HostCollector host;
    private JvmCollector jvm;

    @Override
    public String name() {
        return "metrics";
    }

    @Override
    public Class<MetricsConfig> configType() {
        return MetricsConfig.class;
    }

    @Override
    public void validate(MetricsConfig config, ValidationContext ctx) {
        String pathProblem = pathProblem(config.path());
        if (pathProblem != null) {
            ctx.problems().error(config, "path", pathProblem);
        }
        checkRegex(config, "filesystem_mount_points_exclude", config.filesystemMountPointsExclude(), ctx);
        checkRegex(config, "filesystem_fs_types_exclude", config.filesystemFsTypesExclude(), ctx);
        checkRegex(config, "disk_devices_exclude", config.diskDevicesExclude(), ctx);
    }

    @Override
    public void start(MetricsConfig config, ModuleContext ctx) throws Exception {
        if (listener != null || !cleanups.isEmpty()) {
            throw new IllegalStateException("metrics module already started; stop it first");
        }
        HostFilters filters = filters(config);
        requireValidPath(config.path());
        PrometheusRegistry registry = ctx.metrics();
        try {
            Info buildInfo = BuildInfo.current().toMetric();
            register(registry, buildInfo);

            jvm = new JvmCollector(config.jvmMetrics());
            register(registry, jvm);

            HostCollector hostCollector = new HostCollector(PROC, filters);
            hostCollector.update(config.hostMetrics(), filters);
            host = hostCollector;
            cleanups.push(hostCollector::close);
            register(registry, hostCollector);

            listener = bind(config.listen(), config.path(), registry);
            this.config = config;
        } catch (Exception | Error e) {
            stop();
            throw e;
        }
        log.info("metrics: serving {} on {} (host metrics {}, JVM metrics {})", config.path(), displayAddress(),
                onOff(config.hostMetrics()), onOff(config.jvmMetrics()));
    }

    @Override
    public void reload(MetricsConfig newConfig, ModuleContext ctx) throws Exception {
        MetricsConfig old = config;
        if (listener == null || old == null) {
            stop();
            start(newConfig, ctx);
            return;
        }
        // Everything that can fail happens before anything changes: a failed reload keeps the old config serving.
        HostFilters filters = filters(newConfig);
        requireValidPath(newConfig.path());
        if (!sameBinding(old.listen(), newConfig.listen())) {
            listener = rebind(listener, old.listen(), newConfig.listen(), newConfig.path(), ctx.metrics());
        }
        listener.setPath(newConfig.path());
        host.update(newConfig.hostMetrics(), filters);
        jvm.setEnabled(newConfig.jvmMetrics());
        config = newConfig;
        log.info("metrics: reloaded; serving {} on {} (host metrics {}, JVM metrics {})", newConfig.path(),
                displayAddress(), onOff(newConfig.hostMetrics()), onOff(newConfig.jvmMetrics()));
    }

    @Override
    public void stop() {
        MetricsListener l = listener;
        listener = null;
        if (l != null) {
            l.close();
        }
        while (!cleanups.isEmpty()) {
            try {
                cleanups.pop().run();
            } catch (RuntimeException e) {
                log.warn("metrics: cleanup failed: {}", e.toString());
            }
        }
        host = null;
        jvm = null;
        config = null;
    }

    @Override
    public java.util.List<MetricsErrors> errors() {
        return java.util.List.of(MetricsErrors.values());
    }

    @Override
    public ModuleStatus status() {
        MetricsConfig c = config;
        MetricsListener l = listener;
        if (c == null || l == null) {
            return ModuleStatus.down("not running");
        }
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("listen", displayAddress());
        details.put("path", c.path());
        details.put("host_metrics", c.hostMetrics());
        details.put("jvm_metrics", c.jvmMetrics());
        return new ModuleStatus(true, "serving on " + displayAddress(), details);
    }

    /** The port the listener is bound to: the configured one, or the one picked for port 0. */
    public int boundPort() {
        MetricsListener l = listener;
        if (l == null) {
            throw new IllegalStateException("metrics module is not running");
        }
        return l.address().getPort();
    }

    private void register(PrometheusRegistry registry, Info metric) {
        try {
            registry.register(metric);
        } catch (IllegalStateException e) {
            throw conflict(e);
        }
        cleanups.push(() -> registry.unregister(metric));
    }

    private void register(PrometheusRegistry registry, MultiCollector collector) {
        try {
            registry.register(collector);
        } catch (IllegalStateException e) {
            throw conflict(e);
        }
        cleanups.push(() -> registry.unregister(collector));
    }

    private static IllegalStateException conflict(IllegalStateException e) {
        return new IllegalStateException(MetricsErrors.METRIC_NAME_TAKEN.id() + ": " + e.getMessage()
                + " The metrics module owns cairn_build_info, jvm_*, process_* and node_*: another module"
                + " (or the host) registered one of them in the shared registry.", e);
    }

    private static MetricsListener bind(HostPort listen, String path, PrometheusRegistry registry) throws IOException {
        try {
            return MetricsListener.open(listen, path, registry);
        } catch (IOException e) {
            IOException wrapped = e instanceof BindException
                    ? new BindException(MetricsErrors.LISTEN_FAILED.id() + ": cannot listen on " + listen + ": " + e.getMessage())
                    : new IOException(MetricsErrors.LISTEN_FAILED.id() + ": cannot listen on " + listen + ": " + e.getMessage());
            wrapped.initCause(e);
            throw wrapped;
        }
    }

    /**
     * Opens the new address before closing the old one, so a failed bind keeps the old listener.
     * Only when the new address overlaps the old (same port: {@code :9100} to {@code 127.0.0.1:9100})
     * must the old one close first; if the new bind then fails, the old address is bound again.
     */
    private static MetricsListener rebind(MetricsListener current, HostPort from, HostPort to, String path,
            PrometheusRegistry registry) throws IOException {
        try {
            MetricsListener next = bind(to, path, registry);
            current.close();
            return next;
        } catch (BindException e) {
            if (from.port() != to.port() || to.port() == 0) {
                throw e;
            }
        }
        current.close();
        try {
            return bind(to, path, registry);
        } catch (IOException e) {
            try {
                return bind(from, path, registry);
            } catch (IOException again) {
                e.addSuppressed(again);
            }
            throw e;
        }
    }

    private static boolean sameBinding(HostPort a, HostPort b) {
        if (a.port() != b.port()) return false;
        return (a.isWildcard() && b.isWildcard()) || a.host().equals(b.host());
    }

    private String displayAddress() {
        MetricsConfig c = config;
        MetricsListener l = listener;
        if (c == null || l == null) return "-";
        return new HostPort(c.listen().host(), l.address().getPort()).toString();
    }

    private static String onOff(boolean b) {
        return b ? "on" : "off";
    }

    private static HostFilters filters(MetricsConfig c) {
        try {
            return HostFilters.compile(c.filesystemMountPointsExclude(), c.filesystemFsTypesExclude(),
                    c.diskDevicesExclude());
        } catch (PatternSyntaxException e) {
            throw new IllegalArgumentException(MetricsErrors.EXCLUDE_REGEX_INVALID.id() + ": '" + e.getPattern()
                    + "' is not a valid regular expression: " + e.getDescription(), e);
        }
    }

    private static void checkRegex(MetricsConfig config, String key, String regex, ValidationContext ctx) {
        if (regex == null) {
            ctx.problems().error(config, key, MetricsErrors.EXCLUDE_REGEX_INVALID.id() + ": a regular expression is required");
            return;
        }
        try {
            Pattern.compile(regex);
        } catch (PatternSyntaxException e) {
            ctx.problems().error(config, key, MetricsErrors.EXCLUDE_REGEX_INVALID.id() + ": '" + regex
                    + "' is not a valid regular expression: " + e.getDescription() + " at index " + e.getIndex());
        }
    }

    private static void requireValidPath(String path) {
        String problem = pathProblem(path);
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
    }

    /** Null when {@code path} can serve the metrics, otherwise what is wrong with it. */
    static String pathProblem(String path) {
        if (path == null || !path.startsWith("/")) {
            return MetricsErrors.PATH_INVALID.id() + ": path '" + path + "' must start with '/' (e.g. /metrics)";
        }
        for (char ch : path.toCharArray()) {
            if (ch == '?' || ch == '#' || Character.isWhitespace(ch) || Character.isISOControl(ch)) {
                return MetricsErrors.PATH_INVALID.id() + ": path '" + path + "' must be a plain URL path, without '?', '#' or spaces";
            }
        }
        return null;
    }
}
