package dev.cairn.proxy.http.policy;

import dev.cairn.proxy.config.TimeoutsConfig;
import java.time.Duration;

/**
 * The proxy's timeouts, with one meaning on both transports (HAProxy's names in brackets); each
 * transport reads them from here (Undertow as its options and ProxyHandler's settings, the fast
 * path as deadlines of its sweep). Immutable.
 *
 * <ul>
 *   <li>{@code connect} [timeout connect]: one attempt's time to get a connection to an endpoint;
 *       then the attempt failed to connect ({@link RetryRule.Failure#CONNECT_TIMEOUT}).</li>
 *   <li>{@code server} [timeout server]: from the request head read to the response's last byte:
 *       504 when no response byte was sent yet, else both connections are cut.</li>
 *   <li>{@code client} [timeout client]: a client that takes nothing of a response (or sends
 *       nothing it owes) this long is closed.</li>
 *   <li>{@code httpRequest} [timeout http-request]: from the first byte of a request head to its
 *       end: the slowloris guard.</li>
 *   <li>{@code keepAlive} [timeout http-keep-alive]: an idle client connection between two
 *       requests is closed.</li>
 *   <li>{@code queue} [timeout queue]: a request waiting for a free endpoint slot gets 503 with
 *       {@code Retry-After} (only the full path queues: the fast path hands such requests over).</li>
 * </ul>
 */
public record Timeouts(Duration connect, Duration server, Duration client, Duration httpRequest, Duration keepAlive,
                       Duration queue) {

    public static Timeouts of(TimeoutsConfig c) {
        return new Timeouts(c.connect(), c.server(), c.client(), c.httpRequest(), c.keepAlive(), c.queue());
    }

    public long connectMillis() {
        return connect.toMillis();
    }

    /** ProxyHandler takes an int. */
    public int serverMillis() {
        return millis(server);
    }

    public long queueMillis() {
        return queue.toMillis();
    }

    /** As the Undertow options (int milliseconds) take them. */
    public static int millis(Duration d) {
        return (int) Math.min(Integer.MAX_VALUE, d.toMillis());
    }
}
