package dev.cairn.dns.server;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/**
 * An address match list, as BIND's {@code allow-query}: CIDR prefixes, single addresses, or
 * {@code any}. Immutable and thread-safe.
 */
public final class Acl {

    public static final Acl ANY = new Acl(List.of(), true);
    public static final Acl NONE = new Acl(List.of(), false);

    private record Prefix(byte[] net, int bits) {
        boolean matches(byte[] addr) {
            if (addr.length != net.length) return false;
            int full = bits / 8;
            for (int i = 0; i < full; i++) {
                if (addr[i] != net[i]) return false;
            }
            int rest = bits % 8;
            if (rest == 0) return true;
            int mask = (0xFF << (8 - rest)) & 0xFF;
            return (addr[full] & mask) == (net[full] & mask);
        }
    }

    private final List<Prefix> prefixes;
    private final boolean any;

    private Acl(List<Prefix> prefixes, boolean any) {
        this.prefixes = prefixes;
        this.any = any;
    }

    /** Parses entries such as {@code 10.0.0.0/8}, {@code ::1}, {@code any}; throws with the bad entry. */
    public static Acl parse(List<String> entries) {
        List<Prefix> out = new ArrayList<>();
        for (String e : entries) {
            String s = e.trim();
            if (s.equalsIgnoreCase("any")) return ANY;
            if (s.equalsIgnoreCase("none")) continue;
            out.add(parsePrefix(s));
        }
        return out.isEmpty() ? NONE : new Acl(List.copyOf(out), false);
    }

    static Prefix parsePrefix(String s) {
        int slash = s.indexOf('/');
        String host = slash < 0 ? s : s.substring(0, slash);
        if (!host.matches("[0-9.]+|[0-9a-fA-F:.]*:[0-9a-fA-F:.]*")) {
            throw new IllegalArgumentException("'" + s + "' is not an address or CIDR prefix (e.g. 10.0.0.0/8, ::1, any)");
        }
        byte[] addr;
        try {
            addr = InetAddress.getByName(host).getAddress();
        } catch (UnknownHostException ex) {
            throw new IllegalArgumentException("'" + s + "' is not an address or CIDR prefix");
        }
        int bits = addr.length * 8;
        if (slash >= 0) {
            try {
                bits = Integer.parseInt(s.substring(slash + 1));
            } catch (NumberFormatException ex) {
                throw new IllegalArgumentException("'" + s + "': prefix length is not a number");
            }
            if (bits < 0 || bits > addr.length * 8) {
                throw new IllegalArgumentException("'" + s + "': prefix length " + bits + " is out of range 0.." + addr.length * 8);
            }
        }
        return new Prefix(addr, bits);
    }

    public boolean allows(InetAddress client) {
        if (any) return true;
        byte[] a = client.getAddress();
        if (a.length == 16 && isV4Mapped(a)) {
            byte[] v4 = new byte[] {a[12], a[13], a[14], a[15]};
            for (Prefix p : prefixes) {
                if (p.matches(v4)) return true;
            }
        }
        for (Prefix p : prefixes) {
            if (p.matches(a)) return true;
        }
        return false;
    }

    static boolean isV4Mapped(byte[] a) {
        for (int i = 0; i < 10; i++) {
            if (a[i] != 0) return false;
        }
        return (a[10] & 0xFF) == 0xFF && (a[11] & 0xFF) == 0xFF;
    }
}
