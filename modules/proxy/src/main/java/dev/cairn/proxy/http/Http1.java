package dev.cairn.proxy.http;

import dev.cairn.proxy.http.policy.Forwarding;
import java.nio.ByteBuffer;
import java.util.Locale;

/**
 * The strict HTTP/1.1 head parsing behind the {@link FastPath}. A request is accepted only in
 * the narrow shape the fast path forwards (a common method, origin form, one Host, at most one
 * Content-Length or a lone {@code Transfer-Encoding: chunked}, no connection-level headers); anything else, valid or not, is left to Undertow's full path, which
 * answers or refuses it exactly as before. Responses are parsed for their framing only.
 * All offsets are absolute positions in the buffer; nothing here allocates.
 */
final class Http1 {

    static final int INCOMPLETE = 0;
    static final int NOT_SIMPLE = -1;

    private Http1() {
    }

    private static final boolean[] TCHAR = new boolean[256];
    private static final boolean[] PATH = new boolean[256];
    private static final boolean[] QUERY = new boolean[256];
    private static final boolean[] HOST = new boolean[256];

    static {
        for (int c = '0'; c <= '9'; c++) TCHAR[c] = PATH[c] = QUERY[c] = HOST[c] = true;
        for (int c = 'a'; c <= 'z'; c++) TCHAR[c] = PATH[c] = QUERY[c] = HOST[c] = true;
        for (int c = 'A'; c <= 'Z'; c++) TCHAR[c] = PATH[c] = QUERY[c] = HOST[c] = true;
        for (char c : "!#$%&'*+-.^_`|~".toCharArray()) TCHAR[c] = true;
        // RFC 3986 pchar without pct-encoding and ';' (Undertow decodes and splits those: left to it).
        for (char c : "-._~!$&'()*+,=:@/".toCharArray()) PATH[c] = QUERY[c] = true;
        for (char c : "?;%".toCharArray()) QUERY[c] = true;
        for (char c : "-._~!$&'()*+,;=".toCharArray()) HOST[c] = true;
    }

    /** Where the parts of a simple request head are; filled by {@link #parseRequest}. */
    static final class RequestHead {
        /** The method, one of {@link #METHODS}. */
        String method;
        boolean head;
        boolean idempotent;
        /** Content-Length, -1 when none. */
        long contentLength;
        boolean chunked;
        /** {@code Expect: 100-continue} (passed on: the endpoint's 100 reaches the client). */
        boolean expectContinue;
        int targetStart;
        int pathEnd;
        int targetEnd;
        int hostStart;
        int hostEnd;
        /** End of the host name within the Host value (before ":port"). */
        int hostNameEnd;
        /** The port in Host, 0 when none (the scheme's default). */
        int port;
        int userAgentStart = -1;
        int userAgentEnd;
        int refererStart = -1;
        int refererEnd;
        /** Forwarding header lines ({@link Forwarding#NAMES}), at most {@link #MAX_FORWARDING}. */
        int forwardingLines;
        /** Per forwarding line: its start, its end (after CRLF), its value's start and end, its kind. */
        final int[] forwarding = new int[MAX_FORWARDING * FORWARDING_FIELDS];
        final Line line = new Line();
    }

    /** More forwarding header lines than this take the full path. */
    static final int MAX_FORWARDING = 16;
    static final int FORWARDING_FIELDS = 5;

