package dev.cairn.spi.config;

import java.net.InetSocketAddress;

/**
 * An address written as {@code host:port}, {@code [v6]:port} or {@code :port} (all interfaces).
 * Port 0 means "any free port" and is accepted only where the key allows it (listeners).
 */
public record HostPort(String host, int port) {

    public static HostPort parse(String text) {
        String s = text.trim();
        String host;
        String port;
        if (s.startsWith("[")) {
            int close = s.indexOf(']');
            if (close < 0 || close + 1 >= s.length() || s.charAt(close + 1) != ':') {
                throw new IllegalArgumentException("'" + text + "' is not [IPv6]:port");
            }
            host = s.substring(1, close);
            port = s.substring(close + 2);
        } else {
            int colon = s.lastIndexOf(':');
            if (colon < 0) {
                throw new IllegalArgumentException("'" + text + "' has no port (write host:port)");
            }
            if (s.indexOf(':') != colon) {
                throw new IllegalArgumentException("'" + text + "': write IPv6 addresses as [addr]:port");
            }
            host = s.substring(0, colon);
            port = s.substring(colon + 1);
        }
        int p;
        try {
            p = Integer.parseInt(port);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + port + "' is not a port number");
        }
        if (p < 0 || p > 65535) {
            throw new IllegalArgumentException("port " + p + " is out of range 1..65535");
        }
        return new HostPort(host.isEmpty() ? "" : host, p);
    }

    /** True for {@code :port}, {@code 0.0.0.0} and {@code ::}: every interface. */
    public boolean isWildcard() {
        return host.isEmpty() || host.equals("0.0.0.0") || host.equals("::") || host.equals("*");
    }

    /** The socket address to bind or connect to; a wildcard binds every interface. */
    public InetSocketAddress toSocketAddress() {
        return isWildcard() ? new InetSocketAddress(port) : new InetSocketAddress(host, port);
    }

    /**
     * A bound or connected socket address as an operator writes it: {@code 127.0.0.1:18081},
     * {@code [::1]:53}, and {@code :8080} for every interface (not Java's
     * {@code /[0:0:0:0:0:0:0:0]:8080}).
     */
    public static String display(java.net.SocketAddress address) {
        if (!(address instanceof InetSocketAddress a)) return String.valueOf(address);
        java.net.InetAddress ip = a.getAddress();
        if (ip == null) return a.getHostString() + ":" + a.getPort();
        if (ip.isAnyLocalAddress()) return ":" + a.getPort();
        String host = ip.getHostAddress();
        if (ip instanceof java.net.Inet6Address) {
            int pct = host.indexOf('%');
            if (pct >= 0) host = host.substring(0, pct);
            return "[" + compress(host) + "]:" + a.getPort();
        }
        return host + ":" + a.getPort();
    }

    /** RFC 5952 form of Java's {@code 0:0:0:0:0:0:0:1}: the longest run of two or more zero groups as {@code ::}. */
    private static String compress(String full) {
        String[] g = full.split(":");
        int best = -1;
        int bestLen = 1;
        for (int i = 0; i < g.length; i++) {
            int j = i;
            while (j < g.length && g[j].equals("0")) j++;
            if (j - i > bestLen) {
                best = i;
                bestLen = j - i;
            }
        }
        if (best < 0) return full;
        String left = String.join(":", java.util.Arrays.copyOfRange(g, 0, best));
        String right = String.join(":", java.util.Arrays.copyOfRange(g, best + bestLen, g.length));
        return left + "::" + right;
    }

    @Override
    public String toString() {
        return host.contains(":") ? "[" + host + "]:" + port : host + ":" + port;
    }
}
