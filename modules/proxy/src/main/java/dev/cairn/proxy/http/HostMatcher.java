package dev.cairn.proxy.http;

import java.util.Locale;

/** Matches a request's Host (port and case ignored) against {@code *}, {@code *.suffix} or a name. */
record HostMatcher(String pattern) {

    HostMatcher {
        pattern = pattern.toLowerCase(Locale.ROOT);
    }

    boolean matches(String host) {
        if (pattern.equals("*")) return true;
        if (host == null) return false;
        String h = stripPort(host).toLowerCase(Locale.ROOT);
        if (pattern.startsWith("*.")) {
            return h.endsWith(pattern.substring(1)) && h.length() > pattern.length() - 1;
        }
        return h.equals(pattern);
    }

    static String stripPort(String host) {
        if (host.startsWith("[")) {
            int close = host.indexOf(']');
            return close > 0 ? host.substring(0, close + 1) : host;
        }
        int colon = host.lastIndexOf(':');
        return colon >= 0 && host.indexOf(':') == colon ? host.substring(0, colon) : host;
    }

    /** Whole-segment prefix match: /api matches /api and /api/x, not /apix; / matches all. */
    static boolean pathMatches(String prefix, String path) {
        if (prefix.equals("/")) return true;
        if (!path.startsWith(prefix)) return false;
        return path.length() == prefix.length() || prefix.endsWith("/") || path.charAt(prefix.length()) == '/';
    }
}
