package dev.cairn.core.importer;

import java.util.ArrayList;
import java.util.List;

/** Splits config lines into words the way HAProxy, keepalived and BIND do (quotes, escapes, comments). */
final class Tokens {

    private Tokens() {
    }

    /**
     * Words of one line: blanks separate, "double" and 'single' quotes group, a backslash escapes
     * the next character, and {@code #} outside quotes starts a comment.
     */
    static List<String> words(String line) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        boolean inWord = false;
        char quote = 0;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quote != 0) {
                if (c == quote) quote = 0;
                else if (c == '\\' && quote == '"' && i + 1 < line.length()) cur.append(line.charAt(++i));
                else cur.append(c);
                continue;
            }
            if (c == '#') break;
            if (c == '"' || c == '\'') {
                quote = c;
                inWord = true;
            } else if (c == '\\' && i + 1 < line.length()) {
                cur.append(line.charAt(++i));
                inWord = true;
            } else if (Character.isWhitespace(c)) {
                if (inWord) {
                    out.add(cur.toString());
                    cur.setLength(0);
                    inWord = false;
                }
            } else {
                cur.append(c);
                inWord = true;
            }
        }
        if (inWord) out.add(cur.toString());
        return out;
    }

    /**
     * A duration in HAProxy's or keepalived's notation as Cairn writes it: a bare number is in
     * {@code bareUnit} ("ms" for HAProxy, "s" for keepalived), fractions of seconds become ms.
     */
    static String duration(String value, String bareUnit) {
        String v = value.trim().toLowerCase(java.util.Locale.ROOT);
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d+(?:\\.\\d+)?)(us|ms|s|m|h|d)?").matcher(v);
        if (!m.matches()) throw new IllegalArgumentException("'" + value + "' is not a duration");
        double n = Double.parseDouble(m.group(1));
        String unit = m.group(2) == null ? bareUnit : m.group(2);
        double ms = switch (unit) {
            case "us" -> n / 1000;
            case "ms" -> n;
            case "s" -> n * 1000;
            case "m" -> n * 60_000;
            case "h" -> n * 3_600_000;
            default -> n * 86_400_000;
        };
        long whole = Math.max(1, Math.round(ms));
        if (whole % 3_600_000 == 0) return whole / 3_600_000 + "h";
        if (whole % 60_000 == 0 && whole >= 60_000) return whole / 60_000 + "m";
        if (whole % 1000 == 0) return whole / 1000 + "s";
        return whole + "ms";
    }
}
