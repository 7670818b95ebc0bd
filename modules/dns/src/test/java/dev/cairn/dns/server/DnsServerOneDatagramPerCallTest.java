package dev.cairn.dns.server;

/** Every test of {@link DnsServerTest} on the portable UDP path (DatagramChannel, udp_batch 1). */
class DnsServerOneDatagramPerCallTest extends DnsServerTest {

    @Override
    String[] udpKeys() {
        return new String[] {"  udp_batch: 1\n", "one datagram per system call (udp_batch 1)"};
    }
}
