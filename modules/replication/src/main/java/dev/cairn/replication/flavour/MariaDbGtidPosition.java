package dev.cairn.replication.flavour;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A MariaDB GTID position ({@code @@gtid_binlog_pos}, {@code Gtid_IO_Pos}): per replication domain
 * the last GTID {@code domain-server-seq}. In strict mode sequence numbers only grow within a
 * domain, so "contains" compares them per domain; the same number from another server is a
 * diverged (errant) history.
 */
public final class MariaDbGtidPosition implements GtidSet {

    /** One domain's last GTID. */
    public record Gtid(long domain, long server, long seq) {
        @Override
        public String toString() {
            return domain + "-" + server + "-" + seq;
        }
    }

    private final Map<Long, Gtid> byDomain;

    private MariaDbGtidPosition(Map<Long, Gtid> byDomain) {
        this.byDomain = Collections.unmodifiableMap(byDomain);
    }

    public static MariaDbGtidPosition parse(String text) {
        Map<Long, Gtid> m = new TreeMap<>();
        if (text != null) {
            for (String part : text.split(",")) {
                String p = part.trim();
                if (p.isEmpty()) continue;
                String[] f = p.split("-");
                if (f.length != 3) {
                    throw new IllegalArgumentException("'" + p + "' is not a MariaDB GTID (domain-server-seq)");
                }
                try {
                    Gtid g = new Gtid(Long.parseLong(f[0]), Long.parseLong(f[1]), Long.parseLong(f[2]));
                    m.put(g.domain(), g);
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("'" + p + "' is not a MariaDB GTID (domain-server-seq)");
                }
            }
        }
        return new MariaDbGtidPosition(m);
    }

    /** Domain to last GTID. */
    public Map<Long, Gtid> domains() {
        return byDomain;
    }

    @Override
    public boolean isEmpty() {
        return byDomain.isEmpty();
    }

    @Override
    public boolean containsAll(GtidSet other) {
        return ((MariaDbGtidPosition) other).subtract(this).isEmpty();
    }

    @Override
    public MariaDbGtidPosition subtract(GtidSet other) {
        Map<Long, Gtid> o = ((MariaDbGtidPosition) other).byDomain;
        Map<Long, Gtid> extra = new TreeMap<>();
        for (Gtid g : byDomain.values()) {
            Gtid theirs = o.get(g.domain());
            if (theirs == null || g.seq() > theirs.seq() || (g.seq() == theirs.seq() && g.server() != theirs.server())) {
                extra.put(g.domain(), g);
            }
        }
        return new MariaDbGtidPosition(extra);
    }

    @Override
    public long progressOver(GtidSet other) {
        Map<Long, Gtid> o = ((MariaDbGtidPosition) other).byDomain;
        long d = 0;
        for (Gtid g : byDomain.values()) {
            Gtid theirs = o.get(g.domain());
            d += g.seq() - (theirs == null ? 0 : theirs.seq());
        }
        for (Gtid theirs : o.values()) {
            if (!byDomain.containsKey(theirs.domain())) d -= theirs.seq();
        }
        return d;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof MariaDbGtidPosition p && p.byDomain.equals(byDomain);
    }

    @Override
    public int hashCode() {
        return byDomain.hashCode();
    }

    @Override
    public String toString() {
        List<String> parts = new ArrayList<>();
        byDomain.values().forEach(g -> parts.add(g.toString()));
        return String.join(",", parts);
    }
}
