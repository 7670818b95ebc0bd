package dev.cairn.core.catalog;

import dev.cairn.core.CoreErrors;
import dev.cairn.spi.catalog.Catalog;
import dev.cairn.spi.catalog.CatalogEvent;
import dev.cairn.spi.catalog.CheckStats;
import dev.cairn.spi.catalog.EndpointView;
import dev.cairn.spi.catalog.Health;
import dev.cairn.spi.catalog.PublishedEndpoint;
import dev.cairn.spi.catalog.PublishedService;
import dev.cairn.spi.catalog.ServiceView;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The host's catalog: services from the config, the health of each endpoint from active checks
 * (run once per node, shared by every module), and operator drain/weight overrides.
 *
 * <p>Health follows HAProxy: an endpoint starts UP with health = rise, so its first failed check
 * takes it down; after that {@code fall} consecutive failures take an up endpoint down and
 * {@code rise} consecutive successes bring a down one up.
 *
 * <p>Thread-safety: state changes are serialized on this object's lock; readers get immutable
 * snapshots; listeners are called in order on one event thread ({@link CatalogEvents}). The checks
 * run on {@link HealthCheckScheduler}'s threads, the samples live in {@link CatalogMetrics}; this
 * class holds the state and decides what a result means. Stops its threads in {@link #close()}.
 */
public final class CatalogRegistry implements Catalog, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(CatalogRegistry.class);

    static {
        // Lets HTTP checks send the configured Host header.
        System.setProperty("jdk.httpclient.allowRestrictedHeaders", "host");
    }

    private final Clock clock;
    private final HealthCheckScheduler checks = new HealthCheckScheduler();
    private final CatalogEvents events = new CatalogEvents();
    private final CatalogMetrics metrics;

    /** Keyed by service then endpoint name; guarded by {@code this}. */
    private final Map<String, Map<String, EndpointState>> state = new LinkedHashMap<>();
    /** Module-owned services by name, in declaration order; guarded by {@code this}. */
    private final Map<String, Owned> owned = new LinkedHashMap<>();
    private volatile List<ServiceView> snapshot = List.of();
    private boolean closed;

    /** Mutable per-endpoint state; guarded by the registry's lock. */
    private static final class EndpointState {
        final String service;
        EndpointConfig config;
        CheckConfig check;
        HealthCounter counter;
        boolean drained;
        Integer weightOverride;
        Instant since;
        String lastCheck = "not checked yet";
        long lastCheckNanos = -1;
        String lastStatus;
        long failures;
        long upToDown;
        /** Time DOWN before {@code downSince}; {@code downSince} is set while DOWN. */
        Duration downtime = Duration.ZERO;
        Instant downSince;
        HealthCheckScheduler.Task task;

        EndpointState(String service, EndpointConfig config, CheckConfig check, Instant now) {
            this.service = service;
            this.config = config;
            this.check = check;
            this.counter = check == null ? null : new HealthCounter(check.rise(), check.fall());
            this.since = now;
        }

        Health health() {
            return counter == null ? Health.UP : counter.health();
        }

        EndpointView view() {
            int weight = weightOverride != null ? weightOverride : config.weight();
            return new EndpointView(service, config.effectiveName(), config.address().host(),
                    config.address().port(), weight, config.tags(), health(), drained, since, lastCheck);
        }
    }

    /** A service a module publishes; guarded by the registry's lock. */
    private static final class Owned {
        long epoch = -1;
        List<EndpointView> endpoints = List.of();
    }

    public CatalogRegistry(PrometheusRegistry metrics, Clock clock) {
        this.clock = clock;
        this.metrics = new CatalogMetrics(metrics);
    }

    /**
     * Holds the active checks until {@link #releaseChecks}: the host holds them while its modules
     * start, so an endpoint served by this process is not probed before its module has bound it.
     * Endpoints stay as they start (UP at {@code rise}) meanwhile.
     */
    public void holdChecks() {
        checks.hold();
    }

    /** Starts the checks held since {@link #holdChecks}. */
    public void releaseChecks() {
        checks.release();
    }

    /**
     * Installs the services of a (new) config. Endpoints that keep their service, name and
     * address keep their health, drain state and weight override, so a reload neither flaps
     * health nor undrains anything.
     */
    public synchronized void apply(Map<String, ServiceConfig> services) {
        if (closed) throw new IllegalStateException("catalog closed");
        Instant now = clock.instant();
        Map<String, Map<String, EndpointState>> next = new LinkedHashMap<>();
        List<CatalogEvent> changes = new ArrayList<>();
        for (Map.Entry<String, ServiceConfig> svc : services.entrySet()) {
            Map<String, EndpointState> old = state.getOrDefault(svc.getKey(), Map.of());
            Map<String, EndpointState> eps = new LinkedHashMap<>();
            for (EndpointConfig ep : svc.getValue().endpoints()) {
                EndpointState s = old.get(ep.effectiveName());
                CheckConfig check = svc.getValue().check();
                if (s != null && s.config.address().equals(ep.address())) {
                    EndpointView before = s.view();
                    cancel(s);
                    s.config = ep;
                    if (check == null) {
                        s.counter = null;
                        if (s.downSince != null) { // no check, so UP from now on
                            s.downtime = s.downtime.plus(Duration.between(s.downSince, now));
                            s.downSince = null;
                        }
                    } else if (s.check == null || s.check.rise() != check.rise() || s.check.fall() != check.fall()) {
                        // Keep the endpoint's current state under the new rise/fall.
                        s.counter = new HealthCounter(check.rise(), check.fall(), s.health(), true);
                    }
                    s.check = check;
                    if (!before.equals(s.view())) {
                        changes.add(new CatalogEvent(CatalogEvent.Kind.RELOAD, svc.getKey(), before, s.view()));
                    }
                } else {
                    if (s != null) cancel(s);
                    s = new EndpointState(svc.getKey(), ep, check, now);
                    changes.add(new CatalogEvent(CatalogEvent.Kind.RELOAD, svc.getKey(), null, s.view()));
                }
                eps.put(ep.effectiveName(), s);
            }
            next.put(svc.getKey(), eps);
        }
        for (Map.Entry<String, Map<String, EndpointState>> svc : state.entrySet()) {
            for (EndpointState s : svc.getValue().values()) {
                Map<String, EndpointState> kept = next.get(svc.getKey());
                if (kept == null || kept.get(s.config.effectiveName()) != s) {
                    cancel(s);
                    metrics.removeEndpoint(s.service, s.config.effectiveName());
                    changes.add(new CatalogEvent(CatalogEvent.Kind.RELOAD, svc.getKey(), s.view(), null));
                }
            }
        }
        state.clear();
        state.putAll(next);
        for (Map<String, EndpointState> eps : state.values()) {
            for (EndpointState s : eps.values()) {
                schedule(s);
                publishGauges(s);
            }
        }
        rebuild();
        changes.forEach(this::fire);
    }

    /**
     * Declares the module-owned services of a (new) config: each exists, without endpoints, until
     * its module publishes it. Services no longer declared are removed with their endpoints.
     */
    public synchronized void declareOwned(java.util.Collection<String> names) {
        if (closed) throw new IllegalStateException("catalog closed");
        List<CatalogEvent> changes = new ArrayList<>();
        for (String name : new ArrayList<>(owned.keySet())) {
            if (names.contains(name)) continue;
            for (EndpointView v : owned.remove(name).endpoints) {
                metrics.removePublished(name, v.name());
                changes.add(new CatalogEvent(CatalogEvent.Kind.RELOAD, name, v, null));
            }
        }
        for (String name : names) owned.computeIfAbsent(name, n -> new Owned());
        rebuild();
        changes.forEach(this::fire);
    }

    @Override
    public synchronized boolean publish(PublishedService service) {
        if (closed || state.containsKey(service.name())) return false;
        Owned o = owned.computeIfAbsent(service.name(), n -> new Owned());
        if (service.epoch() < o.epoch) {
            log.atWarn().addKeyValue("error_id", CoreErrors.STALE_PUBLICATION.id()).addKeyValue("service", service.name())
                    .log("publication of {} with epoch {} refused: epoch {} is already published",
                            service.name(), service.epoch(), o.epoch);
            return false;
        }
        Instant now = clock.instant();
        Map<String, EndpointView> before = new LinkedHashMap<>();
        o.endpoints.forEach(v -> before.put(v.name(), v));
        List<EndpointView> next = new ArrayList<>();
        List<CatalogEvent> changes = new ArrayList<>();
        for (PublishedEndpoint p : service.endpoints()) {
            EndpointView old = before.remove(p.name());
            boolean same = old != null && old.host().equals(p.host()) && old.port() == p.port();
            Instant since = same && old.health() == p.health() ? old.since() : now;
            EndpointView v = new EndpointView(service.name(), p.name(), p.host(), p.port(), p.weight(), p.tags(),
                    p.health(), false, since, p.lastCheck());
            if (old != null && !same) {
                changes.add(new CatalogEvent(CatalogEvent.Kind.PUBLISH, service.name(), old, null));
                old = null;
            }
            if (!v.equals(old)) changes.add(new CatalogEvent(CatalogEvent.Kind.PUBLISH, service.name(), old, v));
            metrics.published(service.name(), v.name(), v.health() == Health.UP);
            next.add(v);
        }
        for (EndpointView gone : before.values()) {
            metrics.removePublished(service.name(), gone.name());
            changes.add(new CatalogEvent(CatalogEvent.Kind.PUBLISH, service.name(), gone, null));
        }
        if (service.epoch() > o.epoch && o.epoch >= 0) {
            log.info("service {}: epoch {} -> {}", service.name(), o.epoch, service.epoch());
        }
        o.epoch = service.epoch();
        o.endpoints = List.copyOf(next);
        rebuild();
        changes.forEach(this::fire);
        return true;
    }

    @Override
    public synchronized Optional<Long> publishedEpoch(String service) {
        Owned o = owned.get(service);
        return o == null || o.epoch < 0 ? Optional.empty() : Optional.of(o.epoch);
    }

    private void schedule(EndpointState s) {
        if (s.check == null) {
            s.lastCheck = "no check configured";
            return;
        }
        s.task = checks.every(s.check.interval(), () -> runCheck(s));
    }

    private static void cancel(EndpointState s) {
        if (s.task != null) {
            s.task.cancel();
            s.task = null;
        }
    }

    private void runCheck(EndpointState s) {
        CheckConfig check;
        EndpointConfig ep;
        synchronized (this) {
            if (s.task == null || closed) return;
            check = s.check;
            ep = s.config;
        }
        long start = System.nanoTime();
        HealthProbe.Result r = checks.probe(check, ep.address().host(), ep.address().port());
        long took = System.nanoTime() - start;
        metrics.checkDone(s.service, ep.effectiveName(), r.ok(), took / 1e9);
        record(s, check, r, took);
    }

    private synchronized void record(EndpointState s, CheckConfig check, HealthProbe.Result r, long tookNanos) {
        if (s.task == null || s.check != check) return; // replaced by a reload meanwhile
        s.lastCheckNanos = tookNanos;
        s.lastStatus = r.status();
        if (!r.ok()) s.failures++;
        EndpointView before = s.view();
        s.lastCheck = r.detail();
        if (s.counter.record(r.ok())) {
            s.since = clock.instant();
            downtime(s, before.health());
            log.atWarn().addKeyValue("service", s.service).addKeyValue("endpoint", s.config.effectiveName())
                    .log("endpoint {}/{} is now {} ({})", s.service, s.config.effectiveName(), s.health(), r.detail());
            publishGauges(s);
            rebuild();
            fire(new CatalogEvent(CatalogEvent.Kind.HEALTH, s.service, before, s.view()));
        } else if (!before.equals(s.view())) {
            rebuild();
        }
    }

    @Override
    public synchronized boolean markDown(String service, String endpoint, String reason) {
        EndpointState s = find(service, endpoint);
        if (s == null || s.counter == null || closed) return false;
        EndpointView before = s.view();
        s.lastCheck = "marked down: " + reason;
        if (s.counter.forceDown()) {
            s.since = clock.instant();
            downtime(s, before.health());
            log.atWarn().addKeyValue("error_id", CoreErrors.ENDPOINT_MARKED_DOWN.id()).addKeyValue("service", service)
                    .addKeyValue("endpoint", endpoint)
                    .log("endpoint {}/{} is now DOWN (marked down: {}); it needs {} passing checks to be UP again",
                            service, endpoint, reason, s.check.rise());
            publishGauges(s);
            rebuild();
            fire(new CatalogEvent(CatalogEvent.Kind.HEALTH, service, before, s.view()));
        } else if (!before.equals(s.view())) {
            rebuild(); // already down: only the last check's text changed, and its rise count restarts
        }
        return true;
    }

    /** Drains ({@code true}) or enables an endpoint; empty when service or endpoint is unknown. */
    public synchronized Optional<EndpointView> setDrained(String service, String endpoint, boolean drained) {
        EndpointState s = find(service, endpoint);
        if (s == null) return Optional.empty();
        EndpointView before = s.view();
        s.drained = drained;
        adminChange(s, before);
        return Optional.of(s.view());
    }

    /** Overrides an endpoint's weight until the next change (survives reloads); null restores the config's. */
    public synchronized Optional<EndpointView> setWeight(String service, String endpoint, Integer weight) {
        if (weight != null && (weight < 0 || weight > 256)) {
            throw new IllegalArgumentException("weight " + weight + " is out of range 0..256");
        }
        EndpointState s = find(service, endpoint);
        if (s == null) return Optional.empty();
        EndpointView before = s.view();
        s.weightOverride = weight;
        adminChange(s, before);
        return Optional.of(s.view());
    }

    private void adminChange(EndpointState s, EndpointView before) {
        if (before.equals(s.view())) return;
        log.info("endpoint {}/{}: drained={} weight={} (admin)", s.service, s.config.effectiveName(),
                s.drained, s.view().weight());
        publishGauges(s);
        rebuild();
        fire(new CatalogEvent(CatalogEvent.Kind.ADMIN, s.service, before, s.view()));
    }

    /** How long the endpoint's last active check took; empty before its first check or without one. */
    public synchronized Optional<Duration> lastCheckDuration(String service, String endpoint) {
        EndpointState s = find(service, endpoint);
        return s == null || s.lastCheckNanos < 0 ? Optional.empty() : Optional.of(Duration.ofNanos(s.lastCheckNanos));
    }

    /** After a health change from {@code was}: counts an UP→DOWN transition and the time spent DOWN. */
    private static void downtime(EndpointState s, Health was) {
        if (was == Health.UP && s.health() == Health.DOWN) {
            s.upToDown++;
            s.downSince = s.since;
        } else if (was == Health.DOWN && s.health() == Health.UP && s.downSince != null) {
            s.downtime = s.downtime.plus(Duration.between(s.downSince, s.since));
            s.downSince = null;
        }
    }

    @Override
    public synchronized Optional<CheckStats> checkStats(String service, String endpoint) {
        EndpointState s = find(service, endpoint);
        if (s == null || s.check == null) return Optional.empty();
        Duration down = s.downSince == null ? s.downtime : s.downtime.plus(Duration.between(s.downSince, clock.instant()));
        return Optional.of(new CheckStats(s.failures, s.upToDown, down, Optional.ofNullable(s.lastStatus),
                s.lastCheckNanos < 0 ? Optional.empty() : Optional.of(Duration.ofNanos(s.lastCheckNanos))));
    }

    private EndpointState find(String service, String endpoint) {
        Map<String, EndpointState> eps = state.get(service);
        return eps == null ? null : eps.get(endpoint);
    }

    private void publishGauges(EndpointState s) {
        metrics.endpoint(s.service, s.config.effectiveName(), s.health() == Health.UP, s.drained);
    }

    private void rebuild() {
        List<ServiceView> views = new ArrayList<>();
        for (Map.Entry<String, Map<String, EndpointState>> svc : state.entrySet()) {
            List<EndpointView> eps = new ArrayList<>();
            for (EndpointState s : svc.getValue().values()) eps.add(s.view());
            views.add(new ServiceView(svc.getKey(), eps));
        }
        owned.forEach((name, o) -> views.add(new ServiceView(name, o.endpoints)));
        snapshot = List.copyOf(views);
    }

    private void fire(CatalogEvent event) {
        events.fire(event);
    }

    @Override
    public List<ServiceView> services() {
        return snapshot;
    }

    @Override
    public Optional<ServiceView> service(String name) {
        for (ServiceView v : snapshot) {
            if (v.name().equals(name)) return Optional.of(v);
        }
        return Optional.empty();
    }

    @Override
    public Subscription subscribe(CatalogListener listener) {
        return events.subscribe(listener);
    }

    @Override
    public void close() {
        synchronized (this) {
            closed = true;
            state.values().forEach(eps -> eps.values().forEach(CatalogRegistry::cancel));
        }
        checks.close();
        events.close();
    }

    static java.util.concurrent.ThreadFactory daemon(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }
}
