package dev.cairn.dns.server;

import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;
import org.xbill.DNS.Type;

/**
 * Wire-level answers to plain queries, so that a repeated question skips parsing, lookup and
 * rendering: the key is the question (lower-cased) with what shapes the answer (transport, RD,
 * CD, EDNS size and DO); a hit copies the stored bytes, patches the id and puts back the query's
 * own spelling of the name (resolvers that randomize case check it).
 *
 * <p>Only queries with one question, no other records but a bare OPT, opcode QUERY and class IN
 * qualify; anything else (TSIG, EDNS options, transfers) takes the full path. An entry is valid
 * for one version of the zones and of the settings: any change makes every entry a miss. The map
 * is bounded and cleared when full. Thread-safe.
 */
public final class ResponseCache {

    /** Entries kept at most; past this the cache starts over. */
    static final int MAX_ENTRIES = 50_000;
    /** Queries longer than this take the full path (a plain question is at most 12 + 259 + 11). */
    static final int MAX_QUERY_BYTES = 300;

    /** A cached answer and what the counters need to account for a hit. */
    record Entry(byte[] wire, long generation, ServerSettings settings, DnsMetrics.ZonePoints points, int qtype,
                 int rcode, boolean authoritative, String rrlKind) {
    }

    /**
     * The lookup key: the bytes described above, with their hash computed once. A listener
     * thread keeps one as a scratch probe ({@link #fill} rewrites it per packet, so a cache hit
     * allocates nothing); what goes into the map is an immutable {@link #copy}.
     */
    public static final class Key {
        /** Flags, payload size, name (at most 255) and type: the most a key holds. */
        static final int MAX_BYTES = 6 + 255 + 2;

        final byte[] bytes;
        int length;
        int hash;
        int nameLength;
        int qtype;

        /** A scratch key for one listener thread. */
        public Key() {
            this.bytes = new byte[MAX_BYTES];
        }

        private Key(byte[] bytes, int length, int hash, int nameLength, int qtype) {
            this.bytes = bytes;
            this.length = length;
            this.hash = hash;
            this.nameLength = nameLength;
            this.qtype = qtype;
        }

        /** An immutable copy, for the map: the scratch key is rewritten by the next packet. */
        Key copy() {
            return new Key(Arrays.copyOf(bytes, length), length, hash, nameLength, qtype);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && hash == k.hash && length == k.length
                    && Arrays.equals(bytes, 0, length, k.bytes, 0, k.length);
        }

        @Override
        public int hashCode() {
            return hash;
        }
    }

    private final ConcurrentHashMap<Key, Entry> entries = new ConcurrentHashMap<>();

    /** The key of a plain query, or null when it must take the full path. */
    static Key key(byte[] q, int len, boolean tcp, int ednsUdpSize) {
        Key k = new Key();
        return fill(k, q, len, tcp, ednsUdpSize) ? k : null;
    }

    /** Writes the key of a plain query into {@code key}; false when it must take the full path. */
    static boolean fill(Key key, byte[] q, int len, boolean tcp, int ednsUdpSize) {
        if (len < 17 || len > MAX_QUERY_BYTES) return false;
        int flags = (q[2] & 0xFF) << 8 | q[3] & 0xFF;
        if ((flags & 0xF800) != 0) return false; // QR set or an opcode other than QUERY
        if (q[4] != 0 || q[5] != 1 || q[6] != 0 || q[7] != 0 || q[8] != 0 || q[9] != 0 || q[10] != 0 || (q[11] & 0xFF) > 1) {
            return false;
        }
        int pos = 12;
        while (true) {
            if (pos >= len) return false;
            int l = q[pos] & 0xFF;
            if (l == 0) break;
            if (l > 63) return false; // compression pointers and extended labels: full path
            pos += l + 1;
            if (pos - 12 > 254) return false;
        }
        int nameLength = pos + 1 - 12;
        pos++;
        if (pos + 4 > len) return false;
        int qtype = (q[pos] & 0xFF) << 8 | q[pos + 1] & 0xFF;
        int qclass = (q[pos + 2] & 0xFF) << 8 | q[pos + 3] & 0xFF;
        if (qclass != 1 || qtype == Type.AXFR || qtype == Type.IXFR || qtype == Type.OPT || qtype == Type.TSIG
                || qtype == Type.TKEY) {
            return false;
        }
        pos += 4;
        boolean opt = q[11] == 1;
        int payload = QueryHandler.CLASSIC_UDP_BYTES;
        int doBit = 0;
        if (opt) {
            // Exactly a bare OPT: root owner, type 41, version 0, no options.
            if (len - pos != 11 || q[pos] != 0 || q[pos + 1] != 0 || q[pos + 2] != 41 || q[pos + 5] != 0 || q[pos + 6] != 0
                    || q[pos + 9] != 0 || q[pos + 10] != 0) {
                return false;
            }
            int advertised = (q[pos + 3] & 0xFF) << 8 | q[pos + 4] & 0xFF;
            payload = Math.max(QueryHandler.CLASSIC_UDP_BYTES, Math.min(advertised, ednsUdpSize));
            doBit = q[pos + 7] & 0x80;
        } else if (pos != len) {
            return false;
        }
        if (tcp) payload = 65535;
        byte[] k = key.bytes;
        k[0] = (byte) ((tcp ? 1 : 0) | (flags & 0x0100) >> 7 | (flags & 0x0010) >> 2 | (opt ? 8 : 0) | (doBit != 0 ? 16 : 0));
        k[1] = (byte) (payload >> 8);
        k[2] = (byte) payload;
        k[3] = 0;
        k[4] = 0;
        k[5] = 0;
        for (int i = 0; i < nameLength; i++) {
            byte b = q[12 + i];
            k[6 + i] = b >= 'A' && b <= 'Z' ? (byte) (b + 32) : b;
        }
        k[6 + nameLength] = (byte) (qtype >> 8);
        k[7 + nameLength] = (byte) qtype;
        int length = 8 + nameLength;
        int h = 1;
        for (int i = 0; i < length; i++) h = 31 * h + k[i];
        key.length = length;
        key.hash = h;
        key.nameLength = nameLength;
        key.qtype = qtype;
        return true;
    }

    /** The stored answer for {@code key} if it is still valid, else null. */
    Entry get(Key key, long generation, ServerSettings settings) {
        Entry e = entries.get(key);
        return e != null && e.generation() == generation && e.settings() == settings ? e : null;
    }

    void put(Key key, Entry entry) {
        if (entries.size() >= MAX_ENTRIES) entries.clear();
        entries.put(key, entry);
    }

    /** A rate-limited "slip": the header and question only, TC set, so the client retries over TCP. */
    static byte[] slip(Entry e, Key key, byte[] query) {
        byte[] out = Arrays.copyOf(e.wire(), 12 + key.nameLength + 4);
        out[0] = query[0];
        out[1] = query[1];
        out[2] |= 0x02;
        for (int i = 6; i < 12; i++) out[i] = 0;
        System.arraycopy(query, 12, out, 12, key.nameLength);
        return out;
    }

    int size() {
        return entries.size();
    }
}
