package dev.cairn.dns.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.dns.DnsFixture;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Type;

/** Per-zone query ACLs and response rate limiting with slip. */
class AccessControlTest {

    @TempDir
    Path dir;

    @Test
    void zoneQueryAclRefusesOtherClients() throws Exception {
        try (DnsFixture dns = DnsFixture.start(dir, """
                dns:
                  listen: 127.0.0.1:0
                  zones:
                    example.test:
                      file: zones/example.test.zone
                      allow_query: [10.0.0.0/8]
                """)) {
            Message m = dns.query("www.example.test", Type.A);
            assertThat(m.getRcode()).isEqualTo(Rcode.REFUSED);
            assertThat(m.getHeader().getFlag(Flags.AA)).isFalse();
        }
    }

    @Test
    void rateLimitDropsRepeatedResponsesAndSlipsSomeTruncated() throws Exception {
        try (DnsFixture dns = DnsFixture.start(dir, """
                dns:
                  listen: 127.0.0.1:0
                  rrl: { responses_per_second: 5, slip: 2 }
                  zones:
                    example.test:
                      file: zones/example.test.zone
                """)) {
            int answered = 0;
            int truncated = 0;
            int dropped = 0;
            byte[] q = DnsServerTest.query("www.example.test", Type.A).toWire();
            long start = System.nanoTime();
            for (int i = 0; i < 30; i++) {
                byte[] r = dns.rawUdp(q, Duration.ofMillis(150));
                if (r == null) dropped++;
                else if (new Message(r).getHeader().getFlag(Flags.TC)) truncated++;
                else answered++;
            }
            // 5 responses per second, plus every second limited response slipped as TC=1: on a slow
            // machine the 30 queries span more seconds, each of which allows 5 more.
            long seconds = (System.nanoTime() - start) / 1_000_000_000L + 1;
            assertThat(answered).isBetween(5, (int) (5 * (seconds + 1)));
            assertThat(truncated).isGreaterThan(0);
            assertThat(dropped).isGreaterThan(0);
            // Over TCP there is no limit.
            assertThat(dns.query("www.example.test", Type.A, true).getRcode()).isEqualTo(Rcode.NOERROR);
            // A reply slower than the client's 150 ms wait counts as dropped on the client only.
            assertThat(dns.host.metric("cairn_dns_dropped_requests", "reason", "rrl")).isBetween(1.0, (double) dropped);
        }
    }

    @Test
    void aclParsesPrefixesAndMatchesMappedAddresses() throws Exception {
        Acl acl = Acl.parse(List.of("192.0.2.0/24", "2001:db8::/32"));
        assertThat(acl.allows(InetAddress.getByName("192.0.2.77"))).isTrue();
        assertThat(acl.allows(InetAddress.getByName("192.0.3.1"))).isFalse();
        assertThat(acl.allows(InetAddress.getByName("2001:db8::5"))).isTrue();
        assertThat(acl.allows(InetAddress.getByAddress(new byte[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xFF, (byte) 0xFF, (byte) 192, 0, 2, 1})))
                .isTrue();
        assertThat(Acl.parse(List.of("any")).allows(InetAddress.getByName("8.8.8.8"))).isTrue();
        assertThat(Acl.parse(List.of()).allows(InetAddress.getByName("127.0.0.1"))).isFalse();
    }
}
