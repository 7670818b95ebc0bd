package dev.cairn.proxy.http.policy;

/**
 * What happens after an attempt on an endpoint failed before any response byte reached the client,
 * on either transport.
 *
 * <ul>
 *   <li>Nothing went upstream (connect error or connect timeout): any method is retried, on
 *       another endpoint, and the failure counts against the endpoint (passive health).</li>
 *   <li>The connection was reset or closed after the request went out: only an idempotent request
 *       whose bytes can still be replayed is retried; a non-idempotent one is answered 503, never
 *       sent twice.</li>
 *   <li>A reset on a <em>reused</em> keep-alive connection is the connection's failure, not the
 *       endpoint's (it closed an idle connection as the request was sent, a race every keep-alive
 *       pool has): as HAProxy does, it is not counted against the endpoint and the retry may go to
 *       the same endpoint on a new connection.</li>
 * </ul>
 * At most {@code retries} extra attempts per request (the route's setting).
 */
public final class RetryRule {

    /** How an attempt failed. */
    public enum Failure {
        /** The connection could not be opened (refused, unreachable). */
        CONNECT_ERROR,
        /** The connection was not open within {@code timeouts.connect}. */
        CONNECT_TIMEOUT,
        /** The connection closed or was reset after the request went out, before a response byte. */
        RESET
    }

    private RetryRule() {
    }

    /** GET, HEAD, PUT, DELETE, OPTIONS and TRACE (RFC 9110 section 9.2.2). */
    public static boolean idempotent(String method) {
        return switch (method) {
            case "GET", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE" -> true;
            default -> false;
        };
    }

    /** Whether the failure counts against the endpoint (passive health) and excludes it from the retry. */
    public static boolean countsAgainstEndpoint(Failure f, boolean reusedConnection) {
        return f != Failure.RESET || !reusedConnection;
    }

    /**
     * Whether the request gets another attempt: within the budget, and for a reset only when it is
     * idempotent and its bytes can be sent again ({@code replayable}: nothing of its body was
     * dropped yet).
     */
    public static boolean mayRetry(Failure f, boolean idempotent, boolean replayable, int retriesSoFar, int maxRetries) {
        if (retriesSoFar >= maxRetries) return false;
        if (f != Failure.RESET) return true;
        return idempotent && replayable;
    }
}
