package dev.cairn.proxy.http;

import io.undertow.UndertowOptions;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.protocol.http2.Http2ServerConnection;
import io.undertow.util.AttachmentKey;
import java.util.concurrent.atomic.AtomicInteger;
import org.xnio.OptionMap;

/**
 * What one HTTP/2 client connection may ask of the proxy (Undertow's HTTP/2, by ALPN {@code h2} or
 * h2c). Undertow advertises {@code SETTINGS_MAX_CONCURRENT_STREAMS} when told to but does not hold a
 * client to it: every HEADERS frame becomes an exchange and a request to an endpoint. Here a stream
 * beyond the advertised count (counted from its HEADERS to the end of its exchange, so a stream the
 * client reset still counts until its request to the endpoint is over) is reset at once and never
 * forwarded; resets sent and received both count against Undertow's reset budget
 * ({@link #MAX_RESETS_PER_WINDOW} per {@link #RESET_WINDOW_MILLIS}), past which the connection gets
 * GOAWAY {@code ENHANCE_YOUR_CALM} and is closed: the "rapid reset" attack (CVE-2023-44487) keeps at
 * most {@link #MAX_CONCURRENT_STREAMS} requests in flight per connection and ends after 200 resets.
 * Stateless; thread-safe (the count lives on the connection).
 */
public final class Http2Limits {

    /** Streams in flight per connection, as HAProxy's {@code tune.h2.max-concurrent-streams} default (nginx: 128). */
    public static final int MAX_CONCURRENT_STREAMS = 100;
    /** RST_STREAM frames (sent or received) a connection may see per window before GOAWAY (Undertow's default, made explicit). */
    public static final int MAX_RESETS_PER_WINDOW = 200;
    public static final int RESET_WINDOW_MILLIS = 30_000;

    private static final AttachmentKey<AtomicInteger> IN_FLIGHT = AttachmentKey.create(AtomicInteger.class);

    private Http2Limits() {
    }

    /** {@code base} with the HTTP/2 settings above. */
    static OptionMap options(OptionMap base) {
        return OptionMap.builder().addAll(base)
                .set(UndertowOptions.HTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, MAX_CONCURRENT_STREAMS)
                .set(UndertowOptions.MAX_RST_FRAMES_PER_WINDOW, MAX_RESETS_PER_WINDOW)
                .set(UndertowOptions.RST_FRAMES_TIME_WINDOW, RESET_WINDOW_MILLIS)
                .getMap();
    }

    /** {@code next} for every exchange, but an HTTP/2 stream over the limit is reset instead. */
    static HttpHandler enforcing(HttpHandler next) {
        return ex -> {
            if (!(ex.getConnection() instanceof Http2ServerConnection)) {
                next.handleRequest(ex);
                return;
            }
            if (!admit(ex)) {
                // RST_STREAM for this stream (Undertow's way to abandon one; it counts as a sent reset).
                ex.getConnection().close();
                return;
            }
            next.handleRequest(ex);
        };
    }

    /** Counts the exchange against its connection; false (and not counted) when the connection is at the limit. */
    private static boolean admit(HttpServerExchange ex) {
        // Attachments of an HTTP/2 exchange's connection are the TCP connection's (one Http2Channel).
        AtomicInteger n = ex.getConnection().getAttachment(IN_FLIGHT);
        if (n == null) {
            n = new AtomicInteger();
            ex.getConnection().putAttachment(IN_FLIGHT, n);
        }
        if (n.incrementAndGet() > MAX_CONCURRENT_STREAMS) {
            n.decrementAndGet();
            return false;
        }
        AtomicInteger count = n;
        ex.addExchangeCompleteListener((done, nextListener) -> {
            count.decrementAndGet();
            nextListener.proceed();
        });
        return true;
    }
}
