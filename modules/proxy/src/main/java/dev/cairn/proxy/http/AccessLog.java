package dev.cairn.proxy.http;

import dev.cairn.spi.log.JsonText;
import dev.cairn.proxy.config.AccessLogConfig;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Formats one access-log line per request, JSON or the combined format followed by upstream
 * endpoint and timings, and hands it to the module's {@link AccessLogWriter}, which writes it to
 * stdout off the IO thread. The logger {@code cairn.proxy.access} only switches it: below INFO
 * there is no access log. Thread-safe (no state but the per-second time texts and each thread's line buffer).
 */
public final class AccessLog {

    private static final Logger log = LoggerFactory.getLogger("cairn.proxy.access");
    private static final DateTimeFormatter CLF = DateTimeFormatter.ofPattern("dd/MMM/yyyy:HH:mm:ss Z", Locale.ROOT)
            .withZone(ZoneOffset.UTC);

    /** The text of one second: each line of that second reuses it (formatting a time costs more than the rest). */
    private record Second(long epochSecond, String text) {
    }

    private static volatile Second isoSecond = new Second(Long.MIN_VALUE, "");
    private static volatile Second clfSecond = new Second(Long.MIN_VALUE, "");

    /** A typical line is 300 to 400 characters: one buffer, no regrowth. */
    private static final int LINE_CAPACITY = 512;
    /** Longer than this (a huge URI or user agent), a thread's line buffer is not kept. */
    private static final int KEPT_CAPACITY = 16 * 1024;

    /**
     * Each thread's line buffer, reused line after line: the writer copies a line before
     * {@link AccessLogWriter#offer} returns.
     */
    private static final ThreadLocal<StringBuilder[]> LINE = ThreadLocal.withInitial(() -> new StringBuilder[1]);

    private final AccessLogConfig config;
    private final AccessLogWriter writer;

    public AccessLog(AccessLogConfig config, AccessLogWriter writer) {
        this.config = config;
        this.writer = writer;
    }

    boolean enabled() {
        return config.enabled() && log.isInfoEnabled();
    }

    /** The request side of a log line. */
    record Line(String client, String method, String host, String uri, String protocol, String userAgent, String referer) {
    }

    void write(HttpServerExchange ex, RequestState st, long durationNanos) {
        InetSocketAddress src = ex.getSourceAddress();
        String client = src == null || src.getAddress() == null ? "-" : src.getAddress().getHostAddress();
        String uri = ex.getRequestURI() + (ex.getQueryString().isEmpty() ? "" : "?" + ex.getQueryString());
        Line line = new Line(client, ex.getRequestMethod().toString(), ex.getRequestHeaders().getFirst(Headers.HOST), uri,
                ex.getProtocol().toString(), ex.getRequestHeaders().getFirst(Headers.USER_AGENT),
                ex.getRequestHeaders().getFirst(Headers.REFERER));
        write(line, ex.getStatusCode(), ex.getResponseBytesSent(), st, durationNanos);
    }

    void write(Line r, int status, long bytes, RequestState st, long durationNanos) {
        String endpoint = st.last == null ? null : st.last.name();
        String service = st.stats == null ? null : st.stats.service;
        String ua = r.userAgent();
        String referer = r.referer();
        StringBuilder[] kept = LINE.get();
        StringBuilder b = kept[0];
        if (b == null || b.capacity() > KEPT_CAPACITY) kept[0] = b = new StringBuilder(LINE_CAPACITY);
        b.setLength(0);
        if (config.format() == AccessLogConfig.Format.JSON) {
            b.append('{');
            iso(b.append("\"time\":\""), Instant.now()).append("\",");
            field(b, "listener", st.listener).append(',');
            field(b, "client", r.client()).append(',');
            field(b, "method", r.method()).append(',');
            field(b, "host", r.host()).append(',');
            field(b, "uri", r.uri()).append(',');
            field(b, "protocol", r.protocol()).append(',');
            b.append("\"status\":").append(status).append(',');
            b.append("\"bytes\":").append(bytes).append(',');
            millis(b.append("\"duration_ms\":"), durationNanos).append(',');
            field(b, "service", service).append(',');
            field(b, "endpoint", endpoint).append(',');
            b.append("\"connect_ms\":");
            (st.connectNanos < 0 ? b.append("null") : millis(b, st.connectNanos)).append(',');
            b.append("\"response_ms\":");
            (st.responseNanos < 0 ? b.append("null") : millis(b, st.responseNanos)).append(',');
            b.append("\"retries\":").append(st.retries).append(',');
            field(b, "note", st.note).append(',');
            field(b, "user_agent", ua).append(',');
            field(b, "referer", referer);
            writer.offer(b.append('}'));
        } else {
            b.append(r.client()).append(" - - [");
            clf(b, Instant.now()).append("] \"").append(r.method()).append(' ').append(r.uri()).append(' ')
                    .append(r.protocol()).append("\" ").append(status).append(' ').append(bytes).append(" \"")
                    .append(referer == null ? "-" : referer).append("\" \"").append(ua == null ? "-" : ua)
                    .append("\" listener=").append(st.listener).append(" service=").append(service == null ? "-" : service)
                    .append(" endpoint=").append(endpoint == null ? "-" : endpoint);
            millis(b.append(" duration_ms="), durationNanos);
            b.append(" connect_ms=");
            if (st.connectNanos < 0) b.append('-'); else millis(b, st.connectNanos);
            b.append(" response_ms=");
            if (st.responseNanos < 0) b.append('-'); else millis(b, st.responseNanos);
            writer.offer(b.append(" retries=").append(st.retries));
        }
    }

    /** {@code t} as {@link Instant#toString} writes it (ISO-8601, UTC, the fraction in groups of three). */
    static StringBuilder iso(StringBuilder b, Instant t) {
        long sec = t.getEpochSecond();
        Second s = isoSecond;
        if (s.epochSecond != sec) {
            String whole = Instant.ofEpochSecond(sec).toString();
            isoSecond = s = new Second(sec, whole.substring(0, whole.length() - 1));
        }
        b.append(s.text);
        int nano = t.getNano();
        if (nano != 0) {
            b.append('.');
            if (nano % 1_000_000 == 0) digits(b, nano / 1_000_000, 3);
            else if (nano % 1_000 == 0) digits(b, nano / 1_000, 6);
            else digits(b, nano, 9);
        }
        return b.append('Z');
    }

    /** {@code t} in the combined format's time ({@code 04/Dec/2026:18:33:25 +0000}). */
    static StringBuilder clf(StringBuilder b, Instant t) {
        long sec = t.getEpochSecond();
        Second s = clfSecond;
        if (s.epochSecond != sec) clfSecond = s = new Second(sec, CLF.format(Instant.ofEpochSecond(sec)));
        return b.append(s.text);
    }

    private static void digits(StringBuilder b, int value, int width) {
        for (int d = width - 1, p = pow10(d); d >= 0; d--, p /= 10) b.append((char) ('0' + value / p % 10));
    }

    private static int pow10(int n) {
        int p = 1;
        for (int i = 0; i < n; i++) p *= 10;
        return p;
    }

    /**
     * Milliseconds with three decimals, rounded to the microsecond. Not String.format: a Formatter
     * per figure cost more than the rest of the line (three per request, on the IO thread).
     */
    static StringBuilder millis(StringBuilder b, long nanos) {
        long micros = Math.max(0, (nanos + 500) / 1000);
        long frac = micros % 1000;
        b.append(micros / 1000).append('.');
        if (frac < 100) b.append('0');
        if (frac < 10) b.append('0');
        return b.append(frac);
    }

    private static StringBuilder field(StringBuilder b, String name, String value) {
        b.append('"').append(name).append("\":");
        if (value == null) return b.append("null");
        b.append('"');
        JsonText.escape(b, value);
        return b.append('"');
    }
}
