package dev.cairn.backup;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;

/**
 * A TCP proxy in front of a real HTTP server that injects faults per request: answer 503, reset
 * the connection in the middle of a request body, or deliver the response slowly. One request per
 * connection (it asks the server to close after each), so every request passes the rules.
 */
final class FaultProxy implements AutoCloseable {

    enum Fault { NONE, STATUS_503, RESET_MID_BODY, SLOW, CUT_AFTER }

    /**
     * One request as it went through: its request line, Content-Range header, the body bytes
     * forwarded to the server, and the server's status line ("" when cut).
     */
    static final class Exchange {
        final String line;
        final String contentRange;
        final java.util.concurrent.atomic.AtomicLong bodyBytes = new java.util.concurrent.atomic.AtomicLong();
        volatile String status = "";

        Exchange(String line, String contentRange) {
            this.line = line;
            this.contentRange = contentRange;
        }

        @Override
        public String toString() {
            return line + " [" + contentRange + "] " + bodyBytes.get() + " bytes -> " + status;
        }
    }

    final java.util.List<Exchange> exchanges = new java.util.concurrent.CopyOnWriteArrayList<>();
    /** {@link Fault#CUT_AFTER}: forward this many body bytes to the server, then close both sides. */
    volatile long cutAfter;
    /** {@link Fault#CUT_AFTER}: runs after the server's side is closed and before the client's is reset. */
    volatile Runnable onCut = () -> { };

    final int port;
    final AtomicInteger requests = new AtomicInteger();
    final AtomicInteger injected = new AtomicInteger();
    private final int upstream;
    private final ServerSocket server;
    private final ExecutorService pool = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "fault-proxy");
        t.setDaemon(true);
        return t;
    });
    /** (request line, request number from 1) -> fault; replaced by tests. */
    volatile BiFunction<String, Integer, Fault> rules = (line, n) -> Fault.NONE;

    FaultProxy(int upstream) throws IOException {
        this.upstream = upstream;
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        port = server.getLocalPort();
        pool.execute(this::accept);
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket c = server.accept();
                pool.execute(() -> handle(c));
            } catch (IOException e) {
                return;
            }
        }
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int state = 0;
        while (state < 4 && b.size() < 65536) {
            int x = in.read();
            if (x < 0) return null;
            b.write(x);
            state = (x == '\r' && (state == 0 || state == 2)) || (x == '\n' && (state == 1 || state == 3)) ? state + 1 : (x == '\r' ? 1 : 0);
        }
        return b.toString(StandardCharsets.ISO_8859_1);
    }

    /** The status line with its CRLF, or null at end of stream. */
    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int x;
        while ((x = in.read()) >= 0) {
            b.write(x);
            if (x == '\n') return b.toString(StandardCharsets.ISO_8859_1);
        }
        return null;
    }

    private void handle(Socket client) {
        try (client) {
            InputStream cin = client.getInputStream();
            OutputStream cout = client.getOutputStream();
            String head = readHead(cin);
            if (head == null) return;
            String line = head.substring(0, head.indexOf('\r'));
            String range = "";
            for (String l : head.split("\r\n")) if (l.toLowerCase().startsWith("content-range:")) range = l.substring(14).trim();
            Exchange x = new Exchange(line, range);
            exchanges.add(x);
            Fault f = rules.apply(line, requests.incrementAndGet());
            if (f != Fault.NONE) injected.incrementAndGet();
            if (f == Fault.STATUS_503) {
                cout.write(("HTTP/1.1 503 Slow Down\r\nContent-Type: application/xml\r\nConnection: close\r\nContent-Length: 95\r\n\r\n"
                        + "<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>     ").getBytes(StandardCharsets.ISO_8859_1));
                cout.flush();
                return;
            }
            if (f == Fault.RESET_MID_BODY) {
                if (head.toLowerCase().contains("expect: 100-continue")) {
                    cout.write("HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                    cout.flush();
                }
                cin.readNBytes(4096);
                client.setSoLinger(true, 0);
                return;
            }
            StringBuilder h = new StringBuilder();
            for (String l : head.split("\r\n")) {
                if (l.isEmpty() || l.toLowerCase().startsWith("connection:")) continue;
                h.append(l).append("\r\n");
            }
            h.append("Connection: close\r\n\r\n");
            try (Socket up = new Socket(InetAddress.getLoopbackAddress(), upstream)) {
                up.getOutputStream().write(h.toString().getBytes(StandardCharsets.ISO_8859_1));
                up.getOutputStream().flush();
                if (f == Fault.CUT_AFTER) {
                    byte[] part = cin.readNBytes((int) cutAfter);
                    up.getOutputStream().write(part);
                    up.getOutputStream().flush();
                    x.bodyBytes.addAndGet(part.length);
                    up.close();
                    onCut.run();
                    client.setSoLinger(true, 0);
                    return;
                }
                pool.execute(() -> {
                    byte[] buf = new byte[65536];
                    int n;
                    try {
                        while ((n = cin.read(buf)) > 0) {
                            up.getOutputStream().write(buf, 0, n);
                            x.bodyBytes.addAndGet(n);
                        }
                    } catch (IOException ignored) {
                        // either side closed
                    }
                });
                InputStream uin = up.getInputStream();
                byte[] buf = new byte[f == Fault.SLOW ? 16 * 1024 : 65536];
                int n;
                ByteArrayOutputStream seen = new ByteArrayOutputStream();
                // The proxy closes the client's connection after one exchange: its answer says so
                // (the server may not, and a client that pooled the connection would send its next
                // request, a PUT it may not retry, into a closed socket).
                String status = readLine(uin);
                if (status == null) return;
                cout.write((status + "Connection: close\r\n").getBytes(StandardCharsets.ISO_8859_1));
                seen.write(status.getBytes(StandardCharsets.ISO_8859_1));
                while ((n = uin.read(buf)) > 0) {
                    if (seen.size() < 1024) {
                        seen.write(buf, 0, Math.min(n, 1024));
                        String resp = seen.toString(StandardCharsets.ISO_8859_1);
                        int eol = resp.indexOf('\r');
                        int body = resp.indexOf("\r\n\r\n");
                        x.status = (eol > 0 ? resp.substring(0, eol) : resp)
                                + (body > 0 ? " " + resp.substring(body + 4, Math.min(resp.length(), body + 4 + 200)).trim() : "");
                    }
                    cout.write(buf, 0, n);
                    cout.flush();
                    if (f == Fault.SLOW) {
                        try {
                            Thread.sleep(5);
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                }
            }
        } catch (IOException ignored) {
            // a client that went away
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        pool.shutdownNow();
    }
}
