package dev.cairn.proxy.http;

import dev.cairn.proxy.http.policy.ChunkedFraming;

import java.nio.ByteBuffer;

/**
 * Follows an HTTP/1.1 request byte stream, request by request (head, then a body framed by
 * Content-Length or chunked encoding), and marks every obs-fold in a head (a header line
 * continued on the next line by a leading space or tab, RFC 9112 section 5.2) by replacing the
 * space or tab with a NUL, which Undertow's parser rejects with 400 (see {@link ObsFoldGuard}).
 *
 * <p>It stops watching (for the rest of the connection) where it could lose track of framing:
 * an upgrade (WebSocket, h2c), CONNECT, the HTTP/2 preface, a Transfer-Encoding other than
 * chunked or a malformed length, all of which Undertow or the proxy's own checks answer or
 * hand over to another protocol. Not thread-safe: a connection is read by its one IO thread.
 *
 * <p>A malformed chunked body ({@link ChunkedFraming}'s rules: a chunk-size line without hex
 * digits or with other bytes, chunk data not followed by CRLF, a bare LF) is refused the same way when the request's head arrived in the same
 * read, so Undertow has not parsed it yet: the head's first byte becomes a NUL and the request
 * gets 400 with nothing sent upstream. A head already passed on cannot be taken back: that
 * request is cut when Undertow's chunked parser fails, as before.
 */
final class ObsFoldScanner {

    private static final int START = 0;          // before a request line (empty lines allowed)
    private static final int LINE = 1;           // inside the request line or a header line
    private static final int LINE_START = 2;     // just after the LF ending a head line
    private static final int LINE_START_CR = 3;  // a CR at the start of a line: the head may end
    private static final int BODY = 4;           // `remaining` bytes of a Content-Length body
    private static final int CHUNKED = 5;        // a chunked body, followed by {@link #chunks}
    private static final int OFF = 10;           // no longer watching this connection

    private static final byte[] CONTENT_LENGTH = "content-length".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    private static final byte[] TRANSFER_ENCODING = "transfer-encoding".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    private static final byte[] UPGRADE = "upgrade".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    private static final int H_CL = 1, H_TE = 2, H_UPGRADE = 4;

    private int state = START;
    private long remaining;
    /** Where the current request's head starts in the buffer being scanned; -1: an earlier read. */
    private int headAt = -1;
    private final ChunkedFraming chunks = new ChunkedFraming();

    // Per head line.
    private boolean requestLine;
    private boolean inName;
    private int nameLength;
    private int candidates;      // H_* bits still matching the header name being read
    private int header;          // the H_* header whose value is being read, 0 for others
    private long lengthValue;    // digits of a Content-Length value
    private boolean lengthBad;
    private long teTail;         // the last 8 significant bytes of a Transfer-Encoding value
    private final byte[] method = new byte[8];
    private int methodLength;

    /** "chunked" as the low 7 bytes of {@link #teTail}; the byte above must end the previous coding. */
    private static final long CHUNKED_TAIL = pack("chunked");

    // Per head.
    private boolean sawLength;
    private long contentLength;
    private boolean chunked;
    private boolean stop;

    /** True once the scanner has stopped watching the connection. */
    boolean off() {
        return state == OFF;
    }

    /** Scans bytes {@code from..to} of {@code b} (absolute indexes), the next ones of the stream. */
    void scan(ByteBuffer b, int from, int to) {
        int i = from;
        headAt = -1;
        while (i < to && state != OFF) {
            switch (state) {
                case BODY -> {
                    int take = (int) Math.min(remaining, to - i);
                    i += take;
                    remaining -= take;
                    if (remaining == 0) state = START;
                }
                case CHUNKED -> {
                    int end = chunks.scan(b, i, to);
                    if (end == ChunkedFraming.MALFORMED) {
                        refuse(b);
                        return;
                    }
                    if (end == ChunkedFraming.MORE) return;
                    i = end;
                    state = START;
                }
                default -> {
                    step(b, i);
                    i++;
                }
            }
        }
    }

    private void step(ByteBuffer buf, int at) {
        byte c = buf.get(at);
        switch (state) {
            case START -> {
                if (c == '\r' || c == '\n') return;
                headAt = at;
                beginHead();
                state = LINE;
                lineByte(c);
            }
            case LINE -> {
                if (c == '\n') {
                    endLine();
                    state = LINE_START;
                } else {
                    lineByte(c);
                }
            }
            case LINE_START -> {
                if (c == ' ' || c == '\t') {
                    // An obs-fold: let Undertow's parser reject the line (400, connection closed).
                    buf.put(at, (byte) 0);
                    state = OFF;
                } else if (c == '\r') {
                    state = LINE_START_CR;
                } else if (c == '\n') {
                    endHead();
                } else {
                    beginLine();
                    state = LINE;
                    lineByte(c);
                }
            }
            case LINE_START_CR -> {
                if (c == '\n') {
                    endHead();
                } else {
                    state = OFF; // a bare CR: Undertow answers it; stop guessing
                }
            }
            default -> state = OFF;
        }
    }

