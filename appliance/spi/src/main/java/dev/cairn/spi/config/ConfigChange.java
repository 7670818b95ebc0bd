package dev.cairn.spi.config;

import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Which keys of a config section differ between the running config and a new one, each with its
 * {@link Doc#restart()} marking: the one place that says whether a change applies live. The host
 * computes it on every reload and hands it to {@link dev.cairn.spi.Module#reload(Record, ConfigChange,
 * dev.cairn.spi.ModuleContext)}; a module decides what to re-open from it (and may diff parts of its
 * own records with {@link #between}). Immutable.
 *
 * <p>Paths read as in docs/config.md with real indexes and map keys: {@code proxy.limits.queue_size},
 * {@code proxy.listeners[0].bind}, {@code dns.zones.example.com.file}. A map entry added or removed
 * is one key (the entry's path); a list whose length changed is one key (the list's path). A key
 * is {@link Kind#RESTART} when it, or a key above it, is marked {@code restart}.
 */
public final class ConfigChange {

    /** How a changed key takes effect. */
    public enum Kind {
        /** Applied in place by a reload: no listener re-opened, established connections kept. */
        LIVE,
        /** Not applied in place: the listener it belongs to is re-opened, or it waits for a restart. */
        RESTART
    }

    /** One changed key. */
    public record Key(String path, Kind kind) {
        @Override
        public String toString() {
            return path + (kind == Kind.RESTART ? " (restart)" : "");
        }
    }

    public static final ConfigChange NONE = new ConfigChange(List.of());

    private final List<Key> keys;

    private ConfigChange(List<Key> keys) {
        this.keys = Collections.unmodifiableList(keys);
    }

    /** Every changed key in config order. */
    public List<Key> keys() {
        return keys;
    }

    public boolean isEmpty() {
        return keys.isEmpty();
    }

    /** Whether any changed key is of this kind. */
    public boolean has(Kind kind) {
        for (Key k : keys) if (k.kind == kind) return true;
        return false;
    }

    /** The paths of the changed keys of this kind. */
    public List<String> paths(Kind kind) {
        List<String> out = new ArrayList<>();
        for (Key k : keys) if (k.kind == kind) out.add(k.path);
        return out;
    }

    /** Whether {@code path} itself, a key under it or a key above it changed. */
    public boolean touches(String path) {
        for (Key k : keys) {
            if (within(k.path, path) || within(path, k.path)) return true;
        }
        return false;
    }

    /** The changed keys at or under {@code path}. */
    public ConfigChange under(String path) {
        List<Key> out = new ArrayList<>();
        for (Key k : keys) if (within(k.path, path)) out.add(k);
        return out.isEmpty() ? NONE : new ConfigChange(out);
    }

    private static boolean within(String key, String path) {
        return key.equals(path) || key.startsWith(path) && (key.charAt(path.length()) == '.' || key.charAt(path.length()) == '[');
    }

    /**
     * The keys that differ between two bound values of the same type (records, lists, sets, maps,
     * scalars), under {@code path} (a section name, or "" for a part of a section). The order of
     * maps and sets counts, as the file's order shows in status pages and the catalog.
     */
    public static ConfigChange between(String path, Object running, Object next) {
        List<Key> out = new ArrayList<>();
        diff(path, running, next, Kind.LIVE, out);
        return out.isEmpty() ? NONE : new ConfigChange(out);
    }

    private static void diff(String path, Object a, Object b, Kind kind, List<Key> out) {
        if (a == b) return;
        if (a == null || b == null) {
            out.add(new Key(path, kind));
            return;
        }
        if (a instanceof Record ra && b instanceof Record rb && ra.getClass() == rb.getClass() && isSection(ra.getClass())) {
            for (RecordComponent c : ra.getClass().getRecordComponents()) {
                Doc doc = c.getAnnotation(Doc.class);
                Kind k = kind == Kind.RESTART || doc != null && doc.restart() ? Kind.RESTART : Kind.LIVE;
                diff(join(path, keyName(c.getName())), value(c, ra), value(c, rb), k, out);
            }
            return;
        }
        if (a instanceof Map<?, ?> ma && b instanceof Map<?, ?> mb) {
            int before = out.size();
            for (Map.Entry<?, ?> e : ma.entrySet()) {
                String p = join(path, String.valueOf(e.getKey()));
                if (!mb.containsKey(e.getKey())) out.add(new Key(p, kind));
                else diff(p, e.getValue(), mb.get(e.getKey()), kind, out);
            }
            for (Object key : mb.keySet()) {
                if (!ma.containsKey(key)) out.add(new Key(join(path, String.valueOf(key)), kind));
            }
            // Only reordered: the map itself changed (views follow the file's order).
            if (out.size() == before && !sameOrder(ma.keySet(), mb.keySet())) out.add(new Key(path, kind));
            return;
        }
        if (a instanceof List<?> la && b instanceof List<?> lb) {
            if (la.size() != lb.size()) {
                out.add(new Key(path, kind));
                return;
            }
            for (int i = 0; i < la.size(); i++) diff(path + "[" + i + "]", la.get(i), lb.get(i), kind, out);
            return;
        }
        if (a instanceof Collection<?> ca && b instanceof Collection<?> cb) {
            if (!ca.equals(cb) || !sameOrder(ca, cb)) out.add(new Key(path, kind));
            return;
        }
        if (!a.equals(b)) out.add(new Key(path, kind));
    }

    /** Config records document their keys; value types written as one scalar (HostPort, DataSize) do not. */
    private static boolean isSection(Class<?> record) {
        for (RecordComponent c : record.getRecordComponents()) {
            if (c.isAnnotationPresent(Doc.class)) return true;
        }
        return false;
    }

    private static boolean sameOrder(Collection<?> a, Collection<?> b) {
        if (a.size() != b.size()) return false;
        Iterator<?> ib = b.iterator();
        for (Object x : a) {
            if (!Objects.equals(x, ib.next())) return false;
        }
        return true;
    }

    private static Object value(RecordComponent c, Record r) {
        try {
            var m = c.getAccessor();
            m.setAccessible(true);
            return m.invoke(r);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot read " + r.getClass().getSimpleName() + "." + c.getName(), e);
        }
    }

    private static String join(String path, String key) {
        return path == null || path.isEmpty() ? key : path + "." + key;
    }

    /** {@code tokenFile -> token_file}, as the binder names keys. */
    static String keyName(String component) {
        StringBuilder sb = new StringBuilder();
        for (char ch : component.toCharArray()) {
            if (Character.isUpperCase(ch)) sb.append('_').append(Character.toLowerCase(ch));
            else sb.append(ch);
        }
        return sb.toString();
    }

    @Override
    public String toString() {
        return keys.toString();
    }
}
