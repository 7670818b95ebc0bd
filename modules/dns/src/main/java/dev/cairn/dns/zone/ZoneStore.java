package dev.cairn.dns.zone;

import dev.cairn.dns.ZoneConfig.ServiceRecordConfig;
import dev.cairn.spi.catalog.ServiceView;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;

/**
 * The zones being served. Readers ({@link #find}) are lock-free and see each zone change
 * atomically; writers (config reload, zone file edits, catalog changes) are serialized on this
 * object. A zone's served SOA serial only moves forward: it is the file's serial when that is
 * newer, else the previous serial plus one whenever the zone's content changes.
 */
public final class ZoneStore {

    /** Told after a zone's serial changed (NOTIFY, metrics); called with the store's lock held. */
    public interface Listener {
        void zoneChanged(ZoneData zone, boolean serialChanged);
    }

    /** One served zone: its static part, its dynamic records and the data built from both. */
    public static final class Slot {
        final PreparedZone prepared;
        final List<Record> dynamic;
        final ZoneData data;

        Slot(PreparedZone prepared, List<Record> dynamic, ZoneData data) {
            this.prepared = prepared;
            this.dynamic = dynamic;
            this.data = data;
        }

        public PreparedZone prepared() {
            return prepared;
        }

        public ZoneData data() {
            return data;
        }
    }

    private final Function<String, Optional<ServiceView>> catalog;
    private final Listener listener;
    /** For lookups (the query path). */
    private volatile Map<Name, Slot> slots = Map.of();
    /** The same zones in config order, for status, iteration and the next copy. */
    private volatile Map<Name, Slot> ordered = Map.of();
    private volatile Duration healthTtl = Duration.ofSeconds(10);
    private volatile long generation;
    private volatile int minLabels = Integer.MAX_VALUE;
    private volatile int maxLabels;

    public ZoneStore(Function<String, Optional<ServiceView>> catalog, Listener listener) {
        this.catalog = catalog;
        this.listener = listener;
    }

    /** The zone that {@code qname} falls in (longest match), or null: the name is not ours. */
    public ZoneData find(Name qname) {
        Map<Name, Slot> s = slots;
        int labels = qname.labels();
        int from = Math.min(labels, maxLabels);
        for (int l = from; l >= minLabels; l--) {
            Slot slot = s.get(l == labels ? qname : new Name(qname, labels - l));
            if (slot != null) return slot.data;
        }
        return null;
    }

    /** The zone with exactly this origin, or null. */
    public ZoneData zone(Name origin) {
        Slot s = slots.get(origin);
        return s == null ? null : s.data;
    }

    public Collection<Slot> slots() {
        return ordered.values();
    }

    /**
     * Replaces the whole set of zones (config load or reload). Every zone must be {@link PreparedZone#ok()}.
     * A zone that stays keeps its serial line: it only moves forward.
     */
    public synchronized void replaceAll(Collection<PreparedZone> zones, Duration healthTtl) {
        this.healthTtl = healthTtl;
        Map<Name, Slot> old = slots;
        Map<Name, Slot> next = new LinkedHashMap<>();
        List<Slot> changed = new ArrayList<>();
        List<Boolean> serialChanged = new ArrayList<>();
        for (PreparedZone pz : zones) {
            if (!pz.ok()) throw new IllegalArgumentException("zone " + pz.origin() + " has problems: " + pz.problems());
            Slot prev = old.get(pz.origin());
            Slot s = build(pz, prev);
            next.put(pz.origin(), s);
            if (prev == null || prev.data != s.data) {
                changed.add(s);
                serialChanged.add(prev == null || prev.data.serial() != s.data.serial());
            }
        }
        publish(next);
        for (int i = 0; i < changed.size(); i++) listener.zoneChanged(changed.get(i).data, serialChanged.get(i));
    }

    /** Replaces one zone's static part (a zone file edit); the zone must exist and be ok. */
    public synchronized void replace(PreparedZone pz) {
        Slot prev = slots.get(pz.origin());
        if (prev == null || !pz.ok()) return;
        Slot s = build(pz, prev);
        Map<Name, Slot> next = new LinkedHashMap<>(ordered);
        next.put(pz.origin(), s);
        publish(next);
        if (s.data != prev.data) listener.zoneChanged(s.data, s.data.serial() != prev.data.serial());
    }

