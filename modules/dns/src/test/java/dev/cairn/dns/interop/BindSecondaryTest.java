package dev.cairn.dns.interop;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.core.testing.TestHost;
import dev.cairn.dns.DnsFixture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.xbill.DNS.Message;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * A real BIND9 secondary transfers the zone from Cairn (AXFR signed with TSIG), answers the
 * same (every section, queries with and without RD, under each minimal-responses mode set alike
 * on both), and follows a change after Cairn's NOTIFY.
 */
class BindSecondaryTest {

    static final String SECRET = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTEyMzQ=";

    @TempDir
    Path dir;

    /** Cairn serving the test zone to a secondary on {@code bindPort}; {@code minimal}: its dns.minimal_responses or null. */
    private DnsFixture cairn(int bindPort, String minimal) throws Exception {
        return DnsFixture.start(dir, """
                dns:
                  listen: 127.0.0.1:0
                  zone_reload_interval: 100ms
                %s  tsig_keys:
                    xfr-key: { secret_file: zones/xfr.key }
                  zones:
                    example.test:
                      file: zones/example.test.zone
                      allow_transfer: [127.0.0.1]
                      transfer_key: xfr-key
                      also_notify: [127.0.0.1:%d]
                """.formatted(minimal == null ? "" : "  minimal_responses: " + minimal + "\n", bindPort));
    }

    /** named as a secondary of Cairn's zone, once it has the zone. */
    private ExternalServer bind(int bindPort, int cairnPort, String minimal) throws Exception {
        String named = ExternalServer.which("named");
        assertThat(named).as("named (bind9) is not installed: install it (scripts/packages.txt lists it)").isNotNull();
        Path bind = Files.createDirectories(dir.resolve("bind"));
        Path conf = bind.resolve("named.conf");
        Files.writeString(conf, """
                options {
                  directory "%1$s";
                  listen-on port %2$d { 127.0.0.1; };
                  listen-on-v6 { none; };
                  pid-file "%1$s/named.pid";
                  session-keyfile "%1$s/session.key";
                  recursion no;
                  notify no;
                  dnssec-validation no;
                  minimal-responses %5$s;
                };
                key "xfr-key" { algorithm hmac-sha256; secret "%3$s"; };
                controls { };
                zone "example.test" {
                  type secondary;
                  primaries port %4$d { 127.0.0.1 key "xfr-key"; };
                  file "%1$s/example.test.db";
                };
                """.formatted(bind, bindPort, SECRET, cairnPort, minimal));
        ExternalServer server = ExternalServer.start(dir.resolve("named.out"), named, "-g", "-c", conf.toString());
        try {
            server.await(Duration.ofSeconds(20), "named to transfer example.test", () -> soaSerial(bindPort) == 2024010101L);
        } catch (Exception | AssertionError e) {
            server.close();
            throw e;
        }
        return server;
    }

    /** Every query of the differential set, with and without RD: the answers that differ. */
    private static List<String> differences(int bindPort, int cairnPort) throws Exception {
        List<String> diffs = new ArrayList<>();
        for (boolean rd : new boolean[] {false, true}) {
            for (String[] q : NsdDifferentialTest.QUERIES) {
                int type = Type.value(q[1]);
                String want = Answers.render(Answers.ask(bindPort, q[0], type, false, rd), true);
                String got = Answers.render(Answers.ask(cairnPort, q[0], type, false, rd), true);
                if (!want.equals(got)) {
                    diffs.add((rd ? "rd " : "") + q[0] + " " + q[1] + "\n--- bind\n" + want + "+++ cairn\n" + got);
                }
            }
        }
        return diffs;
    }

    @Test
    void bindSecondaryTransfersAnswersTheSameAndFollowsNotify() throws Exception {
        int bindPort = TestHost.freePort();
        // Both on their defaults: BIND's minimal-responses is no-auth-recursive, and so is Cairn's.
        try (DnsFixture cairn = cairn(bindPort, null);
             ExternalServer server = bind(bindPort, cairn.port(), "no-auth-recursive")) {
            assertThat(differences(bindPort, cairn.port())).as("answers that differ between Cairn and its BIND secondary").isEmpty();
            assertThat(Answers.ask(bindPort, "gen2.example.test.", Type.A, false).getSection(Section.ANSWER))
                    .singleElement().extracting(r -> r.rdataToString()).isEqualTo("192.0.2.102");

            Path file = dir.resolve("zones/example.test.zone");
            Files.writeString(file, Files.readString(file).replace("2024010101", "2024010105")
                    + "notified IN A 192.0.2.123\n");
            server.await(Duration.ofSeconds(20), "named to follow the NOTIFY", () -> soaSerial(bindPort) == 2024010105L);
            Message m = Answers.ask(bindPort, "notified.example.test.", Type.A, false);
            assertThat(m.getSection(Section.ANSWER)).singleElement().extracting(r -> r.rdataToString()).isEqualTo("192.0.2.123");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"yes", "no", "no-auth"})
    void eachMinimalResponsesModeAnswersAsBindsDoes(String mode) throws Exception {
        int bindPort = TestHost.freePort();
        try (DnsFixture cairn = cairn(bindPort, mode);
             ExternalServer server = bind(bindPort, cairn.port(), mode)) {
            assertThat(differences(bindPort, cairn.port()))
                    .as("answers that differ from BIND's with minimal-responses " + mode).isEmpty();
        }
    }

    private static long soaSerial(int port) {
        try {
            Message m = Answers.ask(port, "example.test.", Type.SOA, false);
            if (m.getRcode() != 0 || m.getSection(Section.ANSWER).isEmpty()) return -1;
            return ((org.xbill.DNS.SOARecord) m.getSection(Section.ANSWER).get(0)).getSerial();
        } catch (Exception e) {
            return -1;
        }
    }
}
