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
 * Writes one access-log line per request to logger {@code cairn.proxy.access}: JSON, or the
 * combined format followed by upstream endpoint and timings. Thread-safe (stateless).
 */
final class AccessLog {

    private static final Logger log = LoggerFactory.getLogger("cairn.proxy.access");
    private static final DateTimeFormatter CLF = DateTimeFormatter.ofPattern("dd/MMM/yyyy:HH:mm:ss Z", Locale.ROOT)
            .withZone(ZoneOffset.UTC);

    private final AccessLogConfig config;

    AccessLog(AccessLogConfig config) {
        this.config = config;
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
        if (config.format() == AccessLogConfig.Format.JSON) {
            StringBuilder b = new StringBuilder(256).append('{');
            field(b, "time", Instant.now().toString()).append(',');
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
            log.info(b.append('}').toString());
        } else {
            log.info("{} - - [{}] \"{} {} {}\" {} {} \"{}\" \"{}\" listener={} service={} endpoint={} duration_ms={} connect_ms={} response_ms={} retries={}",
                    r.client(), CLF.format(Instant.now()), r.method(), r.uri(), r.protocol(), status,
                    bytes, referer == null ? "-" : referer, ua == null ? "-" : ua, st.listener,
                    service == null ? "-" : service, endpoint == null ? "-" : endpoint, round(durationNanos),
                    st.connectNanos < 0 ? "-" : round(st.connectNanos),
                    st.responseNanos < 0 ? "-" : round(st.responseNanos), st.retries);
        }
    }

    private static String round(long nanos) {
        return millis(new StringBuilder(12), nanos).toString();
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
