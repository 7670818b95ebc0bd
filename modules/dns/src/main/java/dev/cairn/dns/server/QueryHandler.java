package dev.cairn.dns.server;

import dev.cairn.dns.DnsErrors;
import dev.cairn.dns.DnsConfig;
import dev.cairn.spi.log.JsonText;
import dev.cairn.dns.xfr.ZoneTransfer;
import dev.cairn.dns.zone.Answer;
import dev.cairn.dns.zone.ZoneData;
import dev.cairn.dns.zone.ZoneStore;
import java.io.IOException;
import java.net.InetAddress;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Header;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.TSIG;
import org.xbill.DNS.TSIGRecord;
import org.xbill.DNS.Type;

/**
 * Turns one request (wire bytes) into its response(s), for both transports: header and EDNS
 * checks (FORMERR, BADVERS, NOTIMP), TSIG, zone selection (REFUSED outside our zones), ACLs,
 * lookup, truncation to the client's UDP size, rate limiting, zone transfers, metrics and the
 * query log. Never throws for bad input: a request it cannot parse is answered FORMERR when
 * its header can be read and dropped otherwise.
 *
 * <p>Thread-safe: every listener thread calls {@link #handle} concurrently.
 */
public final class QueryHandler {

    /** Larger UDP requests are dropped: no legitimate query needs more. */
    public static final int MAX_UDP_REQUEST_BYTES = 4096;
    /** The DNS header's size. */
    static final int HEADER_BYTES = 12;
    /** Answers without EDNS fit in this (RFC 1035). */
    static final int CLASSIC_UDP_BYTES = 512;
    /** Extended rcode BADVERS (RFC 6891). */
    static final int BADVERS = 16;

    private static final Logger log = LoggerFactory.getLogger(QueryHandler.class);
    private static final Logger queryLog = LoggerFactory.getLogger("cairn.dns.query");

    /** Where a response goes: a datagram, or a length-prefixed TCP message. */
    public interface Sink {
        void send(byte[] message) throws IOException;

        /**
         * Sends a cached answer: {@code wire} with its id (bytes 0-1) and its question name
         * (from byte 12, {@code nameLength} bytes) taken from {@code query}. A sink with its own
         * buffer overrides this to patch in place instead of copying the answer first.
         */
        default void sendPatched(byte[] wire, byte[] query, int nameLength) throws IOException {
            byte[] out = wire.clone();
            out[0] = query[0];
            out[1] = query[1];
            System.arraycopy(query, 12, out, 12, nameLength);
            send(out);
        }
    }

    private final ZoneStore zones;
    private final DnsMetrics metrics;
    private final ResponseCache cache = new ResponseCache();
    private volatile ServerSettings settings;

    public QueryHandler(ZoneStore zones, DnsMetrics metrics, ServerSettings settings) {
        this.zones = zones;
        this.metrics = metrics;
        this.settings = settings;
    }

    public void settings(ServerSettings s) {
        this.settings = s;
    }

    public ServerSettings settings() {
        return settings;
    }

    /** Handles one request from {@code client}; responses go to {@code sink}. */
    public void handle(byte[] buf, int len, InetAddress client, int clientPort, boolean tcp, Sink sink) throws IOException {
        handle(buf, len, client, clientPort, tcp, sink, new ResponseCache.Key());
    }

