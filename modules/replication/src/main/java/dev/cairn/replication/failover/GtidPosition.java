package dev.cairn.replication.failover;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A MariaDB GTID position ({@code @@gtid_slave_pos}, {@code Gtid_IO_Pos}, {@code @@gtid_binlog_pos}):
 * the last GTID {@code domain-server-seq} of each replication domain. With {@code gtid_strict_mode}
 * sequence numbers only grow within a domain, so "has at least everything of" is a per-domain
 * comparison of sequence numbers. Immutable.
 */
public final class GtidPosition implements Comparable<GtidPosition> {

    /** One domain's last GTID. */
    public record Gtid(long domain, long serverId, long seq) {
        @Override
        public String toString() {
            return domain + "-" + serverId + "-" + seq;
        }
    }

    public static final GtidPosition EMPTY = new GtidPosition(Map.of());

    private final Map<Long, Gtid> byDomain;

    private GtidPosition(Map<Long, Gtid> byDomain) {
        this.byDomain = Collections.unmodifiableMap(new TreeMap<>(byDomain));
    }

    /** Parses {@code "0-1-100,1-2-5"}; null or blank is the empty position. */
    public static GtidPosition parse(String text) {
        if (text == null || text.isBlank()) {
            return EMPTY;
        }
        Map<Long, Gtid> m = new TreeMap<>();
        for (String part : text.split(",")) {
            String p = part.trim();
            if (p.isEmpty()) {
                continue;
            }
            String[] f = p.split("-");
            if (f.length != 3) {
                throw new IllegalArgumentException("not a MariaDB GTID (domain-server-seq): '" + p + "'");
            }
            try {
                Gtid g = new Gtid(Long.parseLong(f[0]), Long.parseLong(f[1]), Long.parseLong(f[2]));
                m.merge(g.domain(), g, (a, b) -> a.seq() >= b.seq() ? a : b);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("not a MariaDB GTID (domain-server-seq): '" + p + "'");
            }
        }
        return new GtidPosition(m);
    }

    public Map<Long, Gtid> domains() {
        return byDomain;
    }

    public boolean isEmpty() {
        return byDomain.isEmpty();
    }

    /** The sequence number reached in {@code domain}, 0 when the domain is absent. */
    public long seq(long domain) {
        Gtid g = byDomain.get(domain);
        return g == null ? 0 : g.seq();
    }

    /** True when this position has reached {@code other} in every domain {@code other} has. */
    public boolean covers(GtidPosition other) {
        for (Gtid g : other.byDomain.values()) {
            if (seq(g.domain()) < g.seq()) {
                return false;
            }
        }
        return true;
    }

    /**
     * What this position has beyond {@code other}, per domain, e.g. {@code "0-1-101..0-1-103"}: the
     * transactions a node would bring that {@code other} never had. Empty when {@code other} covers it.
     */
    public List<String> beyond(GtidPosition other) {
        List<String> out = new ArrayList<>();
        for (Gtid g : byDomain.values()) {
            long theirs = other.seq(g.domain());
            if (g.seq() > theirs) {
                long first = theirs + 1;
                out.add(first == g.seq() ? g.toString()
                        : g.domain() + "-" + g.serverId() + "-" + first + ".." + g);
            }
        }
        return out;
    }

    /** Total number of transactions the position stands for (sum of sequence numbers): a tie-breaker. */
    public long total() {
        long t = 0;
        for (Gtid g : byDomain.values()) {
            t += g.seq();
        }
        return t;
    }

    /**
     * Orders positions for candidate ranking by {@link #total()}: a position that covers another
     * and is not equal to it has a greater total, so this agrees with {@link #covers} and is a
     * total order (safe for sorting) also when positions diverge across domains.
     */
    @Override
    public int compareTo(GtidPosition o) {
        return Long.compare(total(), o.total());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GtidPosition g && g.byDomain.equals(byDomain);
    }

    @Override
    public int hashCode() {
        return byDomain.hashCode();
    }

    /** The MariaDB form, domains in order: {@code "0-1-100,1-2-5"}. */
    @Override
    public String toString() {
        StringBuilder b = new StringBuilder();
        for (Gtid g : byDomain.values()) {
            if (b.length() > 0) {
                b.append(',');
            }
            b.append(g);
        }
        return b.toString();
    }
}
