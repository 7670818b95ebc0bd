package dev.cairn.proxy;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A raw-socket HTTP/1.1 backend for tests: one thread per connection, keep-alive, and a script
 * that writes whatever bytes a case needs (chunk extensions, trailers, 1xx, close-delimited
 * bodies, hang-ups). Records every request it reads byte for byte (head and decoded body), and
 * counts the connections it accepted.
 */
final class ScriptedBackend implements AutoCloseable {

    /** One request as read off the wire. */
    record Request(int connection, String head, byte[] body) {

        String requestLine() {
            return head.substring(0, head.indexOf("\r\n"));
        }

        /** The header lines, as sent (without CRLF). */
        List<String> headerLines() {
            List<String> out = new ArrayList<>();
            String[] lines = head.split("\r\n");
            for (int i = 1; i < lines.length; i++) {
                if (!lines[i].isEmpty()) out.add(lines[i]);
            }
            return out;
        }

        String target() {
            return requestLine().split(" ")[1];
        }

        String path() {
            String t = target();
            int q = t.indexOf('?');
            return q < 0 ? t : t.substring(0, q);
        }

        String header(String name) {
            for (String l : headerLines()) {
                int c = l.indexOf(':');
                if (c > 0 && l.substring(0, c).trim().equalsIgnoreCase(name)) return l.substring(c + 1).trim();
            }
            return null;
        }

        String bodyText() {
            return new String(body, StandardCharsets.ISO_8859_1);
        }
    }

    /** Answers one request; returns false to close the connection afterwards. */
    interface Script {
        boolean answer(Request r, InputStream in, OutputStream out, Socket s) throws IOException;
    }

    final ServerSocket server;
    final List<Request> requests = new CopyOnWriteArrayList<>();
    final AtomicInteger connections = new AtomicInteger();
    final AtomicInteger openConnections = new AtomicInteger();
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final Script script;
    /** The script reads the request body itself (to answer first, or to send 100 Continue). */
    private final boolean headOnly;

    ScriptedBackend(Script script) throws IOException {
        this(script, false);
    }

    ScriptedBackend(Script script, boolean headOnly) throws IOException {
        this.script = script;
        this.headOnly = headOnly;
        server = new ServerSocket(0, 200, InetAddress.getLoopbackAddress());
        Thread t = new Thread(this::acceptLoop, "scripted-backend-" + server.getLocalPort());
        t.setDaemon(true);
        t.start();
    }

    int port() {
        return server.getLocalPort();
    }

    String address() {
        return "127.0.0.1:" + port();
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            Socket s;
            try {
                s = server.accept();
            } catch (IOException e) {
                return;
            }
            int id = connections.incrementAndGet();
            openConnections.incrementAndGet();
            sockets.add(s);
            Thread c = new Thread(() -> serve(s, id), "scripted-backend-conn-" + id);
            c.setDaemon(true);
            c.start();
        }
    }

    private void serve(Socket s, int id) {
        try (s) {
            s.setSoTimeout(30_000);
            s.setTcpNoDelay(true);
            InputStream in = new BufferedInputStream(s.getInputStream());
            OutputStream out = new BufferedOutputStream(s.getOutputStream(), 65536);
            for (;;) {
                Request r = headOnly ? readHead(in, id) : readRequest(in, id);
                if (r == null) return;
                requests.add(r);
                boolean keep = script.answer(r, in, out, s);
                if (!s.isClosed()) out.flush();
                if (!keep) return;
            }
        } catch (IOException e) {
            // connection gone
        } finally {
            openConnections.decrementAndGet();
            sockets.remove(s);
        }
    }

    /** Reads one request head only (its body stays in {@code in}); null at a clean end of stream. */
    static Request readHead(InputStream in, int connection) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int state = 0;
        while (state < 4) {
            int b = in.read();
            if (b < 0) {
                if (head.size() == 0) return null;
                throw new IOException("end of stream inside a request head");
            }
            head.write(b);
            state = (b == '\r' && (state == 0 || state == 2)) || (b == '\n' && (state == 1 || state == 3)) ? state + 1 : 0;
        }
        return new Request(connection, head.toString(StandardCharsets.ISO_8859_1), new byte[0]);
    }

    /** Reads one request head and its body (Content-Length or chunked); null at a clean end of stream. */
    static Request readRequest(InputStream in, int connection) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int state = 0;
        while (state < 4) {
            int b = in.read();
            if (b < 0) {
                if (head.size() == 0) return null;
                throw new IOException("end of stream inside a request head");
            }
            head.write(b);
            state = (b == '\r' && (state == 0 || state == 2)) || (b == '\n' && (state == 1 || state == 3)) ? state + 1 : 0;
        }
        String h = head.toString(StandardCharsets.ISO_8859_1);
        Request partial = new Request(connection, h, new byte[0]);
        String cl = partial.header("content-length");
        String te = partial.header("transfer-encoding");
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        if (te != null && te.toLowerCase(Locale.ROOT).contains("chunked")) {
            for (;;) {
                String size = WireClient.line(in);
                int n = Integer.parseInt(size.trim().split(";")[0].trim(), 16);
                if (n == 0) {
                    while (!WireClient.line(in).isEmpty()) {
                        // trailers
                    }
                    break;
                }
                body.write(in.readNBytes(n));
                WireClient.line(in);
            }
        } else if (cl != null) {
            body.write(in.readNBytes(Integer.parseInt(cl)));
        }
        return new Request(connection, h, body.toByteArray());
    }

    /** Writes now (a script that then waits or hangs up has sent these bytes). */
    static void write(OutputStream out, String raw) throws IOException {
        out.write(raw.getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
    }

    /** Reads until the peer closes (a backend that never answers); returns false. */
    static boolean hang(InputStream in) {
        try {
            while (in.read() >= 0) {
                // discard
            }
        } catch (IOException e) {
            // reset or closed
        }
        return false;
    }

    /** Closes with a TCP RST rather than a FIN. */
    static boolean reset(Socket s) throws IOException {
        s.setSoLinger(true, 0);
        s.close();
        return false;
    }

    /** Requests seen since the last {@link #clear()}. */
    List<Request> take() {
        return List.copyOf(requests);
    }

    void clear() {
        requests.clear();
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Socket s : sockets) {
            try {
                s.close();
            } catch (IOException e) {
                // already gone
            }
        }
    }
}