    /**
     * As above, with a scratch cache key owned by the calling thread, so that a cache hit
     * allocates nothing.
     */
    public void handle(byte[] buf, int len, InetAddress client, int clientPort, boolean tcp, Sink sink,
                ResponseCache.Key scratch) throws IOException {
        long start = System.nanoTime();
        ServerSettings s = settings;
        if (len < HEADER_BYTES) {
            metrics.malformed(false);
            return;
        }
        int flags = u16(buf, 2);
        if ((flags & 0x8000) != 0) {
            metrics.dropped("response");
            return;
        }
        if (!tcp && len > MAX_UDP_REQUEST_BYTES) {
            metrics.dropped("oversized");
            return;
        }
        long generation = zones.generation();
        ResponseCache.Key cacheKey = !s.queryLog() && ResponseCache.fill(scratch, buf, len, tcp, s.ednsUdpSize())
                ? scratch : null;
        if (cacheKey != null) {
            ResponseCache.Entry hit = cache.get(cacheKey, generation, s);
            if (hit != null) {
                answerFromCache(hit, cacheKey, buf, client, tcp, s, sink, start, len);
                return;
            }
        }
        int opcode = (flags >> 11) & 0xF;
        int qdcount = u16(buf, 4);
        if (qdcount != 1) {
            metrics.malformed(true);
            send(sink, formerr(buf, flags), s, null, client, tcp, start, DnsMetrics.NO_ZONE, Rcode.FORMERR);
            return;
        }
        Message query;
        byte[] wire = len == buf.length ? buf : java.util.Arrays.copyOf(buf, len);
        try {
            query = new Message(wire);
        } catch (IOException | RuntimeException e) {
            metrics.malformed(true);
            send(sink, formerr(buf, flags), s, null, client, tcp, start, DnsMetrics.NO_ZONE, Rcode.FORMERR);
            return;
        }
        Record question = query.getQuestion();
        if (question == null) {
            metrics.malformed(true);
            send(sink, formerr(buf, flags), s, null, client, tcp, start, DnsMetrics.NO_ZONE, Rcode.FORMERR);
            return;
        }
        Name qname = question.getName();
        int qtype = question.getType();
        ZoneData zone = opcode == Opcode.QUERY ? zones.find(qname) : null;
        DnsMetrics.ZonePoints points = metrics.zone(zone == null ? DnsMetrics.NO_ZONE : zone.origin().toString());
        points.request(tcp, qtype, len);

        OPTRecord opt = null;
        int opts = 0;
        for (Record r : query.getSection(Section.ADDITIONAL)) {
            if (r.getType() == Type.OPT) {
                opts++;
                opt = (OPTRecord) r;
            }
        }
        Message response = reply(query, s, opt);
        if (opts > 1) {
            response.getHeader().setRcode(Rcode.FORMERR);
            finish(sink, response, query, s, null, client, tcp, start, points, opt);
            return;
        }
        if (opt != null && opt.getVersion() > 0) {
            // BADVERS is extended rcode 16: 0 in the header, 1 in the OPT record (RFC 6891 §6.1.3).
            response.removeAllRecords(Section.ADDITIONAL);
            response.addRecord(new OPTRecord(s.ednsUdpSize(), BADVERS >> 4, 0, 0), Section.ADDITIONAL);
            wireAndSend(sink, response, s, client, tcp, start, points, BADVERS, query, opt);
            return;
        }
        if (opcode != Opcode.QUERY) {
            response.getHeader().setRcode(Rcode.NOTIMP);
            finish(sink, response, query, s, null, client, tcp, start, points, opt);
            return;
        }
        TSIG key = null;
        TSIGRecord qtsig = query.getTSIG();
        if (qtsig != null) {
            key = s.keys().get(qtsig.getName());
            int err = key == null ? Rcode.BADKEY : key.verify(query, wire, null);
            if (err != Rcode.NOERROR) {
                log.atWarn().addKeyValue("error_id", DnsErrors.TSIG_CHECK_FAILED.id())
                        .log("TSIG check failed for {} from {}: {}", qname, client.getHostAddress(), Rcode.TSIGstring(err));
                response.getHeader().setRcode(Rcode.NOTAUTH);
                finish(sink, response, query, s, null, client, tcp, start, points, opt);
                return;
            }
        }
        if (question.getDClass() != DClass.IN && !(question.getDClass() == DClass.ANY && isXfr(qtype))) {
            response.getHeader().setRcode(Rcode.REFUSED);
            finish(sink, response, query, s, key, client, tcp, start, points, opt);
            return;
        }
        if (zone == null) {
            response.getHeader().setRcode(Rcode.REFUSED);
            byte[] out = finish(sink, response, query, s, key, client, tcp, start, points, opt);
            if (cacheKey != null && key == null) {
                cache.put(cacheKey.copy(), new ResponseCache.Entry(out, generation, s, points, qtype, Rcode.REFUSED, false, null));
            }
            return;
        }
        ServerSettings.ZonePolicy policy = s.policy(zone.origin());
        if (!policy.allowQuery().allows(client)) {
            response.getHeader().setRcode(Rcode.REFUSED);
            finish(sink, response, query, s, key, client, tcp, start, points, opt);
            return;
        }
        if (isXfr(qtype)) {
            transfer(sink, query, response, zone, policy, key, qtsig, client, tcp, s, start, points, opt);
            return;
        }
        if (qtype == Type.OPT || qtype == Type.TSIG || qtype == Type.TKEY) {
            response.getHeader().setRcode(Rcode.FORMERR);
            finish(sink, response, query, s, key, client, tcp, start, points, opt);
            return;
        }
        DnsConfig.MinimalResponses minimal = s.minimalResponses();
        Answer a = zone.lookup(qname, qtype, !tcp, minimal.authorityNs(query.getHeader().getFlag(Flags.RD)),
                minimal.additional());
        Header h = response.getHeader();
        h.setRcode(a.rcode());
        if (a.authoritative()) h.setFlag(Flags.AA);
        addAll(response, a.answer(), Section.ANSWER);
        addAll(response, a.authority(), Section.AUTHORITY);
        addAll(response, a.additional(), Section.ADDITIONAL);
        String kind = a.rcode() == Rcode.NXDOMAIN ? "nx:" + zone.origin()
                : a.answer().isEmpty() && a.authoritative() ? "nodata:" + qname.toString().toLowerCase() + ":" + qtype
                : qname.toString().toLowerCase() + ":" + qtype;
        if (!tcp && s.rrl().enabled()) {
            RateLimiter.Verdict v = s.rrl().check(client, kind, start);
            if (v == RateLimiter.Verdict.DROP) {
                metrics.dropped("rrl");
                logQuery(s, client, tcp, query, -1, 0, start, "rrl-drop");
                return;
            }
            if (v == RateLimiter.Verdict.SLIP) {
                metrics.slipped();
                Message tc = reply(query, s, opt);
                tc.getHeader().setFlag(Flags.TC);
                if (a.authoritative()) tc.getHeader().setFlag(Flags.AA);
                tc.getHeader().setRcode(a.rcode());
                finish(sink, tc, query, s, key, client, tcp, start, points, opt);
                return;
            }
        }
        byte[] out = finish(sink, response, query, s, key, client, tcp, start, points, opt);
        // Only answers that depend on nothing but the question: no ACL, no TSIG.
        if (cacheKey != null && key == null && policy.allowQuery() == Acl.ANY) {
            cache.put(cacheKey.copy(), new ResponseCache.Entry(out, generation, s, points, qtype, a.rcode(), a.authoritative(), kind));
        }
    }

