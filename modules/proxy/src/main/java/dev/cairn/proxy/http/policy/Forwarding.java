package dev.cairn.proxy.http.policy;

import dev.cairn.proxy.net.AccessRules;
import dev.cairn.proxy.net.Cidr;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The forwarding headers Cairn adds to every proxied request: {@code X-Forwarded-For/-Proto/
 * -Server/-Host/-Port} and RFC 7239 {@code Forwarded}. Client-supplied ones are removed unless the
 * peer is one of the listener's {@code trusted_proxies}, whose values are kept and extended.
 */
public final class Forwarding {

    /** Kinds of the forwarding headers a client may send, indexes into {@link #NAMES}. */
    public static final int FOR = 0;
    public static final int PROTO = 1;
    public static final int HOST = 2;
    public static final int PORT = 3;
    public static final int SERVER = 4;
    public static final int PREFIX = 5;
    public static final int REAL_IP = 6;
    public static final int FORWARDED = 7;

    /**
     * The forwarding headers a client outside {@code trusted_proxies} may not set: removed before
     * Cairn adds its own (both transports; other headers pass as sent).
     */
    public static final List<String> NAMES = List.of("X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host",
            "X-Forwarded-Port", "X-Forwarded-Server", "X-Forwarded-Prefix", "X-Real-IP", "Forwarded");

    private Forwarding() {
    }

    /**
     * From a trusted proxy, which of its forwarding header lines pass as sent: all but
     * X-Forwarded-For (extended with the peer: only its first line's value is kept, as Undertow's
     * proxy handler does) and Forwarded (its values are joined and extended, see
     * {@link #forwardedValue}).
     */
    public static boolean keptFromTrusted(int kind) {
        return kind != FOR && kind != FORWARDED;
    }

    /**
     * Whether a trusted proxy's X-Forwarded-Port value is kept (a number, as {@link Integer#parseInt}
     * reads it); any other value is replaced by the port the connection came to.
     */
    public static boolean portKept(String value) {
        try {
            Integer.parseInt(value);
            return true;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    /**
     * The header lines (each with its CRLF) Cairn adds to a request from a trusted proxy: the
     * X-Forwarded-For chain ({@code firstFor}: its first X-Forwarded-For value, null when none) and
     * Forwarded ({@code previousForwarded}: its Forwarded values joined, null when none) extended
     * with {@code peer}, and X-Forwarded-Proto/-Server/-Host/-Port only where the proxy sent none
     * ({@code sent[kind]}). With nothing sent, the same lines as {@link #headerBlock}.
     */
    public static byte[] trustedHeaderBlock(InetAddress peer, String scheme, String hostHeader, String hostName, int port,
                                            String firstFor, String previousForwarded, boolean[] sent) {
        String bare = hostName.startsWith("[") ? hostName.substring(1, hostName.length() - 1) : hostName;
        String ip = peer == null ? "unknown" : peer.getHostAddress();
        StringBuilder f = new StringBuilder(256);
        f.append("X-Forwarded-For: ");
        if (firstFor != null && !firstFor.isEmpty()) f.append(firstFor).append(',');
        f.append(ip).append("\r\n");
        if (!sent[PROTO]) f.append("X-Forwarded-Proto: ").append(scheme).append("\r\n");
        if (!sent[SERVER]) f.append("X-Forwarded-Server: ").append(bare).append("\r\n");
        if (!sent[HOST]) f.append("X-Forwarded-Host: ").append(hostName).append("\r\n");
        if (!sent[PORT]) f.append("X-Forwarded-Port: ").append(port).append("\r\n");
        f.append("Forwarded: ").append(forwardedValue(previousForwarded, peer, scheme, hostHeader)).append("\r\n");
        return f.toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    /** Whether {@code peer}'s own forwarding headers are kept (extended) rather than replaced. */
    public static boolean trusted(List<Cidr> trustedProxies, InetAddress peer) {
        return peer != null && !trustedProxies.isEmpty() && AccessRules.anyContains(trustedProxies, peer);
    }

    /** The Forwarded value for this hop, after the {@code previous} hops' (trusted) ones. */
    public static String forwardedValue(String previous, InetAddress peer, String scheme, String hostHeader) {
        StringBuilder f = new StringBuilder(64);
        if (previous != null) f.append(previous).append(", ");
        f.append("for=");
        if (peer instanceof Inet6Address) {
            f.append("\"[").append(peer.getHostAddress()).append("]\"");
        } else if (peer != null) {
            f.append(peer.getHostAddress());
        } else {
            f.append("unknown");
        }
        f.append(";proto=").append(scheme);
        if (hostHeader != null && !hostHeader.isEmpty()) {
            f.append(";host=");
            if (isToken(hostHeader)) {
                f.append(hostHeader);
            } else {
                f.append('"').append(hostHeader.replace("\"", "")).append('"');
            }
        }
        return f.toString();
    }

    /**
     * The header lines (each with its CRLF) for a request from an untrusted {@code peer} that
     * carried no forwarding headers of its own, as Undertow's proxy handler plus
     * {@link #forwardedValue} produce them: {@code hostHeader} is the Host value, {@code hostName}
     * its name part (before ":port"), {@code port} the port the client addressed.
     */
    public static byte[] headerBlock(InetAddress peer, String scheme, String hostHeader, String hostName, int port) {
        String bare = hostName.startsWith("[") ? hostName.substring(1, hostName.length() - 1) : hostName;
        String ip = peer == null ? "unknown" : peer.getHostAddress();
        StringBuilder f = new StringBuilder(256);
        f.append("X-Forwarded-For: ").append(ip).append("\r\n");
        f.append("X-Forwarded-Proto: ").append(scheme).append("\r\n");
        f.append("X-Forwarded-Server: ").append(bare).append("\r\n");
        f.append("X-Forwarded-Host: ").append(hostName).append("\r\n");
        f.append("X-Forwarded-Port: ").append(port).append("\r\n");
        f.append("Forwarded: ").append(forwardedValue(null, peer, scheme, hostHeader)).append("\r\n");
        return f.toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    /** A name or IPv4 literal, used bare in Forwarded; anything else (a port, IPv6) is quoted. */
    private static boolean isToken(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!(Character.isLetterOrDigit(c) || c == '.' || c == '-')) return false;
        }
        return true;
    }
}
