package dev.cairn.proxy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/** A raw HTTP/1.1 client on one socket, for smuggling and keep-alive tests. */
final class RawHttp implements AutoCloseable {

    final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    RawHttp(int port) throws IOException {
        socket = new Socket();
        socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        socket.setSoTimeout(10_000);
        in = socket.getInputStream();
        out = socket.getOutputStream();
    }

    /** A response: status code, the header block (lower-cased names) and the body. */
    record Response(int status, String headers, String body) {
        String header(String name) {
            for (String line : headers.split("\r\n")) {
                int c = line.indexOf(':');
                if (c > 0 && line.substring(0, c).trim().equalsIgnoreCase(name)) return line.substring(c + 1).trim();
            }
            return null;
        }
    }

    void send(String raw) throws IOException {
        out.write(raw.getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
    }

    Response exchange(String raw) throws IOException {
        send(raw);
        return read();
    }

    /** Reads one response; a closed connection before any byte gives status -1. */
    Response read() throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int state = 0;
        while (state < 4) {
            int b = in.read();
            if (b < 0) {
                if (head.size() == 0) return new Response(-1, "", "");
                break;
            }
            head.write(b);
            state = (b == '\r' && (state == 0 || state == 2)) || (b == '\n' && (state == 1 || state == 3)) ? state + 1 : 0;
        }
        String h = head.toString(StandardCharsets.ISO_8859_1);
        int status = Integer.parseInt(h.substring(9, 12));
        Response partial = new Response(status, h, "");
        String cl = partial.header("content-length");
        String te = partial.header("transfer-encoding");
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        if (cl != null) {
            int n = Integer.parseInt(cl);
            for (int i = 0; i < n; i++) {
                int b = in.read();
                if (b < 0) break;
                body.write(b);
            }
        } else if (te != null && te.toLowerCase(Locale.ROOT).contains("chunked")) {
            for (;;) {
                String size = line();
                int n = Integer.parseInt(size.trim().split(";")[0], 16);
                if (n == 0) {
                    line();
                    break;
                }
                for (int i = 0; i < n; i++) body.write(in.read());
                line();
            }
        }
        return new Response(status, h, body.toString(StandardCharsets.UTF_8));
    }

    private String line() throws IOException {
        return WireClient.line(in);
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
