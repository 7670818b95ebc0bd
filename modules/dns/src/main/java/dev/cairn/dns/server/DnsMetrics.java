package dev.cairn.dns.server;

import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.model.registry.Collector;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Type;

/**
 * The DNS module's metrics, named as CoreDNS names them under {@code cairn_dns_}: requests by
 * zone/proto/type, responses by rcode, duration and size histograms, dropped and malformed
 * packets, and per-zone serial and record count. Label values are bounded: zones come from the
 * config (".": a name in no zone), types from a fixed list ("other" for the rest).
 *
 * <p>Thread-safe. Data points are cached per zone so the query path does not allocate label lists.
 */
public final class DnsMetrics {

    /** Query types that get their own label value, as CoreDNS's monitored types. */
    private static final int[] TYPES = {Type.A, Type.AAAA, Type.CNAME, Type.NS, Type.SOA, Type.MX, Type.TXT,
            Type.SRV, Type.PTR, Type.CAA, Type.ANY, Type.AXFR, Type.IXFR, Type.DS, Type.DNSKEY, Type.HTTPS,
            Type.SVCB, Type.NAPTR};
    private static final int OTHER = TYPES.length;
    private static final int[] RCODES = {Rcode.NOERROR, Rcode.FORMERR, Rcode.SERVFAIL, Rcode.NXDOMAIN,
            Rcode.NOTIMP, Rcode.REFUSED, Rcode.NOTAUTH, Rcode.BADVERS};
    public static final String NO_ZONE = ".";

    /** BIND's result names (its Qry* statistics without the prefix), in the order of {@link #results}. */
    static final String[] RESULTS = {"Success", "Referral", "Nxrrset", "NXDOMAIN", "SERVFAIL", "FORMERR"};
    private static final int RESULT_SUCCESS = 0;
    private static final int RESULT_REFERRAL = 1;
    private static final int RESULT_NXRRSET = 2;
    private static final int RESULT_NXDOMAIN = 3;
    private static final int RESULT_SERVFAIL = 4;
    private static final int RESULT_FORMERR = 5;

    final java.util.concurrent.atomic.LongAdder[] results = new java.util.concurrent.atomic.LongAdder[RESULTS.length];
    final java.util.concurrent.atomic.LongAdder failures = new java.util.concurrent.atomic.LongAdder();
    private final BindMetrics bind;

    private final PrometheusRegistry registry;
    private final List<Collector> collectors = new ArrayList<>();
    private final Counter requests;
    private final Counter responses;
    private final StripedHistogram duration;
    private final StripedHistogram requestSize;
    private final StripedHistogram responseSize;
    private final Counter dropped;
    private final Counter malformed;
    private final Counter slipped;
    private final Gauge serial;
    private final Gauge records;
    private final Counter zoneReloads;
    private final Counter transfers;
    private final Counter notifies;
    private final Gauge tcpConnections;
    private final Map<String, ZonePoints> zones = new ConcurrentHashMap<>();

    /** Cached data points of one zone. */
    public final class ZonePoints {
        final String zone;
        final CounterDataPoint[][] requests = new CounterDataPoint[2][TYPES.length + 1];
        final CounterDataPoint[] responses = new CounterDataPoint[RCODES.length + 1];
        final StripedHistogram.Child duration;
        final StripedHistogram.Child[] requestSize = new StripedHistogram.Child[2];
        final StripedHistogram.Child[] responseSize = new StripedHistogram.Child[2];

        ZonePoints(String zone) {
            this.zone = zone;
            this.duration = DnsMetrics.this.duration.labelValues(zone);
            for (int p = 0; p < 2; p++) {
                requestSize[p] = DnsMetrics.this.requestSize.labelValues(zone, proto(p));
                responseSize[p] = DnsMetrics.this.responseSize.labelValues(zone, proto(p));
            }
        }

