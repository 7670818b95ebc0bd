package dev.cairn.proxy.net;

import java.net.InetAddress;
import java.net.UnknownHostException;

/** An IPv4 or IPv6 network written {@code 10.0.0.0/8}, {@code ::1/128} or a bare address. Immutable. */
public record Cidr(byte[] network, int prefix) {

    public static Cidr parse(String text) {
        String s = text.trim();
        int slash = s.indexOf('/');
        String addr = slash < 0 ? s : s.substring(0, slash);
        if (addr.isEmpty() || !(addr.indexOf(':') >= 0 || addr.chars().allMatch(c -> c == '.' || Character.isDigit(c)))) {
            throw new IllegalArgumentException("'" + text + "' is not an address or CIDR (e.g. 10.0.0.0/8, ::1/128)");
        }
        byte[] bytes;
        try {
            bytes = InetAddress.getByName(addr).getAddress(); // a literal: no DNS lookup happens
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("'" + text + "' is not an address or CIDR (e.g. 10.0.0.0/8, ::1/128)");
        }
        int max = bytes.length * 8;
        int prefix;
        try {
            prefix = slash < 0 ? max : Integer.parseInt(s.substring(slash + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "': prefix length is not a number");
        }
        if (prefix < 0 || prefix > max) {
            throw new IllegalArgumentException("'" + text + "': prefix length must be 0.." + max);
        }
        return new Cidr(bytes, prefix);
    }

    /** True when {@code a} is in this network; an IPv4-mapped IPv6 address matches IPv4 networks. */
    public boolean contains(InetAddress a) {
        byte[] b = a.getAddress();
        if (b.length != network.length) {
            return false;
        }
        int full = prefix / 8;
        for (int i = 0; i < full; i++) {
            if (b[i] != network[i]) return false;
        }
        int rest = prefix % 8;
        if (rest == 0) return true;
        int mask = (0xff << (8 - rest)) & 0xff;
        return (b[full] & mask) == (network[full] & mask);
    }
}