    private void beginHead() {
        contentLength = 0;
        chunked = false;
        stop = false;
        sawLength = false;
        requestLine = true;
        methodLength = 0;
        header = 0;
    }

    private void beginLine() {
        requestLine = false;
        inName = true;
        nameLength = 0;
        candidates = H_CL | H_TE | H_UPGRADE;
        header = 0;
    }

    private void lineByte(byte c) {
        if (requestLine) {
            // Remember the method: CONNECT tunnels and "PRI * HTTP/2.0" switches protocol.
            if (methodLength < method.length) method[methodLength++] = c;
            return;
        }
        if (inName) {
            if (c == ':') {
                inName = false;
                header = exact(candidates);
                lengthValue = 0;
                lengthBad = header == H_CL && sawLength; // a second Content-Length
                teTail = 0;
                return;
            }
            byte l = lower(c);
            if ((candidates & H_CL) != 0 && (nameLength >= CONTENT_LENGTH.length || CONTENT_LENGTH[nameLength] != l)) candidates &= ~H_CL;
            if ((candidates & H_TE) != 0 && (nameLength >= TRANSFER_ENCODING.length || TRANSFER_ENCODING[nameLength] != l)) candidates &= ~H_TE;
            if ((candidates & H_UPGRADE) != 0 && (nameLength >= UPGRADE.length || UPGRADE[nameLength] != l)) candidates &= ~H_UPGRADE;
            nameLength++;
            return;
        }
        if (c == ' ' || c == '\t' || c == '\r') return; // OWS
        if (header == H_CL) {
            if (c >= '0' && c <= '9' && lengthValue <= (Long.MAX_VALUE - 9) / 10) lengthValue = lengthValue * 10 + (c - '0');
            else lengthBad = true;
        } else if (header == H_TE) {
            teTail = (teTail << 8) | (lower(c) & 0xff); // the last 8 significant bytes of the value
        }
    }

    private static byte lower(byte c) {
        return (c >= 'A' && c <= 'Z') ? (byte) (c + 32) : c;
    }

    private boolean methodIs(String m) {
        if (methodLength < m.length()) return false;
        for (int i = 0; i < m.length(); i++) {
            if (method[i] != m.charAt(i)) return false;
        }
        return true;
    }

    private int exact(int bits) {
        if ((bits & H_CL) != 0 && nameLength == CONTENT_LENGTH.length) return H_CL;
        if ((bits & H_TE) != 0 && nameLength == TRANSFER_ENCODING.length) return H_TE;
        if ((bits & H_UPGRADE) != 0 && nameLength == UPGRADE.length) return H_UPGRADE;
        return 0;
    }

    private void endLine() {
        if (requestLine) {
            requestLine = false;
            if (methodIs("CONNECT ") || methodIs("PRI ")) stop = true;
            return;
        }
        switch (header) {
            case H_CL -> {
                if (lengthBad) stop = true;
                contentLength = lengthValue;
                sawLength = true;
            }
            case H_TE -> {
                long prev = (teTail >>> 56) & 0xff;
                if ((teTail & 0x00ff_ffff_ffff_ffffL) == CHUNKED_TAIL && (prev == 0 || prev == ',')) chunked = true;
                else stop = true; // not ending in chunked: rejected further on, framing unknown
            }
            case H_UPGRADE -> stop = true;
            default -> {
            }
        }
        header = 0;
    }

    private void endHead() {
        if (stop) {
            state = OFF;
        } else if (chunked) {
            state = CHUNKED;
            chunks.reset();
        } else if (contentLength > 0) {
            state = BODY;
            remaining = contentLength;
        } else {
            state = START;
        }
    }

    private static long pack(String s) {
        long v = 0;
        for (int i = 0; i < s.length(); i++) v = (v << 8) | s.charAt(i);
        return v;
    }

    /** Malformed chunked framing: the head gets a NUL if Undertow has not read it yet; stop watching. */
    private void refuse(ByteBuffer buf) {
        if (headAt >= 0) buf.put(headAt, (byte) 0);
        state = OFF;
    }
}