        public void request(boolean tcp, int qtype, int size) {
            int p = tcp ? 1 : 0;
            int t = typeIndex(qtype);
            CounterDataPoint c = requests[p][t];
            if (c == null) {
                c = DnsMetrics.this.requests.labelValues(zone, proto(p), t == OTHER ? "other" : Type.string(TYPES[t]));
                requests[p][t] = c;
            }
            c.inc();
            requestSize[p].observe(size);
        }

        /**
         * A response sent, with its wire form: as {@link #response(boolean, int, int, long)}, and
         * classified as BIND's statistics do (Success, Referral, Nxrrset, NXDOMAIN, SERVFAIL,
         * FORMERR, other rcodes as Failure) for the bind_* families, from the header alone.
         */
        public void response(boolean tcp, int rcode, byte[] wire, long nanos) {
            response(tcp, rcode, wire.length, nanos);
            if (wire.length < 12) return;
            int result;
            switch (rcode) {
                case Rcode.NOERROR -> {
                    int ancount = ((wire[6] & 0xff) << 8) | (wire[7] & 0xff);
                    boolean aa = (wire[2] & 0x04) != 0;
                    result = ancount > 0 ? RESULT_SUCCESS : aa ? RESULT_NXRRSET : RESULT_REFERRAL;
                }
                case Rcode.NXDOMAIN -> result = RESULT_NXDOMAIN;
                case Rcode.SERVFAIL -> result = RESULT_SERVFAIL;
                case Rcode.FORMERR -> result = RESULT_FORMERR;
                default -> result = -1;
            }
            if (result >= 0) results[result].increment();
            else failures.increment();
        }

        public void response(boolean tcp, int rcode, int size, long nanos) {
            int i = rcodeIndex(rcode);
            CounterDataPoint c = responses[i];
            if (c == null) {
                c = DnsMetrics.this.responses.labelValues(zone, i == RCODES.length ? "other" : Rcode.string(RCODES[i]));
                responses[i] = c;
            }
            c.inc();
            responseSize[tcp ? 1 : 0].observe(size);
            duration.observe(nanos);
        }
    }

    /**
     * @param bindFamilies serve the bind_* families too (dns.bind_metrics)
     * @param workerThreads UDP listener threads, for bind_worker_threads
     */
    public DnsMetrics(PrometheusRegistry registry, boolean bindFamilies, int workerThreads) {
        this.registry = registry;
        for (int i = 0; i < results.length; i++) results[i] = new java.util.concurrent.atomic.LongAdder();
        requests = add(Counter.builder().name("cairn_dns_requests")
                .help("DNS requests by zone, transport and query type").labelNames("zone", "proto", "type")
                .withoutExemplars().build());
        responses = add(Counter.builder().name("cairn_dns_responses")
                .help("DNS responses by zone and rcode").labelNames("zone", "rcode").withoutExemplars().build());
        duration = add(new StripedHistogram("cairn_dns_request_duration_seconds",
                "Time from receiving a request to sending its response", 1e-9,
                new double[] {0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                        0.025, 0.05, 0.1, 0.5, 1}, "zone"));
        double[] sizes = {0, 100, 200, 300, 400, 511, 1023, 2047, 4095, 8291, 16000, 32000, 48000, 64000};
        requestSize = add(new StripedHistogram("cairn_dns_request_size_bytes", "Size of DNS requests", 1, sizes,
                "zone", "proto"));
        responseSize = add(new StripedHistogram("cairn_dns_response_size_bytes", "Size of DNS responses", 1, sizes,
                "zone", "proto"));
        dropped = add(Counter.builder().name("cairn_dns_dropped_requests")
                .help("Requests dropped without an answer, by reason (malformed, response, oversized, rrl, overload)")
                .labelNames("reason").build());
        malformed = add(Counter.builder().name("cairn_dns_malformed_requests")
                .help("Requests that could not be parsed, by what was done (formerr, dropped)").labelNames("action").build());
        slipped = add(Counter.builder().name("cairn_dns_rrl_slipped_responses")
                .help("Rate-limited responses sent truncated (TC=1) instead of dropped").build());
        serial = add(Gauge.builder().name("cairn_dns_zone_serial").help("SOA serial each zone is served with")
                .labelNames("zone").build());
        records = add(Gauge.builder().name("cairn_dns_zone_records").help("Records in each zone, service-bound ones included")
                .labelNames("zone").build());
        zoneReloads = add(Counter.builder().name("cairn_dns_zone_reloads")
                .help("Zone loads after a file edit or config reload, by result").labelNames("zone", "result").build());
        transfers = add(Counter.builder().name("cairn_dns_zone_transfers")
                .help("Zone transfer requests by zone, type (axfr, ixfr) and result (ok, refused)")
                .labelNames("zone", "type", "result").build());
        notifies = add(Counter.builder().name("cairn_dns_notifies_sent")
                .help("NOTIFY messages sent to secondaries, by result (acked, failed)").labelNames("zone", "result").build());
        tcpConnections = add(Gauge.builder().name("cairn_dns_tcp_connections").help("Open TCP connections").build());
        for (String reason : List.of("malformed", "response", "oversized", "rrl", "overload")) dropped.labelValues(reason);
        malformed.labelValues("formerr");
        malformed.labelValues("dropped");
        bind = new BindMetrics(this, bindFamilies, workerThreads);
        registry.register(bind);
    }

