package dev.cairn.replication.flavour;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * A MySQL GTID set ({@code @@gtid_executed}, {@code Retrieved_Gtid_Set}):
 * {@code uuid:1-5:7,uuid2:1-3}, with MySQL 8.4's tagged form {@code uuid:tag:1-5} (the source id
 * is then {@code uuid:tag}). Intervals are kept sorted and merged.
 */
public final class MySqlGtidSet implements GtidSet {

    /** An inclusive interval of transaction numbers. */
    public record Interval(long start, long end) {
        @Override
        public String toString() {
            return start == end ? Long.toString(start) : start + "-" + end;
        }
    }

    private final Map<String, List<Interval>> bySource;

    private MySqlGtidSet(Map<String, List<Interval>> bySource) {
        this.bySource = Collections.unmodifiableMap(bySource);
    }

    public static MySqlGtidSet parse(String text) {
        Map<String, List<Interval>> m = new TreeMap<>();
        if (text != null) {
            for (String part : text.replace("\n", "").split(",")) {
                String p = part.trim();
                if (p.isEmpty()) continue;
                String[] f = p.split(":");
                if (f.length < 2) {
                    throw new IllegalArgumentException("'" + p + "' is not a MySQL GTID set (uuid:interval)");
                }
                String source = f[0].toLowerCase(Locale.ROOT);
                List<Interval> list = new ArrayList<>();
                for (int i = 1; i < f.length; i++) {
                    String iv = f[i].trim();
                    if (!iv.isEmpty() && !Character.isDigit(iv.charAt(0))) {
                        // A tag (MySQL 8.4): the following intervals belong to uuid:tag.
                        if (!list.isEmpty()) m.merge(source, list, MySqlGtidSet::union);
                        source = f[0].toLowerCase(Locale.ROOT) + ":" + iv.toLowerCase(Locale.ROOT);
                        list = new ArrayList<>();
                        continue;
                    }
                    try {
                        int dash = iv.indexOf('-');
                        long s = Long.parseLong(dash < 0 ? iv : iv.substring(0, dash));
                        long e = dash < 0 ? s : Long.parseLong(iv.substring(dash + 1));
                        list.add(new Interval(s, e));
                    } catch (NumberFormatException e) {
                        throw new IllegalArgumentException("'" + p + "' is not a MySQL GTID set (uuid:interval)");
                    }
                }
                if (!list.isEmpty()) m.merge(source, normalize(list), MySqlGtidSet::union);
            }
        }
        return new MySqlGtidSet(m);
    }

    private static List<Interval> union(List<Interval> a, List<Interval> b) {
        List<Interval> all = new ArrayList<>(a);
        all.addAll(b);
        return normalize(all);
    }

    private static List<Interval> normalize(List<Interval> in) {
        List<Interval> s = new ArrayList<>(in);
        s.sort((x, y) -> Long.compare(x.start(), y.start()));
        List<Interval> out = new ArrayList<>();
        for (Interval i : s) {
            if (!out.isEmpty() && i.start() <= out.get(out.size() - 1).end() + 1) {
                Interval last = out.remove(out.size() - 1);
                out.add(new Interval(last.start(), Math.max(last.end(), i.end())));
            } else {
                out.add(i);
            }
        }
        return List.copyOf(out);
    }

    /** Source id ({@code uuid} or {@code uuid:tag}) to intervals. */
    public Map<String, List<Interval>> sources() {
        return bySource;
    }

    @Override
    public boolean isEmpty() {
        return bySource.isEmpty();
    }

    @Override
    public boolean containsAll(GtidSet other) {
        return other.subtract(this).isEmpty();
    }

    @Override
    public MySqlGtidSet subtract(GtidSet other) {
        Map<String, List<Interval>> o = ((MySqlGtidSet) other).bySource;
        Map<String, List<Interval>> out = new TreeMap<>();
        for (Map.Entry<String, List<Interval>> e : bySource.entrySet()) {
            List<Interval> rest = new ArrayList<>(e.getValue());
            for (Interval cut : o.getOrDefault(e.getKey(), List.of())) {
                List<Interval> next = new ArrayList<>();
                for (Interval i : rest) {
                    if (cut.end() < i.start() || cut.start() > i.end()) {
                        next.add(i);
                        continue;
                    }
                    if (cut.start() > i.start()) next.add(new Interval(i.start(), cut.start() - 1));
                    if (cut.end() < i.end()) next.add(new Interval(cut.end() + 1, i.end()));
                }
                rest = next;
            }
            if (!rest.isEmpty()) out.put(e.getKey(), List.copyOf(rest));
        }
        return new MySqlGtidSet(out);
    }

    /** Number of transactions in the set. */
    public long count() {
        long n = 0;
        for (List<Interval> l : bySource.values()) {
            for (Interval i : l) n += i.end() - i.start() + 1;
        }
        return n;
    }

    @Override
    public long progressOver(GtidSet other) {
        return subtract(other).count() - ((MySqlGtidSet) other).subtract(this).count();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof MySqlGtidSet s && s.bySource.equals(bySource);
    }

    @Override
    public int hashCode() {
        return bySource.hashCode();
    }

    @Override
    public String toString() {
        List<String> parts = new ArrayList<>();
        for (Map.Entry<String, List<Interval>> e : bySource.entrySet()) {
            StringBuilder b = new StringBuilder(e.getKey());
            for (Interval i : e.getValue()) b.append(':').append(i);
            parts.add(b.toString());
        }
        return String.join(",", parts);
    }
}
