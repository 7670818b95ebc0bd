package dev.cairn.proxy.net;

import java.net.InetAddress;
import java.util.List;

/**
 * Per-listener allow/deny lists: deny wins; with an empty allow list everyone not denied is
 * allowed, otherwise only the allowed networks. Immutable, so safe on every IO thread.
 */
public final class AccessRules {

    private final List<Cidr> allow;
    private final List<Cidr> deny;

    public AccessRules(List<String> allow, List<String> deny) {
        this.allow = allow.stream().map(Cidr::parse).toList();
        this.deny = deny.stream().map(Cidr::parse).toList();
    }

    public boolean isOpen() {
        return allow.isEmpty() && deny.isEmpty();
    }

    public boolean permits(InetAddress a) {
        for (Cidr c : deny) {
            if (c.contains(a)) return false;
        }
        if (allow.isEmpty()) return true;
        for (Cidr c : allow) {
            if (c.contains(a)) return true;
        }
        return false;
    }

    /** True when any network of {@code cidrs} holds {@code a}. */
    public static boolean anyContains(List<Cidr> cidrs, InetAddress a) {
        for (Cidr c : cidrs) {
            if (c.contains(a)) return true;
        }
        return false;
    }
}