    /** Recomputes every service-bound name from the catalog; rebuilds the zones whose answers changed. */
    public synchronized void refreshFromCatalog() {
        Map<Name, Slot> next = null;
        List<Slot> changed = new ArrayList<>();
        for (Map.Entry<Name, Slot> e : ordered.entrySet()) {
            Slot prev = e.getValue();
            if (prev.prepared.bindings().isEmpty()) continue;
            Slot s = build(prev.prepared, prev);
            if (s != prev) {
                if (next == null) next = new LinkedHashMap<>(ordered);
                next.put(e.getKey(), s);
                changed.add(s);
            }
        }
        if (next == null) return;
        publish(next);
        for (Slot s : changed) listener.zoneChanged(s.data, true);
    }

    /** Builds the slot for {@code pz}, reusing {@code prev} when nothing changed. */
    private Slot build(PreparedZone pz, Slot prev) {
        List<Record> dynamic = dynamicRecords(pz);
        if (prev != null && prev.prepared.records().equals(pz.records()) && prev.dynamic.equals(dynamic)) {
            return prev.prepared == pz ? prev : new Slot(pz, prev.dynamic, prev.data);
        }
        long serial = nextSerial(pz, prev == null ? null : prev.data.serial());
        List<Record> all = new ArrayList<>(pz.records().size() + dynamic.size());
        all.addAll(pz.records());
        all.addAll(dynamic);
        return new Slot(pz, dynamic, ZoneData.build(pz.origin(), all, serial));
    }

    /**
     * The serial to serve after a change: the file's when newer, else the previous one plus one.
     * A zone with service records also never goes below the current Unix time, so that after a
     * restart (which forgets the bumps) its serial still moves past what secondaries hold.
     */
    static long nextSerial(PreparedZone pz, Long previous) {
        long serial = pz.fileSerial();
        if (previous != null) {
            long bumped = (previous + 1) & 0xFFFFFFFFL;
            if (!serialGreater(serial, bumped)) serial = bumped;
        }
        if (!pz.bindings().isEmpty()) {
            long now = (System.currentTimeMillis() / 1000) & 0xFFFFFFFFL;
            if (serialGreater(now, serial)) serial = now;
        }
        return serial;
    }

    private List<Record> dynamicRecords(PreparedZone pz) {
        if (pz.bindings().isEmpty()) return List.of();
        List<Record> out = new ArrayList<>();
        for (Map.Entry<Name, ServiceRecordConfig> b : pz.bindings().entrySet()) {
            Duration ttl = b.getValue().ttl() != null ? b.getValue().ttl() : healthTtl;
            out.addAll(ServiceRecords.generate(b.getKey(), b.getValue(), ttl.toSeconds(), catalog));
        }
        return out;
    }

    private void publish(Map<Name, Slot> next) {
        int min = Integer.MAX_VALUE;
        int max = 0;
        for (Name n : next.keySet()) {
            min = Math.min(min, n.labels());
            max = Math.max(max, n.labels());
        }
        // Widen the bounds before the map is visible, narrow after: a reader never skips a zone.
        minLabels = Math.min(minLabels, min);
        maxLabels = Math.max(maxLabels, max);
        ordered = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(next));
        slots = Map.copyOf(next);
        minLabels = min;
        maxLabels = max;
        // After the zones: a reader that sees the new generation sees the new zones.
        generation++;
    }

    /**
     * Moves on every change of any zone. Read it before looking up: an answer computed after
     * reading generation {@code g} is current for as long as the generation is still {@code g}.
     */
    public long generation() {
        return generation;
    }

    /** RFC 1982 serial number arithmetic: is {@code a} after {@code b}? */
    public static boolean serialGreater(long a, long b) {
        return a != b && ((a < b && b - a > 0x80000000L) || (a > b && a - b < 0x80000000L));
    }

    /** The zone files to watch for edits, by origin. */
    public Map<Name, Path> files(Path dir) {
        Map<Name, Path> out = new HashMap<>();
        slots.forEach((n, s) -> {
            Path f = s.prepared.file(dir);
            if (f != null) out.put(n, f);
        });
        return out;
    }
}