    /**
     * Parses the request head in {@code b[0, limit)}. Returns the offset just past its blank
     * line, {@link #INCOMPLETE} when more bytes are needed, or {@link #NOT_SIMPLE}.
     */
    static int parseRequest(ByteBuffer b, int limit, int maxHeaders, long maxBody, RequestHead h) {
        int i = 0;
        while (true) {
            if (i >= limit) return INCOMPLETE;
            int c = b.get(i);
            if (c == ' ') break;
            if (c < 'A' || c > 'Z' || i >= 7) return NOT_SIMPLE;
            i++;
        }
        String m = method(b, i);
        if (m == null) return NOT_SIMPLE;
        h.method = m;
        h.head = m == "HEAD";
        h.idempotent = m != "POST" && m != "PATCH";
        i++;
        h.targetStart = i;
        if (i >= limit) return INCOMPLETE;
        if (b.get(i) != '/') return NOT_SIMPLE;
        h.pathEnd = -1;
        for (;; i++) {
            if (i >= limit) return INCOMPLETE;
            int c = b.get(i) & 0xff;
            if (c == ' ') break;
            if (h.pathEnd < 0) {
                if (c == '?') {
                    h.pathEnd = i;
                } else if (!PATH[c]) {
                    return NOT_SIMPLE;
                }
            } else if (!QUERY[c]) {
                return NOT_SIMPLE;
            }
        }
        h.targetEnd = i;
        if (h.pathEnd < 0) h.pathEnd = i;
        String version = " HTTP/1.1\r\n";
        for (int k = 0; k < version.length(); k++, i++) {
            if (i >= limit) return INCOMPLETE;
            if (b.get(i) != version.charAt(k)) return NOT_SIMPLE;
        }
        int hosts = 0;
        int cookies = 0;
        int headers = 0;
        h.contentLength = -1;
        h.chunked = false;
        h.expectContinue = false;
        h.userAgentStart = -1;
        h.refererStart = -1;
        h.forwardingLines = 0;
        while (true) {
            if (i >= limit) return INCOMPLETE;
            int c = b.get(i) & 0xff;
            if (c == '\r') {
                if (i + 1 >= limit) return INCOMPLETE;
                if (b.get(i + 1) != '\n') return NOT_SIMPLE;
                if (hosts != 1) return NOT_SIMPLE;
                // Framing two parsers may read differently, or a body over the limit: the full path
                // refuses it (400, 413) with the same words.
                if (h.chunked && h.contentLength >= 0) return NOT_SIMPLE;
                if (h.contentLength > maxBody) return NOT_SIMPLE;
                return i + 2;
            }
            if (++headers > maxHeaders) return NOT_SIMPLE;
            Line l = h.line;
            int lineStart = i;
            i = headerLine(b, i, limit, false, l);
            if (i <= 0) return i;
            int valueStart = l.valueStart;
            int valueEnd = l.valueEnd;
            int kind = classify(b, l.nameStart, l.nameLen);
            if (kind >= H_FORWARDING) {
                // Passed on, stripped or extended as Forwarding says for this peer (see FastPath).
                if (h.forwardingLines == MAX_FORWARDING) return NOT_SIMPLE;
                int o = h.forwardingLines++ * FORWARDING_FIELDS;
                h.forwarding[o] = lineStart;
                h.forwarding[o + 1] = i;
                h.forwarding[o + 2] = valueStart;
                h.forwarding[o + 3] = valueEnd;
                h.forwarding[o + 4] = kind - H_FORWARDING;
                continue;
            }
            switch (kind) {
                case H_HOST -> {
                    if (++hosts > 1 || !host(b, valueStart, valueEnd, h)) return NOT_SIMPLE;
                }
                case H_COOKIE -> {
                    if (++cookies > 1) return NOT_SIMPLE; // Undertow joins several into one: left to it
                }
                case H_CONNECTION -> {
                    if (!equalsIgnoreCase(b, valueStart, valueEnd - valueStart, "keep-alive")) return NOT_SIMPLE;
                }
                case H_CONTENT_LENGTH -> {
                    if (h.contentLength >= 0 || valueEnd == valueStart || valueEnd - valueStart > 18) return NOT_SIMPLE;
                    long n = 0;
                    for (int k = valueStart; k < valueEnd; k++) {
                        int d = b.get(k);
                        if (d < '0' || d > '9') return NOT_SIMPLE;
                        n = n * 10 + (d - '0');
                    }
                    h.contentLength = n;
                }
                case H_TRANSFER_ENCODING -> {
                    if (h.chunked || !equalsIgnoreCase(b, valueStart, valueEnd - valueStart, "chunked")) return NOT_SIMPLE;
                    h.chunked = true;
                }
                case H_EXPECT -> {
                    if (h.expectContinue || !equalsIgnoreCase(b, valueStart, valueEnd - valueStart, "100-continue")) return NOT_SIMPLE;
                    h.expectContinue = true;
                }
                case H_USER_AGENT -> {
                    h.userAgentStart = valueStart;
                    h.userAgentEnd = valueEnd;
                }
                case H_REFERER -> {
                    h.refererStart = valueStart;
                    h.refererEnd = valueEnd;
                }
                case H_REFUSED -> {
                    return NOT_SIMPLE;
                }
                default -> {
                }
            }
        }
    }

