package dev.cairn.proxy.http.policy;

import java.time.Duration;

/**
 * The rules of the keep-alive connections to endpoints, for both transports' pools (Undertow's
 * {@code ProxyConnectionPool} through its settings, the fast path's own per IO thread):
 *
 * <ul>
 *   <li>At most {@link #MAX_IDLE_PER_ENDPOINT} idle connections per endpoint and IO thread; one
 *       more closes (the longest idle one on Undertow's pool, the one returned on the fast path).</li>
 *   <li>An idle connection closes after {@link #IDLE_TIMEOUT}.</li>
 *   <li>A connection goes back to the pool only as {@link #reusable} says.</li>
 *   <li>A reset on a reused connection does not count against the endpoint ({@link RetryRule});
 *       the retry, on whichever endpoint the balancer picks, goes out on a new connection
 *       ({@link #retryOnNewConnection}): the endpoint's other idle connections may be as stale.</li>
 * </ul>
 * The fast path takes the most recently returned connection first, Undertow's pool the oldest; with
 * the idle timeout and the retry rule above the order changes no request's outcome.
 */
public final class UpstreamPool {

    /**
     * Idle keep-alive connections kept per endpoint and IO thread: enough for bursts, bounded for the
     * endpoint. A pool never holds more than were in flight at once, so the bound only decides which
     * connections close after a peak. HTTP/2 clients put up to {@link dev.cairn.proxy.http.Http2Limits#MAX_CONCURRENT_STREAMS}
     * requests in flight per connection (h2load {@code -c64 -m10}: 640 streams, 80 per endpoint and IO
     * thread with two endpoints and four IO threads): at 64, connections over the bound closed as
     * their responses ended and the next streams opened new ones (the endpoint accepted 4 600 to
     * 6 900 connections per 100 000 requests; 820 to 850 at 256; docs/benchmarks.md). HAProxy keeps
     * idle server connections without a count limit (purged after 5 s).
     */
    public static final int MAX_IDLE_PER_ENDPOINT = 256;
    /**
     * How long an idle connection is kept: below the 5 s after which Node.js and Apache httpd close
     * an idle keep-alive connection by default, so the endpoint rarely closes one just as Cairn
     * reuses it (nginx keeps 75 s, HAProxy purges idle server connections over 5 s).
     */
    public static final Duration IDLE_TIMEOUT = Duration.ofSeconds(4);

    private UpstreamPool() {
    }

    /**
     * Whether the connection may carry another request after this one: the response's end was
     * known from its framing (not the connection's close), the endpoint did not ask to close
     * ({@code endpointKeepsAlive}: HTTP/1.1 without {@code Connection: close}, or HTTP/1.0 with
     * keep-alive), the whole request body went out, and the endpoint sent nothing after the response.
     */
    public static boolean reusable(boolean framed, boolean endpointKeepsAlive, boolean requestSent, boolean nothingAfter) {
        return framed && endpointKeepsAlive && requestSent && nothingAfter;
    }

    /** Whether the next attempt must open a new connection rather than take an idle one. */
    public static boolean retryOnNewConnection(RetryRule.Failure f, boolean reusedConnection) {
        return f == RetryRule.Failure.RESET && reusedConnection;
    }
}
