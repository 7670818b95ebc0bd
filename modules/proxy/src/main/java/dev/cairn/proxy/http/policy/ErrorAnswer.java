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
     * The whole HTTP/1.1 answer with {@code Connection: close} (the connection closes after an error
     * of Cairn's own), {@code dateLine} being the {@code Date} header line with its CRLF.
     */
    public static byte[] http1(int status, String reason, String why, String service, byte[] dateLine) {
        byte[] body = body(status, reason, why, service).getBytes(StandardCharsets.UTF_8);
        byte[] head = ("HTTP/1.1 " + status + " " + reason + "\r\nConnection: close\r\nContent-Type: " + CONTENT_TYPE
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
