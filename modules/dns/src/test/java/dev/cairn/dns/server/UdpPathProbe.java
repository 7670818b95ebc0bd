package dev.cairn.dns.server;

/** Run in a child JVM by {@link UdpPathTest}: prints the UDP path this JVM would take for batch 32. */
public final class UdpPathProbe {
    private UdpPathProbe() {
    }

    public static void main(String[] args) {
        System.out.println("PATH " + UdpPath.describe(32));
    }
}
