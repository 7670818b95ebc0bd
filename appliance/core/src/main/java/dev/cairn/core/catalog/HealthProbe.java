package dev.cairn.core.catalog;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * Runs one active check against one endpoint and says whether it passed, and why not. Blocking
 * sockets on the caller's thread (a check thread of {@link HealthCheckScheduler}): no client of
 * its own, so no selector or worker threads that wake up while Cairn is idle.
 */
final class HealthProbe {

    /**
     * Outcome of one check; {@code detail} is shown to operators ("HTTP 503", "connection refused"),
     * {@code status} is HAProxy's check status code for the same outcome (L4OK, L4CON, L4TOUT,
     * L7OK, L7STS, L7RSP, L7TOUT, SOCKERR), served as {@code haproxy_server_check_status}.
     */
    record Result(boolean ok, String detail, String status) {
    }

    /** Bytes of an HTTP check's body that are read and searched for expect_body. */
    static final int MAX_BODY = 64 * 1024;
    /** Longest status or header line of a check's response, and most header lines. */
    static final int MAX_LINE = 8 * 1024;
    static final int MAX_HEADERS = 100;

    Result run(CheckConfig check, String host, int endpointPort) {
        int port = check.port() != 0 ? check.port() : endpointPort;
        return switch (check.type()) {
            case TCP -> tcp(check, host, port);
            case HTTP -> http(check, host, port);
        };
    }

