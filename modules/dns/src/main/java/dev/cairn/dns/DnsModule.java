package dev.cairn.dns;

import dev.cairn.dns.DnsConfig.TsigKeyConfig;
import dev.cairn.dns.server.Acl;
import dev.cairn.dns.server.DnsMetrics;
import dev.cairn.dns.server.QueryHandler;
import dev.cairn.dns.server.RateLimiter;
import dev.cairn.dns.server.ServerSettings;
import dev.cairn.dns.server.TcpServer;
import dev.cairn.dns.server.TsigKeys;
import dev.cairn.dns.server.UdpListeners;
import dev.cairn.dns.server.UdpPath;
import dev.cairn.dns.xfr.NotifySender;
import dev.cairn.dns.zone.PreparedZone;
import dev.cairn.dns.zone.ZoneData;
import dev.cairn.dns.zone.ZoneProblem;
import dev.cairn.dns.zone.ZoneStore;
import dev.cairn.spi.Module;
import dev.cairn.spi.ModuleContext;
import dev.cairn.spi.ModuleStatus;
import dev.cairn.spi.config.ConfigChange;
import dev.cairn.spi.ValidationContext;
import dev.cairn.spi.catalog.Catalog;
import dev.cairn.spi.config.ConfigProblems;
import dev.cairn.spi.config.HostPort;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.Name;
import org.xbill.DNS.TextParseException;

/**
 * The {@code dns:} section: an authoritative DNS server for the zones in the config, from zone
 * files and inline records, with names bound to catalog services answering with the healthy
 * endpoints. Serves UDP and TCP on one port, transfers zones to secondaries (AXFR, IXFR as
 * AXFR, TSIG) and NOTIFYs them on change.
 *
 * <p>Threads: the UDP and TCP listeners, one zone-file poller, one NOTIFY sender; catalog changes
 * arrive on the catalog's event thread. Lifecycle calls come from the host one at a time.
 */
public final class DnsModule implements Module<DnsConfig> {

    private static final Logger log = LoggerFactory.getLogger(DnsModule.class);

