package dev.cairn.proxy.http.policy;

/**
 * Request framing that two HTTP parsers may read differently is refused outright (400, connection
 * closed) rather than normalised: Content-Length with Transfer-Encoding, several Content-Length
 * values, a Transfer-Encoding that does not end in chunked, and a Content-Length that is not a
 * plain number. Obsolete line folding is refused by each transport's head reader.
 */
public final class RequestFraming {

    private RequestFraming() {
    }

    /**
     * The problem with a request's framing headers, or null. {@code lengths}: how many
     * Content-Length field lines, {@code firstLength} the first one's value; {@code lastCoding}
     * the last coding of the last Transfer-Encoding line (null: none).
     */
    public static String problem(int lengths, String firstLength, String lastCoding) {
        if (lengths > 0 && lastCoding != null) return "Content-Length with Transfer-Encoding";
        if (lengths > 1 || (firstLength != null && firstLength.indexOf(',') >= 0)) return "several Content-Length values";
        if (lastCoding != null && !lastCoding.trim().equalsIgnoreCase("chunked")) return "Transfer-Encoding not ending in chunked";
        return null;
    }

    /** The last coding of a Transfer-Encoding value ({@code "gzip, chunked"} gives {@code "chunked"}). */
    public static String lastCoding(String value) {
        String last = value.trim();
        int comma = last.lastIndexOf(',');
        return comma >= 0 ? last.substring(comma + 1).trim() : last;
    }
}
