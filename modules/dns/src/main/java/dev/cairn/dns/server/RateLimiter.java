package dev.cairn.dns.server;

import dev.cairn.dns.DnsConfig.RrlConfig;
import java.net.InetAddress;
import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Response rate limiting as BIND's RRL: identical responses (same answer name, type and rcode
 * class) to one client prefix (/24, /56 by default) are allowed {@code responses_per_second},
 * with a one-second burst; past that they are dropped, except every {@code slip}-th which is
 * sent truncated so that a real client retries over TCP. UDP only.
 *
 * <p>Thread-safe; buckets are kept in a bounded map cleared when it grows too large.
 */
public final class RateLimiter {

    /** What to do with one response. */
    public enum Verdict { SEND, DROP, SLIP }

    /** Buckets kept at most; past this the table is cleared, which only forgives (never blocks). */
    static final int MAX_BUCKETS = 100_000;

    private final RrlConfig config;
    private final ConcurrentHashMap<Key, Bucket> buckets = new ConcurrentHashMap<>();

    private record Key(byte[] prefix, String response) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && Arrays.equals(prefix, k.prefix) && response.equals(k.response);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(prefix) * 31 + response.hashCode();
        }
    }

    private static final class Bucket {
        double tokens;
        long last;
        int limited;

        Bucket(double tokens, long now) {
            this.tokens = tokens;
            this.last = now;
        }
    }

    public RateLimiter(RrlConfig config) {
        this.config = config;
    }

    public boolean enabled() {
        return config.enabled();
    }

    /**
     * Decides for one response to {@code client}; {@code response} identifies it (e.g. the
     * qname, type and rcode class: NXDOMAIN answers share one bucket per zone, as in BIND).
     */
    public Verdict check(InetAddress client, String response, long nowNanos) {
        if (!config.enabled()) return Verdict.SEND;
        if (buckets.size() > MAX_BUCKETS) buckets.clear();
        Key key = new Key(prefix(client), response);
        double rate = config.responsesPerSecond();
        Bucket b = buckets.computeIfAbsent(key, k -> new Bucket(rate, nowNanos));
        synchronized (b) {
            double elapsed = (nowNanos - b.last) / 1e9;
            b.last = nowNanos;
            b.tokens = Math.min(rate, b.tokens + elapsed * rate);
            if (b.tokens >= 1) {
                b.tokens -= 1;
                return Verdict.SEND;
            }
            b.limited++;
            int slip = config.slip();
            return slip > 0 && b.limited % slip == 0 ? Verdict.SLIP : Verdict.DROP;
        }
    }

    private byte[] prefix(InetAddress client) {
        byte[] a = client.getAddress();
        if (a.length == 16 && Acl.isV4Mapped(a)) a = Arrays.copyOfRange(a, 12, 16);
        int bits = a.length == 4 ? config.ipv4Prefix() : config.ipv6Prefix();
        byte[] p = Arrays.copyOf(a, (bits + 7) / 8);
        if (bits % 8 != 0) p[p.length - 1] &= (byte) (0xFF << (8 - bits % 8));
        return p;
    }
}