    private static Result tcp(CheckConfig check, String host, int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port), (int) check.timeout().toMillis());
            return new Result(true, "TCP connect ok", "L4OK");
        } catch (IOException e) {
            return new Result(false, "TCP connect: " + reason(e), e instanceof SocketTimeoutException ? "L4TOUT" : "L4CON");
        }
    }

    /**
     * One HTTP/1.1 GET with {@code Connection: close}. The whole exchange (connect, status line,
     * headers and, with expect_body, at most {@link #MAX_BODY} bytes of the body) must finish
     * within the check's timeout: a backend that stalls or streams forever fails its check,
     * nothing hangs. Without expect_body the status decides and the body is not read (HAProxy's
     * httpchk does the same).
     */
    private static Result http(CheckConfig check, String host, int port) {
        String path = check.path();
        String authority = (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
        String hostHeader = check.host() != null ? check.host() : authority;
        if (!printable(path) || !printable(hostHeader)) {
            return new Result(false, "HTTP: invalid character in path or Host", "SOCKERR");
        }
        long deadline = System.nanoTime() + check.timeout().toNanos();
        try (Socket s = new Socket()) {
            try {
                s.connect(new InetSocketAddress(host, port), (int) Math.max(1, check.timeout().toMillis()));
            } catch (IOException e) {
                return new Result(false, "HTTP: " + reason(e), e instanceof SocketTimeoutException ? "L4TOUT" : "L4CON");
            }
            s.setTcpNoDelay(true);
            s.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: " + hostHeader
                    + "\r\nUser-Agent: cairn-health-check\r\nAccept: */*\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            Response in = new Response(s, deadline);
            int code;
            long length = -1;
            boolean chunked = false;
            do { // 1xx (100 Continue, 103 Early Hints): the final response follows
                code = in.statusCode();
                for (int i = 0; ; i++) {
                    String h = in.line();
                    if (h.isEmpty()) break;
                    if (i == MAX_HEADERS) throw new IOException("more than " + MAX_HEADERS + " header lines");
                    int colon = h.indexOf(':');
                    if (colon <= 0) continue;
                    String name = h.substring(0, colon).trim().toLowerCase(Locale.ROOT);
                    String value = h.substring(colon + 1).trim();
                    if (name.equals("content-length")) {
                        length = parseLength(value);
                    } else if (name.equals("transfer-encoding")) {
                        chunked = value.toLowerCase(Locale.ROOT).contains("chunked");
                    }
                }
            } while (code >= 100 && code < 200);
            if (code < check.statusLow() || code > check.statusHigh()) {
                return new Result(false, "HTTP " + code + " (expected " + check.expectStatus() + ")", "L7STS");
            }
            if (check.expectBody() != null) {
                String body = chunked ? in.chunkedBody() : in.body(length);
                if (!body.contains(check.expectBody())) {
                    return new Result(false, "HTTP " + code + ", body lacks '" + check.expectBody() + "'", "L7RSP");
                }
            }
            return new Result(true, "HTTP " + code, "L7OK");
        } catch (IOException e) {
            return new Result(false, "HTTP: " + reason(e), e instanceof SocketTimeoutException ? "L7TOUT" : "L7RSP");
        }
    }

    private static boolean printable(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c <= ' ' || c >= 0x7f) return false;
        }
        return !s.isEmpty();
    }

    private static long parseLength(String v) throws IOException {
        try {
            long n = Long.parseLong(v);
            if (n < 0) throw new NumberFormatException();
            return n;
        } catch (NumberFormatException e) {
            throw new IOException("bad Content-Length '" + v + "'");
        }
    }

    /** Reads a response from a socket; every read waits at most until the check's deadline. */
    private static final class Response {
        private final Socket socket;
        private final InputStream in;
        private final long deadline;
        private final byte[] buf = new byte[4096];
        private int pos;
        private int end;

        Response(Socket socket, long deadline) throws IOException {
            this.socket = socket;
            this.in = socket.getInputStream();
            this.deadline = deadline;
        }

        /** False at end of stream. */
        private boolean fill() throws IOException {
            long left = deadline - System.nanoTime();
            if (left <= 0) throw new SocketTimeoutException("check timeout");
            socket.setSoTimeout((int) Math.max(1, left / 1_000_000));
            int n = in.read(buf);
            if (n < 0) return false;
            pos = 0;
            end = n;
            return true;
        }

        /** The next line without its CRLF (or LF). */
        String line() throws IOException {
            StringBuilder sb = new StringBuilder();
            while (true) {
                if (pos == end && !fill()) throw new IOException("connection closed before the response ended");
                char c = (char) (buf[pos++] & 0xff);
                if (c == '\n') break;
                if (sb.length() == MAX_LINE) throw new IOException("response line longer than " + MAX_LINE + " bytes");
                sb.append(c);
            }
            int n = sb.length();
            if (n > 0 && sb.charAt(n - 1) == '\r') sb.setLength(n - 1);
            return sb.toString();
        }

        int statusCode() throws IOException {
            String status = line();
            // HTTP/1.1 200 OK
            if (!status.startsWith("HTTP/") || status.length() < 12 || status.charAt(8) != ' ') {
                throw new IOException("not an HTTP response");
            }
            try {
                return Integer.parseInt(status.substring(9, 12));
            } catch (NumberFormatException e) {
                throw new IOException("not an HTTP response");
            }
        }

        /** At most MAX_BODY bytes of a body of {@code length} bytes (-1: until the connection closes). */
        String body(long length) throws IOException {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            long want = length < 0 ? MAX_BODY : Math.min(length, MAX_BODY);
            copy(out, want, length >= 0);
            return out.toString(StandardCharsets.UTF_8);
        }

        String chunkedBody() throws IOException {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            while (out.size() < MAX_BODY) {
                String size = line();
                int semi = size.indexOf(';');
                long n;
                try {
                    n = Long.parseLong((semi < 0 ? size : size.substring(0, semi)).trim(), 16);
                } catch (NumberFormatException e) {
                    throw new IOException("bad chunk size '" + size + "'");
                }
                if (n == 0) break;
                long take = Math.min(n, MAX_BODY - out.size());
                copy(out, take, true);
                if (take < n) break;
                line(); // the CRLF after the chunk
            }
            return out.toString(StandardCharsets.UTF_8);
        }

        /** Copies up to {@code n} bytes; a short body is an error only when its length was announced. */
        private void copy(ByteArrayOutputStream out, long n, boolean exact) throws IOException {
            while (n > 0) {
                if (pos == end && !fill()) {
                    if (exact) throw new IOException("connection closed before the body ended");
                    return;
                }
                int k = (int) Math.min(n, end - pos);
                out.write(buf, pos, k);
                pos += k;
                n -= k;
            }
        }
    }

    private static String reason(Throwable e) {
        if (e instanceof SocketTimeoutException) {
            return "timeout";
        }
        if (e instanceof java.net.ConnectException) {
            return "connection refused";
        }
        String m = e.getMessage();
        return m == null ? e.getClass().getSimpleName() : m;
    }
}