    /** One header line's name and value (value without its surrounding blanks). */
    static final class Line {
        int nameStart;
        int nameLen;
        int valueStart;
        int valueEnd;
    }

    /**
     * Reads the header line starting at {@code i}: the offset after its CRLF, {@link #INCOMPLETE}
     * or {@link #NOT_SIMPLE} (no name, a byte outside a token in it, which includes a fold's leading
     * blank, a control byte in the value, a bare CR or LF). Bytes 0x80-0xFF in the value only
     * when {@code obsText}.
     */
    private static int headerLine(ByteBuffer b, int i, int limit, boolean obsText, Line l) {
        l.nameStart = i;
        int c;
        while (true) {
            if (i >= limit) return INCOMPLETE;
            c = b.get(i) & 0xff;
            if (c == ':') break;
            if (!TCHAR[c]) return NOT_SIMPLE;
            i++;
        }
        l.nameLen = i - l.nameStart;
        if (l.nameLen == 0) return NOT_SIMPLE;
        i++;
        while (true) {
            if (i >= limit) return INCOMPLETE;
            c = b.get(i);
            if (c != ' ' && c != '\t') break;
            i++;
        }
        l.valueStart = i;
        l.valueEnd = i;
        while (true) {
            if (i >= limit) return INCOMPLETE;
            c = b.get(i) & 0xff;
            if (c == '\r') break;
            if (c < 0x20 && c != '\t' || c == 0x7f || (c >= 0x80 && !obsText)) return NOT_SIMPLE;
            i++;
            if (c != ' ' && c != '\t') l.valueEnd = i;
        }
        if (i + 1 >= limit) return INCOMPLETE;
        if (b.get(i + 1) != '\n') return NOT_SIMPLE;
        return i + 2;
    }

    private static final int H_OTHER = 0;
    private static final int H_HOST = 1;
    private static final int H_COOKIE = 2;
    private static final int H_CONNECTION = 3;
    private static final int H_USER_AGENT = 4;
    private static final int H_REFERER = 5;
    private static final int H_REFUSED = 6;
    private static final int H_CONTENT_LENGTH = 7;
    private static final int H_TRANSFER_ENCODING = 8;
    private static final int H_EXPECT = 9;
    /** H_FORWARDING + k: the k-th of Forwarding.NAMES. */
    private static final int H_FORWARDING = 16;
    private static final String[] FORWARDING = Forwarding.NAMES.stream().map(n -> n.toLowerCase(Locale.ROOT)).toArray(String[]::new);

    /** The methods the fast path forwards; anything else (CONNECT, PRI, WebDAV's) takes the full path. */
    static final String[] METHODS = {"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"};

    /** The method in {@code b[0, end)} as one of {@link #METHODS} (interned constants), or null. */
    private static String method(ByteBuffer b, int end) {
        for (String m : METHODS) {
            if (m.length() == end && startsWith(b, 0, m)) return m;
        }
        return null;
    }

    /** Headers whose presence sends the request to the full path (framing, hop-by-hop, other X-Forwarded-*). */
    private static final String[] REFUSED = {
        "upgrade", "keep-alive", "proxy-connection", "http2-settings", "te", "trailer",
    };

