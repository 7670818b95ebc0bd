package dev.cairn.dns.interop;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.dns.DnsFixture;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The module as an operator sees it through dig: flags, status, EDNS, sections, TCP, AXFR. */
class DigTest {

    @TempDir
    static Path dir;
    static DnsFixture dns;
    static String dig;

    @BeforeAll
    static void start() throws Exception {
        dig = ExternalServer.which("dig");
        assertThat(dig).as("dig (dnsutils) is not installed: install it (scripts/packages.txt lists it)").isNotNull();
        dns = DnsFixture.start(dir, """
                dns:
                  listen: 127.0.0.1:0
                  tsig_keys:
                    xfr-key: { secret_file: zones/xfr.key }
                  zones:
                    example.test:
                      file: zones/example.test.zone
                      allow_transfer: [127.0.0.1]
                      transfer_key: xfr-key
                      records:
                        - "big TXT \\"%s\\" \\"%s\\""
                """.formatted("x".repeat(250), "y".repeat(250)));
    }

    @AfterAll
    static void stop() {
        if (dns != null) dns.close();
    }

    static String dig(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(dig, "@127.0.0.1", "-p", Integer.toString(dns.port()), "+norec", "+time=2", "+tries=1"));
        cmd.addAll(List.of(args));
        return ExternalServer.run(Duration.ofSeconds(20), cmd.toArray(String[]::new));
    }

    @Test
    void answerFlagsStatusAndEdns() throws Exception {
        String out = dig("www.example.test", "A");
        assertThat(out).contains("status: NOERROR").contains("flags: qr aa;").contains("; EDNS: version: 0, flags:; udp: 1232")
                .containsPattern("(?m)^www\\.example\\.test\\.\\s+300\\s+IN\\s+A\\s+192\\.0\\.2\\.10$");
    }

    @Test
    void nonRecursiveQueryGetsTheZonesNsAsFromBind() throws Exception {
        // dig +norec, as a resolver asks: minimal_responses no-auth-recursive (the default) adds the
        // zone's NS and their addresses (OPT counts as one additional record).
        String out = dig("www.example.test", "A");
        assertThat(out).contains("ANSWER: 1, AUTHORITY: 2, ADDITIONAL: 4")
                .containsPattern("(?m)^example\\.test\\.\\s+300\\s+IN\\s+NS\\s+ns1\\.example\\.test\\.$")
                .containsPattern("(?m)^ns2\\.example\\.test\\.\\s+300\\s+IN\\s+AAAA\\s+2001:db8::2$");
    }

    @Test
    void recursiveQueryGetsNoAuthoritySection() throws Exception {
        String out = dig("+rec", "www.example.test", "A");
        assertThat(out).contains("flags: qr aa rd;").contains("ANSWER: 1, AUTHORITY: 0, ADDITIONAL: 1");
    }

    @Test
    void nxdomainHasSoaInAuthority() throws Exception {
        String out = dig("nope.example.test", "A");
        assertThat(out).contains("status: NXDOMAIN").contains("flags: qr aa;")
                .containsPattern("(?m)^example\\.test\\.\\s+60\\s+IN\\s+SOA\\s+ns1\\.example\\.test\\. hostmaster\\.example\\.test\\. 2024010101");
    }

    @Test
    void referralHasNoAaAndCarriesGlue() throws Exception {
        String out = dig("www.sub.example.test", "A");
        assertThat(out).contains("status: NOERROR").contains("flags: qr;").contains("ANSWER: 0, AUTHORITY: 1, ADDITIONAL: 2")
                .containsPattern("(?m)^ns\\.sub\\.example\\.test\\.\\s+300\\s+IN\\s+A\\s+192\\.0\\.2\\.53$");
    }

    @Test
    void foreignNameIsRefused() throws Exception {
        assertThat(dig("example.org", "A")).contains("status: REFUSED").contains("flags: qr;");
    }

    @Test
    void ednsVersionOneIsBadvers() throws Exception {
        assertThat(dig("+edns=1", "+noednsnegotiation", "www.example.test", "A")).contains("status: BADVERS");
    }

    @Test
    void truncatedOverUdpThenRetriedOverTcp() throws Exception {
        assertThat(dig("+ignore", "+noedns", "big.example.test", "TXT")).contains("flags: qr aa tc;");
        String retried = dig("+noedns", "big.example.test", "TXT");
        assertThat(retried).contains("Truncated, retrying in TCP mode.").contains("flags: qr aa;").contains("ANSWER: 1,");
    }

    @Test
    void severalQueriesOnOneTcpConnection() throws Exception {
        String out = dig("+tcp", "+keepopen", "www.example.test", "A", "mail.example.test", "A", "alias.example.test", "A");
        assertThat(out.split("status: NOERROR", -1)).hasSize(4);
        assertThat(out).contains("192.0.2.25");
    }

    @Test
    void signedAxfr() throws Exception {
        String out = dig("-y", "hmac-sha256:xfr-key:" + BindSecondaryTest.SECRET, "example.test", "AXFR");
        assertThat(out).doesNotContain("Transfer failed").contains("www.example.test.").containsPattern("XFR size: \\d+ records");
        assertThat(dig("example.test", "AXFR")).contains("Transfer failed");
    }
}
