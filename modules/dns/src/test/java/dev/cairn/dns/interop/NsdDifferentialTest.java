package dev.cairn.dns.interop;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.core.testing.TestHost;
import dev.cairn.dns.DnsFixture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.Type;

/**
 * Serves one zone with the tricky cases (wildcards, wildcard CNAME, empty non-terminals, CNAME
 * chains, a delegation, MX/SRV) from Cairn and from NSD, and compares the answers query by query,
 * over UDP and TCP: NSD as shipped (its authority NS and additional addresses) against Cairn's
 * default for queries without RD, and NSD's minimal-responses against Cairn's default for
 * queries with RD (BIND's no-auth-recursive: no authority NS then).
 */
class NsdDifferentialTest {

    @TempDir
    Path dir;

    /** name, type: every case of the item 2 and then some. */
    static final String[][] QUERIES = {
            {"example.test.", "SOA"}, {"example.test.", "NS"}, {"example.test.", "MX"}, {"example.test.", "TXT"},
            {"example.test.", "A"}, {"www.example.test.", "A"}, {"www.example.test.", "AAAA"}, {"WwW.ExAmPlE.TeSt.", "A"},
            {"www.example.test.", "MX"}, {"missing.example.test.", "A"}, {"deep.missing.example.test.", "AAAA"},
            {"ent.example.test.", "A"}, {"b.ent.example.test.", "A"}, {"a.b.ent.example.test.", "A"},
            {"x.b.ent.example.test.", "A"}, {"x.wild.example.test.", "A"}, {"x.y.wild.example.test.", "TXT"},
            {"x.wild.example.test.", "MX"}, {"wild.example.test.", "A"}, {"host.wild.example.test.", "TXT"},
            {"x.host.wild.example.test.", "A"}, {"*.wild.example.test.", "A"}, {"foo.wc.example.test.", "A"},
            {"foo.wc.example.test.", "CNAME"}, {"alias.example.test.", "A"}, {"alias.example.test.", "CNAME"},
            {"chain1.example.test.", "A"}, {"chain1.example.test.", "AAAA"}, {"dangling.example.test.", "A"},
            {"external.example.test.", "A"}, {"sub.example.test.", "NS"}, {"sub.example.test.", "A"},
            {"host.sub.example.test.", "A"}, {"ns.sub.example.test.", "A"}, {"deep.host.sub.example.test.", "MX"},
            {"_sip._tcp.example.test.", "SRV"}, {"caa.example.test.", "CAA"}, {"ptr.example.test.", "PTR"},
            {"ns2.example.test.", "AAAA"}, {"www.example.org.", "A"},
    };

    @Test
    void nonRecursiveQueriesAreAnsweredAsNsdAnswersThem() throws Exception {
        // NSD's default: the zone's NS in the authority section of positive answers, with addresses.
        List<String> diffs = compare(false, false, true);
        assertThat(diffs).as("answers that differ from NSD's (minimal-responses: no)").isEmpty();
    }

    @Test
    void recursiveQueriesGetNoAuthoritySectionAsFromNsdWithMinimalResponses() throws Exception {
        // NSD's minimal mode leaves out the addresses of MX and SRV targets, which Cairn adds
        // (as BIND does): for those the additional section is not compared. Glue is.
        List<String> diffs = compare(true, true, false);
        assertThat(diffs).as("answers that differ from NSD's (minimal-responses: yes)").isEmpty();
    }

    private List<String> compare(boolean nsdMinimal, boolean rd, boolean allAdditional) throws Exception {
        String nsd = ExternalServer.which("nsd");
        assertThat(nsd).as("nsd is not installed: install it (scripts/packages.txt lists it)").isNotNull();
        DnsFixture.copyZones(dir);
        // NSD reads neither $GENERATE nor $INCLUDE: both servers get the zone without them.
        Path zones = dir.resolve("zones");
        String zone = Files.readAllLines(zones.resolve("example.test.zone")).stream()
                .filter(l -> !l.startsWith("$GENERATE") && !l.startsWith("$INCLUDE"))
                .collect(Collectors.joining("\n", "", "\n"));
        Files.writeString(zones.resolve("diff.zone"), zone);
        int nsdPort = TestHost.freePort();
        Path conf = dir.resolve("nsd.conf");
        Files.writeString(conf, """
                server:
                  ip-address: 127.0.0.1@%d
                  port: %d
                  do-ip6: no
                  zonesdir: "%s"
                  username: ""
                  chroot: ""
                  pidfile: "%s/nsd.pid"
                  database: ""
                  xfrdfile: "%s/xfrd.state"
                  zonelistfile: "%s/zone.list"
                  logfile: "%s/nsd.log"
                  server-count: 1
                  hide-version: yes
                  rrl-ratelimit: 0
                  minimal-responses: %s
                remote-control:
                  control-enable: no
                zone:
                  name: example.test
                  zonefile: diff.zone
                """.formatted(nsdPort, nsdPort, zones, dir, dir, dir, dir, nsdMinimal ? "yes" : "no"));
        try (ExternalServer server = ExternalServer.start(dir.resolve("nsd.out"), nsd, "-d", "-c", conf.toString());
             DnsFixture cairn = DnsFixture.start(dir, """
                     dns:
                       listen: 127.0.0.1:0
                       zones:
                         example.test:
                           file: zones/diff.zone
                     """)) {
            server.await(Duration.ofSeconds(10), "nsd answering", () -> {
                try {
                    return Answers.ask(nsdPort, "example.test.", Type.SOA, false).getRcode() == 0;
                } catch (Exception e) {
                    return false;
                }
            });
            List<String> diffs = new ArrayList<>();
            for (boolean tcp : new boolean[] {false, true}) {
                for (String[] q : QUERIES) {
                    int type = Type.value(q[1]);
                    boolean additional = allAdditional || (type != Type.MX && type != Type.SRV);
                    String want = Answers.render(Answers.ask(nsdPort, q[0], type, tcp, rd), additional);
                    String got = Answers.render(Answers.ask(cairn.port(), q[0], type, tcp, rd), additional);
                    if (!want.equals(got)) {
                        diffs.add((tcp ? "tcp " : "udp ") + (rd ? "rd " : "") + q[0] + " " + q[1]
                                + "\n--- nsd\n" + want + "+++ cairn\n" + got);
                    }
                }
            }
            return diffs;
        }
    }
}