    private static int classify(ByteBuffer b, int start, int len) {
        switch (len) {
            case 4 -> {
                if (equalsIgnoreCase(b, start, len, "host")) return H_HOST;
            }
            case 6 -> {
                if (equalsIgnoreCase(b, start, len, "cookie")) return H_COOKIE;
                if (equalsIgnoreCase(b, start, len, "expect")) return H_EXPECT;
            }
            case 14 -> {
                if (equalsIgnoreCase(b, start, len, "content-length")) return H_CONTENT_LENGTH;
            }
            case 17 -> {
                if (equalsIgnoreCase(b, start, len, "transfer-encoding")) return H_TRANSFER_ENCODING;
            }
            case 7 -> {
                if (equalsIgnoreCase(b, start, len, "referer")) return H_REFERER;
            }
            case 10 -> {
                if (equalsIgnoreCase(b, start, len, "connection")) return H_CONNECTION;
                if (equalsIgnoreCase(b, start, len, "user-agent")) return H_USER_AGENT;
            }
            default -> {
            }
        }
        for (int k = 0; k < FORWARDING.length; k++) {
            if (FORWARDING[k].length() == len && equalsIgnoreCase(b, start, len, FORWARDING[k])) return H_FORWARDING + k;
        }
        if (len >= 12 && equalsIgnoreCase(b, start, 12, "x-forwarded-")) return H_REFUSED;
        for (String r : REFUSED) {
            if (r.length() == len && equalsIgnoreCase(b, start, len, r)) return H_REFUSED;
        }
        return H_OTHER;
    }

