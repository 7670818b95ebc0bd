/**
 * The proxy's request rules, written once for both HTTP transports (Undertow's exchange path and
 * Cairn's own HTTP/1.1 fast path): the retry/redispatch rule ({@code RetryRule}), request framing
 * (smuggling) rules, chunked framing, forwarding headers ({@code Forwarding}), Cairn's own error
 * answers ({@code ErrorAnswer}), the timeouts ({@code Timeouts}), the keep-alive pools to endpoints
 * ({@code UpstreamPool}) and the end-of-request timings ({@code RequestTiming}). Each transport adapts these
 * to its own objects; nothing here touches a socket, and everything is immutable or
 * per-connection (not thread-safe, used by one IO thread).
 */
package dev.cairn.proxy.http.policy;
