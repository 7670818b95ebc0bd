package dev.cairn.cluster;

import dev.cairn.spi.config.Doc;
import java.net.InetAddress;
import java.util.List;

/** {@code cluster.vips[]}: one virtual IP and the nodes that may hold it. */
public record VipConfig(
        @Doc(value = "The virtual IP with its prefix length, e.g. 10.0.0.100/24 or 2001:db8::100/64.", required = true)
        String address,
        @Doc(value = "Network interface the VIP is added to (ip addr add ... dev DEV).", dflt = "eth0")
        String dev,
        @Doc(value = "Names of the nodes that may hold this VIP; empty: every node.", dflt = "[]")
        List<String> nodes,
        @Doc(value = "Optional address label (ip addr ... label DEV:LABEL), shown by ip addr and ifconfig.")
        String label) {

    public VipConfig {
        int slash = address == null ? -1 : address.indexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException("'" + address + "' needs a prefix length, e.g. 10.0.0.100/24");
        }
        String ip = address.substring(0, slash);
        int prefix;
        try {
            prefix = Integer.parseInt(address.substring(slash + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + address + "': prefix length must be a number");
        }
        if (!ip.matches("[0-9.]+|[0-9a-fA-F:]+")) {
            throw new IllegalArgumentException("'" + ip + "' is not an IP address");
        }
        boolean v6 = ip.contains(":");
        if (prefix < 1 || prefix > (v6 ? 128 : 32)) {
            throw new IllegalArgumentException("prefix length " + prefix + " is out of range 1.." + (v6 ? 128 : 32));
        }
        try {
            InetAddress.getByName(ip);
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("'" + ip + "' is not an IP address");
        }
        if (label != null && !label.matches("[A-Za-z0-9_.-]{1,15}")) {
            throw new IllegalArgumentException("label '" + label + "' must be 1..15 letters, digits, _ . -");
        }
    }

    /** The address without its prefix length. */
    public String ip() {
        return address.substring(0, address.indexOf('/'));
    }

    public int prefix() {
        return Integer.parseInt(address.substring(address.indexOf('/') + 1));
    }

    public boolean ipv6() {
        return address.contains(":");
    }

    /** True when {@code node} may hold this VIP. */
    public boolean candidate(String node) {
        return nodes.isEmpty() || nodes.contains(node);
    }

    /** The key peers use to refer to this VIP in adverts. */
    public String key() {
        return address;
    }
}