    private void answerFromCache(ResponseCache.Entry e, ResponseCache.Key key, byte[] buf, InetAddress client, boolean tcp,
                                 ServerSettings s, Sink sink, long start, int len) throws IOException {
        e.points().request(tcp, e.qtype(), len);
        byte[] out;
        if (!tcp && e.rrlKind() != null && s.rrl().enabled()) {
            RateLimiter.Verdict v = s.rrl().check(client, e.rrlKind(), start);
            if (v == RateLimiter.Verdict.DROP) {
                metrics.dropped("rrl");
                return;
            }
            if (v == RateLimiter.Verdict.SLIP) {
                metrics.slipped();
                out = ResponseCache.slip(e, key, buf);
                sink.send(out);
                e.points().response(tcp, e.rcode(), out, System.nanoTime() - start);
                return;
            }
        }
        sink.sendPatched(e.wire(), buf, key.nameLength);
        e.points().response(tcp, e.rcode(), e.wire(), System.nanoTime() - start);
    }

    private void transfer(Sink sink, Message query, Message response, ZoneData zone, ServerSettings.ZonePolicy policy,
                          TSIG key, TSIGRecord qtsig, InetAddress client, boolean tcp, ServerSettings s, long start,
                          DnsMetrics.ZonePoints points, OPTRecord opt) throws IOException {
        int qtype = query.getQuestion().getType();
        String type = qtype == Type.AXFR ? "axfr" : "ixfr";
        String origin = zone.origin().toString();
        boolean keyOk = policy.transferKey() == null
                || key != null && qtsig != null && qtsig.getName().equals(policy.transferKey());
        if (!query.getQuestion().getName().equals(zone.origin()) || !policy.allowTransfer().allows(client) || !keyOk) {
            metrics.transfer(origin, type, false);
            log.atWarn().addKeyValue("error_id", DnsErrors.TRANSFER_REFUSED.id()).log("{} of {} refused for {}{}", type.toUpperCase(),
                    query.getQuestion().getName(), client.getHostAddress(),
                    keyOk ? " (not in allow_transfer)" : " (needs TSIG key " + policy.transferKey() + ")");
            response.getHeader().setRcode(Rcode.REFUSED);
            finish(sink, response, query, s, key, client, tcp, start, points, opt);
            return;
        }
        if (!tcp) {
            if (qtype == Type.IXFR) {
                // IXFR over UDP: the current SOA tells the secondary whether to come back over TCP (RFC 1995 §2).
                response.getHeader().setFlag(Flags.AA);
                response.addRecord(zone.soa(), Section.ANSWER);
            } else {
                response.getHeader().setRcode(Rcode.FORMERR);
            }
            finish(sink, response, query, s, key, client, tcp, start, points, opt);
            return;
        }
        metrics.transfer(origin, type, true);
        List<Message> messages = ZoneTransfer.messages(query, zone);
        TSIGRecord prev = qtsig;
        int bytes = 0;
        for (int i = 0; i < messages.size(); i++) {
            Message m = messages.get(i);
            if (key != null) {
                key.apply(m, Rcode.NOERROR, prev, i == 0);
                prev = m.getTSIG();
            }
            byte[] out = m.toWire();
            bytes += out.length;
            sink.send(out);
        }
        log.info("{} of {} (serial {}) to {}: {} messages, {} records", type.toUpperCase(), origin, zone.serial(),
                client.getHostAddress(), messages.size(), zone.recordCount());
        points.response(true, Rcode.NOERROR, bytes, System.nanoTime() - start);
        logQuery(s, client, true, query, Rcode.NOERROR, bytes, start, null);
    }