    /** Turns the bind_* families on or off (dns.bind_metrics, live). */
    public void bindFamilies(boolean enabled) {
        bind.setEnabled(enabled);
    }

    /** A config (or zone set) was applied now: bind_config_time_seconds. */
    public void configured() {
        bind.configured(System.currentTimeMillis() / 1000.0);
    }

    Counter requests() {
        return requests;
    }

    Counter responses() {
        return responses;
    }

    Counter dropped() {
        return dropped;
    }

    Counter transfers() {
        return transfers;
    }

    Gauge serial() {
        return serial;
    }

    private <T extends Collector> T add(T c) {
        registry.register(c);
        collectors.add(c);
        return c;
    }

    /** Unregisters everything, so a restarted module can register again. */
    public void close() {
        for (Collector c : collectors) registry.unregister(c);
        collectors.clear();
        registry.unregister(bind);
    }

    public ZonePoints zone(String zone) {
        return zones.computeIfAbsent(zone, ZonePoints::new);
    }

    public void dropped(String reason) {
        dropped.labelValues(reason).inc();
    }

    public void malformed(boolean answered) {
        malformed.labelValues(answered ? "formerr" : "dropped").inc();
        if (!answered) dropped("malformed");
    }

    public void slipped() {
        slipped.inc();
    }

    public void zoneLoaded(String zone, long zoneSerial, int recordCount) {
        serial.labelValues(zone).set(zoneSerial);
        records.labelValues(zone).set(recordCount);
        // Both results at 0 from the first load: increase() and the zone-reload alert see the first failure.
        zoneReloads.labelValues(zone, "success");
        zoneReloads.labelValues(zone, "failure");
    }

    public void zoneRemoved(String zone) {
        serial.remove(zone);
        records.remove(zone);
        zoneReloads.remove(zone, "success");
        zoneReloads.remove(zone, "failure");
    }

    public void zoneReload(String zone, boolean ok) {
        zoneReloads.labelValues(zone, ok ? "success" : "failure").inc();
    }

    public void transfer(String zone, String type, boolean ok) {
        transfers.labelValues(zone, type, ok ? "ok" : "refused").inc();
    }

    public void notify(String zone, boolean acked) {
        notifies.labelValues(zone, acked ? "acked" : "failed").inc();
    }

    public void tcpConnections(int delta) {
        tcpConnections.inc(delta);
    }

    private static String proto(int p) {
        return p == 0 ? "udp" : "tcp";
    }

    private static int typeIndex(int qtype) {
        for (int i = 0; i < TYPES.length; i++) {
            if (TYPES[i] == qtype) return i;
        }
        return OTHER;
    }

    private static int rcodeIndex(int rcode) {
        for (int i = 0; i < RCODES.length; i++) {
            if (RCODES[i] == rcode) return i;
        }
        return RCODES.length;
    }
}
