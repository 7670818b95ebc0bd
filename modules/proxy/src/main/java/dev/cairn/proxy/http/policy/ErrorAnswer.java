package dev.cairn.proxy.http.policy;

import java.nio.charset.StandardCharsets;

/**
 * Cairn's own error answers (no route, no endpoint, timeouts, refused requests): a one-line
 * plain-text body that says why, the same on both transports, never cached.
 */
public final class ErrorAnswer {

    public static final String CONTENT_TYPE = "text/plain; charset=utf-8";
    public static final String CACHE_CONTROL = "no-store";

    private ErrorAnswer() {
    }

    /**
     * Why Cairn answers {@code status} itself when the transport recorded no reason: 504 only comes
     * from {@code timeouts.server}, and a 503 after an attempt had its connection is a reset before
     * any response byte (a connect error leaves no reason). The same words on both paths.
     */
    public static String defaultWhy(int status, boolean attemptConnected) {
        if (status == 504) return "server timeout";
        if (status == 503 && attemptConnected) return "reset before response";
        return null;
    }

    /** {@code "503 Service Unavailable: no endpoint available (service web)\n"}. */
    public static String body(int status, String reason, String why, String service) {
        return status + " " + reason + (why == null ? "" : ": " + why) + (service == null ? "" : " (service " + service + ")") + "\n";
    }

    /**
     * Whether the client connection stays open after an error answer of Cairn's own: yes when the
     * whole request has been read (the next one starts right after it) and neither side asked to
     * close, as Undertow and HAProxy 2 keep it; otherwise the answer says {@code Connection: close}
     * and the connection closes (the rest of an unread body cannot be told from a next request).
     */
    public static boolean keepsConnection(boolean requestRead, boolean closing) {
        return requestRead && !closing;
    }

    /**
     * The whole HTTP/1.1 answer, with {@code Connection: close} when {@code close},
     * {@code dateLine} being the {@code Date} header line with its CRLF.
     */
    public static byte[] http1(int status, String reason, String why, String service, byte[] dateLine, boolean close) {
        byte[] body = body(status, reason, why, service).getBytes(StandardCharsets.UTF_8);
        byte[] head = ("HTTP/1.1 " + status + " " + reason + "\r\n" + (close ? "Connection: close\r\n" : "")
                + "Content-Type: " + CONTENT_TYPE
                + "\r\nCache-Control: " + CACHE_CONTROL + "\r\nContent-Length: " + body.length + "\r\n")
                .getBytes(StandardCharsets.ISO_8859_1);
        byte[] all = new byte[head.length + dateLine.length + 2 + body.length];
        System.arraycopy(head, 0, all, 0, head.length);
        System.arraycopy(dateLine, 0, all, head.length, dateLine.length);
        all[head.length + dateLine.length] = '\r';
        all[head.length + dateLine.length + 1] = '\n';
        System.arraycopy(body, 0, all, head.length + dateLine.length + 2, body.length);
        return all;
    }

    /** Where a body of an answer of {@link #http1} starts (for the access log's byte count). */
    public static int bodyLength(int status, String reason, String why, String service) {
        return body(status, reason, why, service).getBytes(StandardCharsets.UTF_8).length;
    }
}