    private static boolean isXfr(int qtype) {
        return qtype == Type.AXFR || qtype == Type.IXFR;
    }

    /** A response skeleton: same id, opcode, RD and CD, the question, and OPT if the query had one. */
    private static Message reply(Message query, ServerSettings s, OPTRecord opt) {
        Header qh = query.getHeader();
        Message r = new Message(qh.getID());
        Header h = r.getHeader();
        h.setFlag(Flags.QR);
        h.setOpcode(qh.getOpcode());
        if (qh.getFlag(Flags.RD)) h.setFlag(Flags.RD);
        if (qh.getFlag(Flags.CD)) h.setFlag(Flags.CD);
        Record q = query.getQuestion();
        if (q != null) r.addRecord(q, Section.QUESTION);
        if (opt != null) {
            // Echo DO (RFC 3225); no options.
            r.addRecord(new OPTRecord(s.ednsUdpSize(), 0, 0, opt.getFlags() & 0x8000), Section.ADDITIONAL);
        }
        return r;
    }

    private byte[] finish(Sink sink, Message response, Message query, ServerSettings s, TSIG key, InetAddress client,
                          boolean tcp, long start, DnsMetrics.ZonePoints points, OPTRecord opt) throws IOException {
        if (key != null) response.setTSIG(key, Rcode.NOERROR, query.getTSIG());
        return wireAndSend(sink, response, s, client, tcp, start, points, response.getHeader().getRcode(), query, opt);
    }

    private byte[] wireAndSend(Sink sink, Message response, ServerSettings s, InetAddress client, boolean tcp, long start,
                             DnsMetrics.ZonePoints points, int rcode, Message query, OPTRecord opt) throws IOException {
        int max = tcp ? 65535 : opt == null ? CLASSIC_UDP_BYTES
                : Math.max(CLASSIC_UDP_BYTES, Math.min(opt.getPayloadSize(), s.ednsUdpSize()));
        byte[] out = response.toWire(max);
        sink.send(out);
        points.response(tcp, rcode, out, System.nanoTime() - start);
        logQuery(s, client, tcp, query, rcode, out.length, start, (out[2] & 0x02) != 0 ? "tc" : null);
        return out;
    }

    private void send(Sink sink, byte[] out, ServerSettings s, Message query, InetAddress client, boolean tcp,
                      long start, String zone, int rcode) throws IOException {
        sink.send(out);
        metrics.zone(zone).response(tcp, rcode, out, System.nanoTime() - start);
        logQuery(s, client, tcp, query, rcode, out.length, start, "malformed");
    }

    /** A bare FORMERR: the request's id, opcode and RD, no sections (we could not trust them). */
    static byte[] formerr(byte[] req, int flags) {
        byte[] out = new byte[HEADER_BYTES];
        out[0] = req[0];
        out[1] = req[1];
        int f = 0x8000 | (flags & 0x7800) | (flags & 0x0100) | Rcode.FORMERR;
        out[2] = (byte) (f >> 8);
        out[3] = (byte) f;
        return out;
    }

    private static void addAll(Message m, List<Record> records, int section) {
        for (Record r : records) m.addRecord(r, section);
    }

    private static int u16(byte[] b, int off) {
        return ((b[off] & 0xFF) << 8) | (b[off + 1] & 0xFF);
    }

    private void logQuery(ServerSettings s, InetAddress client, boolean tcp, Message query, int rcode, int size,
                          long start, String note) {
        if (!s.queryLog() || !queryLog.isInfoEnabled()) return;
        Record q = query == null ? null : query.getQuestion();
        StringBuilder sb = new StringBuilder(160);
        sb.append("{\"client\":\"").append(client.getHostAddress()).append("\",\"proto\":\"").append(tcp ? "tcp" : "udp")
                .append('"');
        if (query != null) sb.append(",\"id\":").append(query.getHeader().getID());
        if (q != null) {
            JsonText.escape(sb.append(",\"name\":\""), q.getName().toString()).append("\",\"type\":\"")
                    .append(Type.string(q.getType())).append("\",\"class\":\"").append(DClass.string(q.getDClass()))
                    .append('"');
        }
        sb.append(",\"rcode\":\"").append(rcode < 0 ? "-" : Rcode.string(rcode)).append("\",\"size\":").append(size)
                .append(",\"duration_us\":").append((System.nanoTime() - start) / 1000);
        if (note != null) sb.append(",\"note\":\"").append(note).append('"');
        sb.append('}');
        queryLog.info(sb.toString());
    }

}
