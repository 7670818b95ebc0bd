package dev.cairn.proxy;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A raw HTTP/1.1 client on one socket that follows response framing exactly (RFC 9112 §6.3):
 * 1xx interim responses, HEAD, 204 and 304 without a body, Content-Length, chunked with
 * extensions and trailers, and close-delimited bodies. Buffered, so megabyte bodies are quick.
 */
final class WireClient implements AutoCloseable {

    /** A header line split into name and value (value trimmed of surrounding whitespace). */
    record Field(String name, String value) {
        @Override
        public String toString() {
            return name + ": " + value;
        }
    }

    /** How the body of a response was delimited. */
    enum Framing { NONE, LENGTH, CHUNKED, CLOSE }

    /** A final response and the interim (1xx) responses that preceded it. */
    record Response(List<Response> interim, String statusLine, int status, List<Field> headers, byte[] body,
                    List<Field> trailers, Framing framing) {

        String header(String name) {
            for (Field f : headers) {
                if (f.name().equalsIgnoreCase(name)) return f.value();
            }
            return null;
        }

        List<String> all(String name) {
            List<String> out = new ArrayList<>();
            for (Field f : headers) {
                if (f.name().equalsIgnoreCase(name)) out.add(f.value());
            }
            return out;
        }

        String bodyText() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    WireClient(int port) throws IOException {
        this(port, 10_000);
    }

    WireClient(int port, int timeoutMillis) throws IOException {
        socket = new Socket();
        socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        socket.setSoTimeout(timeoutMillis);
        socket.setTcpNoDelay(true);
        in = new BufferedInputStream(socket.getInputStream(), 65536);
        out = socket.getOutputStream();
    }

    void send(String raw) throws IOException {
        out.write(raw.getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
    }

    Response exchange(String raw) throws IOException {
        send(raw);
        return read(raw.startsWith("HEAD "));
    }

    /** Reads the response to a non-HEAD request; null when the connection closed before any byte. */
    Response read() throws IOException {
        return read(false);
    }

    /**
     * Reads one final response (collecting 1xx responses before it); null when the connection
     * closed before any byte of it.
     */
    Response read(boolean head) throws IOException {
        List<Response> interim = new ArrayList<>();
        for (;;) {
            String statusLine = firstLine();
            if (statusLine == null) {
                if (interim.isEmpty()) return null;
                throw new IOException("connection closed after " + interim.size() + " interim responses");
            }
            if (!statusLine.startsWith("HTTP/1.") || statusLine.length() < 12) {
                throw new IOException("not a status line: " + statusLine);
            }
            int status = Integer.parseInt(statusLine.substring(9, 12));
            List<Field> headers = fields();
            if (status >= 100 && status < 200 && status != 101) {
                interim.add(new Response(List.of(), statusLine, status, headers, new byte[0], List.of(), Framing.NONE));
                continue;
            }
            Response partial = new Response(List.copyOf(interim), statusLine, status, headers, new byte[0], List.of(), Framing.NONE);
            if (head || status == 204 || status == 304 || status == 101) return partial;
            String te = partial.header("transfer-encoding");
            String cl = partial.header("content-length");
            if (te != null && te.toLowerCase(Locale.ROOT).endsWith("chunked")) {
                ByteArrayOutputStream body = new ByteArrayOutputStream();
                for (;;) {
                    String size = line(in);
                    int n = Integer.parseInt(size.split(";")[0].trim(), 16);
                    if (n == 0) break;
                    byte[] chunk = in.readNBytes(n);
                    if (chunk.length < n) throw new IOException("end of stream inside a chunk");
                    body.write(chunk);
                    if (!line(in).isEmpty()) throw new IOException("no CRLF after a chunk");
                }
                List<Field> trailers = fields();
                return new Response(partial.interim(), statusLine, status, headers, body.toByteArray(), trailers, Framing.CHUNKED);
            }
            if (cl != null) {
                int n = Integer.parseInt(cl.trim());
                byte[] body = in.readNBytes(n);
                if (body.length < n) throw new IOException("end of stream after " + body.length + " of " + n + " body bytes");
                return new Response(partial.interim(), statusLine, status, headers, body, List.of(), Framing.LENGTH);
            }
            return new Response(partial.interim(), statusLine, status, headers, in.readAllBytes(), List.of(), Framing.CLOSE);
        }
    }

    /** Reads one response head only (e.g. a 100 Continue before a body is sent): its status line, or null at EOF. */
    String readHead() throws IOException {
        String statusLine = firstLine();
        if (statusLine == null) return null;
        fields();
        return statusLine;
    }

    /** Sends raw bytes. */
    void send(byte[] raw) throws IOException {
        out.write(raw);
        out.flush();
    }

    /** True when the server has closed the connection (reads EOF within {@code millis}). */
    boolean closedWithin(int millis) throws IOException {
        int old = socket.getSoTimeout();
        socket.setSoTimeout(millis);
        try {
            return in.read() < 0;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true; // reset
        } finally {
            socket.setSoTimeout(old);
        }
    }

    private String firstLine() throws IOException {
        int b = in.read();
        if (b < 0) return null;
        return (char) b + line(in);
    }

    private List<Field> fields() throws IOException {
        List<Field> out = new ArrayList<>();
        for (;;) {
            String l = line(in);
            if (l.isEmpty()) return out;
            int c = l.indexOf(':');
            if (c <= 0) throw new IOException("not a header line: " + l);
            out.add(new Field(l.substring(0, c), l.substring(c + 1).trim()));
        }
    }

    /** One line without its CRLF (or bare LF); empty at end of stream. */
    static String line(InputStream in) throws IOException {
        StringBuilder b = new StringBuilder();
        int c;
        while ((c = in.read()) >= 0 && c != '\n') {
            if (c != '\r') b.append((char) c);
        }
        return b.toString();
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
