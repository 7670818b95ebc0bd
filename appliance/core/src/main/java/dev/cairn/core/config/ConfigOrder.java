package dev.cairn.core.config;

import java.lang.reflect.RecordComponent;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Equality of bound config values that also counts the order of maps and sets, which the file
 * gives and the views (status, catalog) follow: {@code Map.equals} ignores it, so a file that
 * only reordered its zones or services would not be applied.
 */
public final class ConfigOrder {

    private ConfigOrder() {
    }

    /** True when {@code a} and {@code b} are equal and list every map and set in the same order. */
    public static boolean sameInOrder(Object a, Object b) {
        if (a == b) return true;
        if (a == null || b == null) return false;
        if (a instanceof Record ra && b instanceof Record rb) {
            if (ra.getClass() != rb.getClass()) return false;
            for (RecordComponent c : ra.getClass().getRecordComponents()) {
                if (!sameInOrder(value(c, ra), value(c, rb))) return false;
            }
            return true;
        }
        if (a instanceof Map<?, ?> ma && b instanceof Map<?, ?> mb) {
            if (ma.size() != mb.size()) return false;
            Iterator<? extends Map.Entry<?, ?>> ib = mb.entrySet().iterator();
            for (Map.Entry<?, ?> ea : ma.entrySet()) {
                Map.Entry<?, ?> eb = ib.next();
                if (!Objects.equals(ea.getKey(), eb.getKey()) || !sameInOrder(ea.getValue(), eb.getValue())) return false;
            }
            return true;
        }
        if ((a instanceof List<?> && b instanceof List<?>) || (a instanceof Set<?> && b instanceof Set<?>)) {
            Iterable<?> la = (Iterable<?>) a;
            Iterator<?> ib = ((Iterable<?>) b).iterator();
            if (((java.util.Collection<?>) a).size() != ((java.util.Collection<?>) b).size()) return false;
            for (Object x : la) {
                if (!sameInOrder(x, ib.next())) return false;
            }
            return true;
        }
        return a.equals(b);
    }

    static Object value(RecordComponent c, Record r) {
        try {
            var m = c.getAccessor();
            m.setAccessible(true);
            return m.invoke(r);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot read " + r.getClass().getSimpleName() + "." + c.getName(), e);
        }
    }
}