    /** reg-name or IPv4, or an IPv6 literal in brackets, then an optional port 1-65535. */
    private static boolean host(ByteBuffer b, int start, int end, RequestHead h) {
        if (start >= end) return false;
        int i = start;
        if (b.get(i) == '[') {
            i++;
            while (i < end && b.get(i) != ']') {
                int c = b.get(i) & 0xff;
                if (!(c == ':' || c == '.' || (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f'))) return false;
                i++;
            }
            if (i >= end || i == start + 1) return false;
            i++;
        } else {
            while (i < end && b.get(i) != ':') {
                if (!HOST[b.get(i) & 0xff]) return false;
                i++;
            }
            if (i == start) return false;
        }
        h.hostStart = start;
        h.hostEnd = end;
        h.hostNameEnd = i;
        if (i == end) {
            h.port = 0; // none: the scheme's
            return true;
        }
        if (b.get(i) != ':' || end - i < 2 || end - i > 6) return false;
        int port = 0;
        for (int k = i + 1; k < end; k++) {
            int c = b.get(k);
            if (c < '0' || c > '9') return false;
            port = port * 10 + (c - '0');
        }
        if (port < 1 || port > 65535) return false;
        h.port = port;
        return true;
    }

    /** Framing of a response head; filled by {@link #parseResponse}. */
    static final class ResponseHead {
        int status;
        boolean http10;
        long contentLength;
        boolean chunked;
        boolean close;
        boolean keepAlive;
        boolean date;
        /** The single Connection header line, CRLF included (start -1: none, or several). */
        int connectionStart;
        int connectionEnd;
        final Line line = new Line();
        /** Offset of the status code in the status line. */
        static final int CODE = 9;
    }

    /**
     * Parses a response head in {@code b[from, limit)}: the offset just past its blank line,
     * {@link #INCOMPLETE}, or {@link #NOT_SIMPLE} for a head Cairn will not pass on (malformed,
     * conflicting framing).
     */
    static int parseResponse(ByteBuffer b, int from, int limit, ResponseHead r) {
        int i = from;
        if (limit - i < 14) return INCOMPLETE;
        if (startsWith(b, i, "HTTP/1.1 ")) {
            r.http10 = false;
        } else if (startsWith(b, i, "HTTP/1.0 ")) {
            r.http10 = true;
        } else {
            return NOT_SIMPLE;
        }
        i += ResponseHead.CODE;
        int status = 0;
        for (int k = 0; k < 3; k++, i++) {
            int c = b.get(i);
            if (c < '0' || c > '9') return NOT_SIMPLE;
            status = status * 10 + (c - '0');
        }
        if (status < 100) return NOT_SIMPLE;
        r.status = status;
        int c = b.get(i);
        if (c != ' ' && c != '\r') return NOT_SIMPLE;
        while (true) {
            if (i >= limit) return INCOMPLETE;
            c = b.get(i) & 0xff;
            if (c == '\r') break;
            if (c < 0x20 && c != '\t' || c == 0x7f) return NOT_SIMPLE;
            i++;
        }
        if (i + 1 >= limit) return INCOMPLETE;
        if (b.get(i + 1) != '\n') return NOT_SIMPLE;
        i += 2;
        r.contentLength = -1;
        r.chunked = false;
        r.close = false;
        r.keepAlive = false;
        r.date = false;
        r.connectionStart = -1;
        int connections = 0;
        boolean transferEncoding = false;
        while (true) {
            if (i >= limit) return INCOMPLETE;
            c = b.get(i) & 0xff;
            if (c == '\r') {
                if (i + 1 >= limit) return INCOMPLETE;
                if (b.get(i + 1) != '\n') return NOT_SIMPLE;
                if (transferEncoding && r.contentLength >= 0) return NOT_SIMPLE;
                return i + 2;
            }
            Line l = r.line;
            i = headerLine(b, i, limit, true, l);
            if (i <= 0) return i;
            int nameStart = l.nameStart;
            int nameLen = l.nameLen;
            int valueStart = l.valueStart;
            int valueEnd = l.valueEnd;
            if (nameLen == 14 && equalsIgnoreCase(b, nameStart, nameLen, "content-length")) {
                if (r.contentLength >= 0 || valueEnd == valueStart || valueEnd - valueStart > 18) return NOT_SIMPLE;
                long n = 0;
                for (int k = valueStart; k < valueEnd; k++) {
                    int d = b.get(k);
                    if (d < '0' || d > '9') return NOT_SIMPLE;
                    n = n * 10 + (d - '0');
                }
                r.contentLength = n;
            } else if (nameLen == 17 && equalsIgnoreCase(b, nameStart, nameLen, "transfer-encoding")) {
                if (transferEncoding || !equalsIgnoreCase(b, valueStart, valueEnd - valueStart, "chunked")) return NOT_SIMPLE;
                transferEncoding = true;
                r.chunked = true;
            } else if (nameLen == 10 && equalsIgnoreCase(b, nameStart, nameLen, "connection")) {
                r.connectionStart = ++connections == 1 ? nameStart : -1;
                r.connectionEnd = i;
                if (containsToken(b, valueStart, valueEnd, "close")) r.close = true;
                if (containsToken(b, valueStart, valueEnd, "keep-alive")) r.keepAlive = true;
                if (containsToken(b, valueStart, valueEnd, "upgrade")) return NOT_SIMPLE;
            } else if (nameLen == 4 && equalsIgnoreCase(b, nameStart, nameLen, "date")) {
                r.date = true;
            } else if (nameLen == 7 && equalsIgnoreCase(b, nameStart, nameLen, "upgrade")) {
                return NOT_SIMPLE;
            }
        }
    }

    static boolean startsWith(ByteBuffer b, int at, String s) {
        if (b.limit() < at + s.length()) return false;
        for (int k = 0; k < s.length(); k++) {
            if (b.get(at + k) != s.charAt(k)) return false;
        }
        return true;
    }

    /** ASCII case-insensitive match of {@code b[start, start+len)} with lower-case {@code s}. */
    static boolean equalsIgnoreCase(ByteBuffer b, int start, int len, String s) {
        if (len != s.length()) return false;
        for (int k = 0; k < len; k++) {
            int c = b.get(start + k);
            if (c >= 'A' && c <= 'Z') c |= 0x20;
            if (c != s.charAt(k)) return false;
        }
        return true;
    }

    private static boolean containsToken(ByteBuffer b, int start, int end, String token) {
        int i = start;
        while (i < end) {
            while (i < end && (b.get(i) == ' ' || b.get(i) == '\t' || b.get(i) == ',')) i++;
            int s = i;
            while (i < end && b.get(i) != ',') i++;
            int e = i;
            while (e > s && (b.get(e - 1) == ' ' || b.get(e - 1) == '\t')) e--;
            if (equalsIgnoreCase(b, s, e - s, token)) return true;
        }
        return false;
    }
}
