package dev.cairn.proxy.http.policy;

import io.prometheus.metrics.core.datapoints.DistributionDataPoint;

/**
 * The timings of one request, marked the same way by both transports and read at its end by the
 * metrics and the access log:
 *
 * <ul>
 *   <li><b>connect</b> ({@code cairn_proxy_server_connect_time_seconds}, the access log's connect
 *       time): from an attempt asking for a connection to the endpoint to having one, pooled
 *       (about 0) or new; observed once per attempt that got a connection.</li>
 *   <li><b>response</b> ({@code cairn_proxy_server_response_time_seconds}, HAProxy's
 *       {@code Tr}): from having that connection to the endpoint's response head (status line and
 *       headers read); only for requests an endpoint answered, never for Cairn's own answers
 *       (502, 503, 504) or attempts that failed.</li>
 *   <li><b>total</b> ({@code cairn_proxy_http_request_duration_seconds}): from the request head
 *       read to the request's end (last response byte handed on, or the request ended otherwise).</li>
 * </ul>
 *
 * The marks are the only writers of these fields. Not thread-safe: the threads that carry a
 * request take turns (IO thread, handler dispatch), never at once.
 */
public class RequestTiming {

    /** When the request head was read. */
    public long startNanos = System.nanoTime();
    /** The last attempt's connect time, -1 while no attempt had a connection. */
    public long connectNanos = -1;
    /** When the last attempt got its connection, 0 while none did. */
    public long connectedAt;
    /** Connection to response head, -1 unless an endpoint answered. */
    public long responseNanos = -1;

    /** As new, for the next request of a connection that reuses one of these. */
    protected final void resetTiming() {
        startNanos = System.nanoTime();
        connectNanos = -1;
        connectedAt = 0;
        responseNanos = -1;
    }

    /**
     * An attempt that asked for a connection at {@code askedAt} has one (pooled or new) at
     * {@code now}; observed in {@code connectTime} (the route's connect-time histogram).
     */
    public final void connected(DistributionDataPoint connectTime, long askedAt, long now) {
        connectNanos = now - askedAt;
        connectedAt = now;
        responseNanos = -1;
        connectTime.observe(connectNanos / 1e9);
    }

    /** The endpoint's response head arrived on the last attempt's connection. */
    public final void responseHead(long now) {
        if (connectedAt != 0) responseNanos = now - connectedAt;
    }

    /** From the request head to {@code now}. */
    public final long durationNanos(long now) {
        return now - startNanos;
    }
}