    private DnsConfig config;
    private Path dir;
    private DnsMetrics metrics;
    private NotifySender notifier;
    private ZoneStore store;
    private QueryHandler handler;
    private UdpListeners udp;
    private volatile String udpPath;
    private TcpServer tcp;
    private Catalog.Subscription subscription;
    private ScheduledExecutorService poller;
    private volatile Map<Name, ZoneConfig> zoneConfigs = Map.of();
    private volatile TsigKeys keys = TsigKeys.NONE;
    private final Map<Name, PreparedZone.Stamp> failedStamps = new HashMap<>();
    private volatile String lastError;
    /** Per zone: when and from where it was last loaded, and how the last attempt went (status details). */
    private final Map<Name, ZoneLoad> loads = new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * A zone's last successful load ({@code file} as the config writes it, or null for inline
     * records only; {@code by}: start, config reload or file change) and its last attempt.
     */
    record ZoneLoad(String file, java.time.Instant loadedAt, String by, java.time.Instant attemptAt, String error) {

        static ZoneLoad loaded(PreparedZone z, String by) {
            java.time.Instant now = java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.MILLIS);
            return new ZoneLoad(z.config().file() == null ? null : z.config().file().toString(), now, by, now, null);
        }

        ZoneLoad failed(String why) {
            return new ZoneLoad(file, loadedAt, by, java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.MILLIS), why);
        }

        Map<String, Object> details() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("file", file == null ? "(inline records)" : file);
            m.put("loaded_at", loadedAt.toString());
            m.put("loaded_by", by);
            m.put("last_reload", error == null ? "ok" : "failed");
            m.put("last_reload_at", attemptAt.toString());
            if (error != null) m.put("last_reload_error", error);
            return m;
        }
    }

    @Override
    public String name() {
        return "dns";
    }

    @Override
    public Class<DnsConfig> configType() {
        return DnsConfig.class;
    }

    @Override
    public void validate(DnsConfig config, ValidationContext ctx) {
        ConfigProblems p = ctx.problems();
        if (config.zones().isEmpty()) p.error(config, "zones", "no zones: serve at least one");
        for (Map.Entry<String, TsigKeyConfig> e : config.tsigKeys().entrySet()) {
            try {
                TsigKeys.key(e.getKey(), e.getValue(), ctx.configDir());
            } catch (IllegalArgumentException ex) {
                p.error(e.getValue(), "secret_file", DnsErrors.TSIG_KEY_UNUSABLE.id() + " TSIG key " + e.getKey() + ": " + ex.getMessage());
            }
        }
        if (config.tcpIdleTimeout().isNegative() || config.tcpIdleTimeout().isZero()) {
            p.error(config, "tcp_idle_timeout", "must be more than 0s");
        }
        if (config.healthTtl().isNegative()) p.error(config, "health_ttl", "must not be negative");
        Set<Name> origins = new HashSet<>();
        for (Map.Entry<String, ZoneConfig> e : config.zones().entrySet()) {
            ZoneConfig z = e.getValue();
            try {
                if (!origins.add(PreparedZone.parseOrigin(e.getKey()))) {
                    p.error(z, null, "zone " + e.getKey() + " is listed twice");
                }
            } catch (TextParseException ex) {
                p.error(z, null, "'" + e.getKey() + "' is not a domain name");
                continue;
            }
            z.serviceRecords().forEach((owner, b) -> {
                if (!ctx.serviceNames().contains(b.service())) {
                    p.error(b, "service", "unknown service '" + b.service() + "'" + didYouMean(b.service(), ctx.serviceNames()));
                }
                if (b.ttl() != null && b.ttl().isNegative()) p.error(b, "ttl", "must not be negative");
            });
            acl(z.allowQuery(), z, "allow_query", p);
            acl(z.allowTransfer(), z, "allow_transfer", p);
            if (z.transferKey() != null && !config.tsigKeys().containsKey(z.transferKey())) {
                p.error(z, "transfer_key", "unknown TSIG key '" + z.transferKey() + "'"
                        + didYouMean(z.transferKey(), config.tsigKeys().keySet()));
            }
            for (HostPort hp : z.alsoNotify()) {
                if (hp.port() == 0 || hp.isWildcard()) p.error(z, "also_notify", hp + " needs a host and a port");
            }
            PreparedZone pz = PreparedZone.read(e.getKey(), z, ctx.configDir());
            for (ZoneProblem zp : pz.problems()) {
                String key = zp.where().startsWith("records") ? "records"
                        : zp.where().startsWith("service_records") ? "service_records" : z.file() != null ? "file" : null;
                p.error(z, key, DnsErrors.ZONE_INVALID.id() + " " + zp);
            }
        }
    }

    private static void acl(List<String> entries, ZoneConfig z, String key, ConfigProblems p) {
        try {
            Acl.parse(entries);
        } catch (IllegalArgumentException e) {
            p.error(z, key, e.getMessage());
        }
    }

    private static String didYouMean(String s, Set<String> options) {
        String best = null;
        int bestD = 3;
        for (String o : options) {
            int d = distance(s, o);
            if (d < bestD) {
                bestD = d;
                best = o;
            }
        }
        return best == null ? "" : " (did you mean '" + best + "'?)";
    }

    private static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) prev[j] = j;
        for (int i = 1; i <= a.length(); i++) {
            int[] cur = new int[b.length() + 1];
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1));
            }
            prev = cur;
        }
        return prev[b.length()];
    }

    @Override
    public void start(DnsConfig config, ModuleContext ctx) throws Exception {
        this.dir = ctx.configDir();
        metrics = new DnsMetrics(ctx.metrics(), config.bindMetrics(), config.udpListenerThreads());
        notifier = new NotifySender(metrics);
        store = new ZoneStore(name -> ctx.catalog().service(name), this::zoneChanged);
        List<PreparedZone> zones = prepare(config);
        keys = TsigKeys.load(config.tsigKeys(), dir);
        zoneConfigs = zoneConfigs(zones);
        store.replaceAll(zones, config.healthTtl());
        loads.clear();
        for (PreparedZone z : zones) loads.put(z.origin(), ZoneLoad.loaded(z, "start"));
        handler = new QueryHandler(store, metrics, settings(config, zones, keys));
        startListeners(config);
        subscription = ctx.catalog().subscribe(event -> store.refreshFromCatalog());
        // A change between the first build and the subscription must not be missed.
        store.refreshFromCatalog();
        startPoller(config);
        this.config = config;
        log.info("DNS serving {} zone(s) on {} (udp {}, tcp {})", zones.size(), config.listen(), udp.address(), tcp.address());
    }

    @Override
    public void reload(DnsConfig next, ModuleContext ctx) throws Exception {
        reload(next, ConfigChange.between(name(), config, next), ctx);
    }

    @Override
    public void reload(DnsConfig next, ConfigChange change, ModuleContext ctx) throws Exception {
        List<PreparedZone> zones = prepare(next);
        TsigKeys nextKeys = TsigKeys.load(next.tsigKeys(), dir);
        ServerSettings settings = settings(next, zones, nextKeys);
        // The keys marked restart (listen, udp_listeners, udp_batch, tcp_*) re-open the listeners:
        // the new sockets are bound (SO_REUSEPORT) before the old ones close, so no query meets a
        // closed port; if they cannot be bound the old ones keep serving.
        boolean rebind = change.has(ConfigChange.Kind.RESTART);
        if (rebind) {
            UdpListeners oldUdp = udp;
            TcpServer oldTcp = tcp;
            try {
                startListeners(next);
            } catch (IOException | RuntimeException e) {
                udp = oldUdp;
                tcp = oldTcp;
                throw new IOException("cannot listen on " + next.listen() + ": " + e.getMessage() + " (still on "
                        + config.listen() + ")", e);
            }
            oldUdp.close();
            oldTcp.close();
        }
        Set<Name> removed = new HashSet<>(zoneConfigs.keySet());
        keys = nextKeys;
        zoneConfigs = zoneConfigs(zones);
        store.replaceAll(zones, next.healthTtl());
        for (PreparedZone z : zones) loads.put(z.origin(), ZoneLoad.loaded(z, "config reload"));
        handler.settings(settings);
        removed.removeAll(zoneConfigs.keySet());
        for (Name n : removed) {
            metrics.zoneRemoved(n.toString());
            loads.remove(n);
        }
        if (!next.zoneReloadInterval().equals(config.zoneReloadInterval())) {
            if (poller != null) poller.shutdownNow();
            poller = null;
            startPoller(next);
        }
        config = next;
        metrics.bindFamilies(next.bindMetrics());
        metrics.configured();
        log.info("DNS reloaded: {} zone(s){}", zones.size(), rebind ? ", listeners re-opened on " + next.listen()
                + " (" + String.join(", ", change.paths(ConfigChange.Kind.RESTART)) + ")" : "");
    }

    private List<PreparedZone> prepare(DnsConfig config) {
        List<PreparedZone> zones = new ArrayList<>();
        List<String> errors = new ArrayList<>();
        for (Map.Entry<String, ZoneConfig> e : config.zones().entrySet()) {
            PreparedZone pz = PreparedZone.read(e.getKey(), e.getValue(), dir);
            if (!pz.ok()) {
                errors.add("zone " + e.getKey() + ": " + pz.problems());
                // A rejected reload keeps the zone serving as loaded before: its status says the attempt failed.
                try {
                    loads.computeIfPresent(PreparedZone.parseOrigin(e.getKey()), (n, l) -> l.failed(pz.problems().toString()));
                } catch (TextParseException bad) {
                    // not a zone that is loaded
                }
            }
            zones.add(pz);
        }
        if (!errors.isEmpty()) throw new IllegalStateException(DnsErrors.ZONE_INVALID.id() + " " + String.join("; ", errors));
        return zones;
    }

    private static Map<Name, ZoneConfig> zoneConfigs(List<PreparedZone> zones) {
        Map<Name, ZoneConfig> out = new LinkedHashMap<>();
        for (PreparedZone z : zones) out.put(z.origin(), z.config());
        return java.util.Collections.unmodifiableMap(out);
    }

    private static ServerSettings settings(DnsConfig config, List<PreparedZone> zones, TsigKeys keys) {
        Map<Name, ServerSettings.ZonePolicy> policies = new HashMap<>();
        for (PreparedZone z : zones) {
            ZoneConfig c = z.config();
            Name key = null;
            if (c.transferKey() != null) {
                try {
                    key = PreparedZone.parseOrigin(c.transferKey());
                } catch (TextParseException e) {
                    throw new IllegalArgumentException("bad key name " + c.transferKey());
                }
            }
            policies.put(z.origin(), new ServerSettings.ZonePolicy(Acl.parse(c.allowQuery()), Acl.parse(c.allowTransfer()), key));
        }
        return new ServerSettings(config.ednsUdpSize(), Map.copyOf(policies), keys, new RateLimiter(config.rrlOrOff()),
                config.queryLog(), config.minimalResponses());
    }

    /** Port 0: attempts at finding a port free for both UDP and TCP. */
    private static final int FREE_PORT_ATTEMPTS = 20;

    private void startListeners(DnsConfig config) throws IOException {
        InetSocketAddress addr = config.listen().toSocketAddress();
        String path = UdpPath.describe(config.udpBatch());
        if (!path.equals(udpPath)) log.info("DNS UDP: {}", path);
        udpPath = path;
        // The fields change only once both transports are bound: a failure leaves the running ones.
        for (int attempt = 1; ; attempt++) {
            UdpListeners u = UdpPath.open(handler, config.udpBatch());
            TcpServer t = null;
            try {
                u.start(addr, config.udpListenerThreads());
                // Port 0: TCP takes the port the kernel gave UDP, so both transports share one port.
                InetSocketAddress tcpAddr = addr.getPort() == 0 ? new InetSocketAddress(addr.getAddress(), u.address().getPort()) : addr;
                t = new TcpServer(handler, metrics, config.tcpIdleTimeout());
                t.start(tcpAddr, config.tcpMaxConnections());
                udp = u;
                tcp = t;
                return;
            } catch (IOException | RuntimeException e) {
                u.close();
                if (t != null) t.close();
                // The port the kernel picked for UDP may be taken for TCP: pick another.
                if (!(e instanceof java.net.BindException) || addr.getPort() != 0 || attempt >= FREE_PORT_ATTEMPTS) throw e;
            }
        }
    }

    private void closeListeners() {
        if (udp != null) udp.close();
        if (tcp != null) tcp.close();
        udp = null;
        tcp = null;
    }

    private void startPoller(DnsConfig config) {
        Duration every = config.zoneReloadInterval();
        if (every.isZero() || every.isNegative()) return;
        poller = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "cairn-dns-zone-poll");
            t.setDaemon(true);
            return t;
        });
        poller.scheduleWithFixedDelay(this::pollZoneFiles, every.toMillis(), every.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Reloads zones whose file changed; a zone that fails to load keeps serving its old version. */
    void pollZoneFiles() {
        try {
            for (ZoneStore.Slot slot : store.slots()) {
                PreparedZone old = slot.prepared();
                Path file = old.file(dir);
                if (file == null) continue;
                PreparedZone.Stamp now = stampOf(file);
                if (now.equals(old.stamp())) continue;
                Name origin = old.origin();
                if (now.equals(failedStamps.get(origin))) continue;
                PreparedZone next = PreparedZone.read(origin.toString(), old.config(), dir);
                if (next.ok()) {
                    failedStamps.remove(origin);
                    store.replace(next);
                    loads.put(origin, ZoneLoad.loaded(next, "file change"));
                    metrics.zoneReload(origin.toString(), true);
                    log.info("zone {} reloaded from {} (serial {})", origin, file, store.zone(origin).serial());
                } else {
                    failedStamps.put(origin, now);
                    metrics.zoneReload(origin.toString(), false);
                    lastError = "zone " + origin + ": " + next.problems();
                    loads.computeIfPresent(origin, (n, l) -> l.failed(next.problems().toString()));
                    for (ZoneProblem zp : next.problems()) {
                        log.atError().addKeyValue("error_id", DnsErrors.ZONE_FILE_NOT_LOADED.id())
                                .log("zone {} not reloaded, still serving serial {}: {}", origin,
                                        slot.data().serial(), zp);
                    }
                }
            }
        } catch (RuntimeException e) {
            log.atError().addKeyValue("error_id", DnsErrors.ZONE_FILE_NOT_LOADED.id()).log("zone file check failed: {}", e.toString());
        }
    }

    private static PreparedZone.Stamp stampOf(Path file) {
        try {
            return new PreparedZone.Stamp(java.nio.file.Files.getLastModifiedTime(file), java.nio.file.Files.size(file));
        } catch (IOException e) {
            return new PreparedZone.Stamp(null, -2);
        }
    }

    private void zoneChanged(ZoneData zone, boolean serialChanged) {
        metrics.zoneLoaded(zone.origin().toString(), zone.serial(), zone.recordCount());
        if (!serialChanged) return;
        ZoneConfig c = zoneConfigs.get(zone.origin());
        if (c == null || c.alsoNotify().isEmpty()) return;
        notifier.notifyAll(zone.soa(), c.alsoNotify(), keys.get(c.transferKey()));
    }

    @Override
    public void stop() {
        if (subscription != null) subscription.close();
        subscription = null;
        if (poller != null) poller.shutdownNow();
        poller = null;
        closeListeners();
        if (notifier != null) notifier.close();
        notifier = null;
        if (metrics != null) metrics.close();
        metrics = null;
    }

    /** Zones added and removed, serials that move, listeners that re-open: for {@code cairn check --against}. */
    @Override
    public List<String> plan(DnsConfig running, DnsConfig next, ConfigChange change, Path configDir) {
        List<String> out = new ArrayList<>();
        if (change.has(ConfigChange.Kind.RESTART)) {
            out.add("listeners re-open on " + next.listen() + " (" + String.join(", ", change.paths(ConfigChange.Kind.RESTART))
                    + "; the new sockets are bound before the old ones close)");
        }
        for (Map.Entry<String, ZoneConfig> e : next.zones().entrySet()) {
            ZoneConfig was = running.zones().get(e.getKey());
            PreparedZone after = PreparedZone.read(e.getKey(), e.getValue(), configDir);
            if (was == null) {
                out.add("zone " + e.getKey() + ": added, serial " + after.fileSerial());
            } else if (change.touches("dns.zones." + e.getKey())) {
                PreparedZone before = PreparedZone.read(e.getKey(), was, configDir);
                if (before.fileSerial() != after.fileSerial()) {
                    out.add("zone " + e.getKey() + ": serial " + before.fileSerial() + " -> " + after.fileSerial());
                } else if (!before.records().equals(after.records()) || !before.bindings().equals(after.bindings())) {
                    out.add("zone " + e.getKey() + ": records change, serial " + after.fileSerial()
                            + " unchanged in the file (Cairn serves a higher one, so secondaries transfer)");
                } else {
                    out.add("zone " + e.getKey() + ": settings change (" + change.under("dns.zones." + e.getKey()).keys() + ")");
                }
            }
        }
        for (String z : running.zones().keySet()) {
            if (!next.zones().containsKey(z)) out.add("zone " + z + ": removed");
        }
        return out;
    }

    @Override
    public java.util.List<DnsErrors> errors() {
        return java.util.List.of(DnsErrors.values());
    }

    @Override
    public ModuleStatus status() {
        ZoneStore s = store;
        UdpListeners u = udp;
        if (s == null || u == null) return ModuleStatus.down("not started");
        Map<String, Object> zones = new LinkedHashMap<>();
        for (ZoneStore.Slot slot : s.slots()) {
            Map<String, Object> z = new LinkedHashMap<>();
            z.put("serial", slot.data().serial());
            z.put("records", slot.data().recordCount());
            ZoneLoad l = loads.get(slot.data().origin());
            if (l != null) z.putAll(l.details());
            zones.put(slot.data().origin().toString(), z);
        }
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("listen", dev.cairn.spi.config.HostPort.display(u.address()));
        details.put("udp", udpPath);
        details.put("udp_largest_batch", u.largestBatch());
        details.put("udp_average_batch", Math.round(u.averageBatch() * 100) / 100.0);
        details.put("zones", zones);
        if (lastError != null) details.put("last_zone_error", lastError);
        return new ModuleStatus(true, zones.size() + " zone(s) on " + dev.cairn.spi.config.HostPort.display(u.address()), details);
    }

    // ---- for tests ----

    /** The UDP address actually bound (port 0 resolved). */
    public InetSocketAddress udpAddress() {
        return udp.address();
    }

    /** Which UDP path serves: as logged at start ("batched recvmmsg/sendmmsg, batch 32", ...). */
    public String udpPath() {
        return udpPath;
    }

    /** The most datagrams one receive call has read so far (1 on the portable path). */
    public int udpLargestBatch() {
        return udp.largestBatch();
    }

    public InetSocketAddress tcpAddress() {
        return tcp.address();
    }

    public ZoneStore zones() {
        return store;
    }
}
