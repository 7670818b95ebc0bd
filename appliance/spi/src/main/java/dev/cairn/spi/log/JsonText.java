package dev.cairn.spi.log;

/**
 * JSON string escaping for the one-object-per-line logs (the host's JSON log, the proxy's access
 * log, the DNS query log), which are written by hand rather than through a JSON library.
 */
public final class JsonText {

    private JsonText() {
    }

    /** Appends {@code s} escaped for use inside a JSON string (without the surrounding quotes). */
    public static StringBuilder escape(StringBuilder b, CharSequence s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20) {
                        b.append("\\u00").append(Character.forDigit(c >> 4, 16)).append(Character.forDigit(c & 0xf, 16));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b;
    }
}
