package dev.cairn.proxy.http.policy;

import java.nio.ByteBuffer;

/**
 * The one chunked-framing reader (RFC 9112 section 7.1) of the proxy, for request bodies (the
 * obs-fold guard in front of Undertow, the fast path) and response bodies (the fast path): it
 * finds where a chunked body ends without copying it. Feed it the body bytes in order;
 * {@link #scan} answers where the body ends, that it goes on, or that it is malformed.
 *
 * <p>Strict where parsers disagree: a chunk size is hex digits (at most 11), optionally followed
 * by blanks and then only a {@code ;} extension; every line ends in CRLF (a bare LF or CR is
 * malformed); chunk data is followed by CRLF. Not thread-safe: one per connection direction.
 */
public final class ChunkedFraming {

    public static final int MORE = -1;
    public static final int MALFORMED = -2;

    private static final int SIZE = 0;
    private static final int SIZE_DIGITS = 1;
    private static final int SIZE_BWS = 2;
    private static final int EXT = 3;
    private static final int SIZE_LF = 4;
    private static final int DATA = 5;
    private static final int DATA_CR = 6;
    private static final int DATA_LF = 7;
    private static final int TRAILER_START = 8;
    private static final int TRAILER_LINE = 9;
    private static final int TRAILER_LF = 10;
    private static final int FINAL_LF = 11;

    private final boolean blanksAfterSize;
    private int state = SIZE;
    private long size;
    private long data;

    /** Reads RFC 9112 framing, blanks between a chunk size and its extension included. */
    public ChunkedFraming() {
        this(true);
    }

    /**
     * {@code blanksAfterSize} false: a chunk size followed by blanks is malformed too. For bodies
     * passed on with their framing as sent: RFC 9112 allows the blanks, but parsers behind a proxy
     * often do not (the JDK's HTTP server fails on them), so such a body takes the path that
     * re-frames it.
     */
    public ChunkedFraming(boolean blanksAfterSize) {
        this.blanksAfterSize = blanksAfterSize;
    }

    /** Ready for a new body. */
    public void reset() {
        state = SIZE;
        size = 0;
        data = 0;
    }

    /** Chunk data bytes announced so far in this body (framing not counted). */
    public long dataBytes() {
        return data;
    }

    /** True while nothing of the current body has been read. */
    public boolean atStart() {
        return state == SIZE && size == 0 && data == 0;
    }

    /** Scans {@code b[from, to)} (absolute): the offset just past the body's end, {@link #MORE} or {@link #MALFORMED}. */
    public int scan(ByteBuffer b, int from, int to) {
        return scan(b, from, to, false);
    }

    /**
     * For a reader that passes on the chunk data without its framing (a response going to an
     * HTTP/2 client): scans framing bytes of {@code b[from, to)} up to the next chunk data. Returns
     * the offset where data starts ({@link #inData} true: {@link #chunkLeft} bytes of it follow,
     * taken with {@link #take}), the offset just past the body's end ({@link #inData} false),
     * {@link #MORE} or {@link #MALFORMED}.
     */
    public int nextData(ByteBuffer b, int from, int to) {
        return scan(b, from, to, true);
    }

    /** At chunk data (see {@link #nextData}). */
    public boolean inData() {
        return state == DATA;
    }

    /** Data bytes left in the current chunk. */
    public long chunkLeft() {
        return state == DATA ? size : 0;
    }

    /** {@code n} (at most {@link #chunkLeft}) data bytes of the current chunk were taken. */
    public void take(long n) {
        size -= n;
        if (size == 0) state = DATA_CR;
    }

    private int scan(ByteBuffer b, int from, int to, boolean stopAtData) {
        int i = from;
        while (i < to) {
            if (state == DATA) {
                if (stopAtData) return i;
                long n = Math.min(size, to - i);
                i += (int) n;
                size -= n;
                if (size == 0) state = DATA_CR;
                continue;
            }
            int c = b.get(i++) & 0xff;
            switch (state) {
                case SIZE, SIZE_DIGITS -> {
                    int d = Character.digit(c, 16);
                    if (d >= 0 && c < 0x80) {
                        if (size > 0x7ffffffffffL) return MALFORMED;
                        size = size * 16 + d;
                        state = SIZE_DIGITS;
                    } else if (state == SIZE_DIGITS && c == ';') {
                        state = EXT;
                    } else if (state == SIZE_DIGITS && blanksAfterSize && (c == ' ' || c == '\t')) {
                        state = SIZE_BWS;
                    } else if (state == SIZE_DIGITS && c == '\r') {
                        state = SIZE_LF;
                    } else {
                        return MALFORMED;
                    }
                }
                case SIZE_BWS -> {
                    // Only more blanks or the ';' of an extension may follow blanks after the size.
                    if (c == ';') state = EXT;
                    else if (c == '\r') state = SIZE_LF;
                    else if (c != ' ' && c != '\t') return MALFORMED;
                }
                case EXT -> {
                    if (c == '\r') state = SIZE_LF;
                    else if (c == '\n') return MALFORMED;
                }
                case SIZE_LF -> {
                    if (c != '\n') return MALFORMED;
                    data += size;
                    state = size == 0 ? TRAILER_START : DATA;
                }
                case DATA_CR -> {
                    if (c != '\r') return MALFORMED;
                    state = DATA_LF;
                }
                case DATA_LF -> {
                    if (c != '\n') return MALFORMED;
                    state = SIZE;
                }
                case TRAILER_START -> state = c == '\r' ? FINAL_LF : c == '\n' ? -1 : TRAILER_LINE;
                case TRAILER_LINE -> {
                    if (c == '\r') state = TRAILER_LF;
                    else if (c == '\n') return MALFORMED;
                }
                case TRAILER_LF, FINAL_LF -> {
                    if (c != '\n') return MALFORMED;
                    if (state == FINAL_LF) {
                        state = SIZE;
                        size = 0;
                        return i;
                    }
                    state = TRAILER_START;
                }
                default -> {
                    return MALFORMED;
                }
            }
            if (state < 0) return MALFORMED;
        }
        return MORE;
    }
}
