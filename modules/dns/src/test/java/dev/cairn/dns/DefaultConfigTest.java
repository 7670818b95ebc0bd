package dev.cairn.dns;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.core.testing.TestHost;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * The shipped default config (config/cairn.yml with config/zones/) serves the example zone and
 * follows the demo service, as `scripts/run` shows an operator. Ports are moved to free ones.
 */
class DefaultConfigTest {

    @TempDir
    Path dir;

    @Test
    void defaultConfigServesTheExampleZoneAndFollowsTheDemoService() throws Exception {
        Path repo = Path.of("../..").toAbsolutePath().normalize();
        String yaml = Files.readString(repo.resolve("config/cairn.yml"));
        assertThat(yaml).containsPattern(Pattern.compile("(?m)^dns:"));
        int b1 = TestHost.freePort();
        int b2 = TestHost.freePort();
        // Only the sections this module's test class path knows (metrics, proxy... are other modules).
        StringBuilder kept = new StringBuilder();
        boolean keep = true;
        for (String line : yaml.split("\n", -1)) {
            if (!line.isEmpty() && !line.startsWith(" ") && !line.startsWith("#")) {
                keep = line.startsWith("services:") || line.startsWith("demo:") || line.startsWith("dns:");
            }
            if (keep) kept.append(line).append('\n');
        }
        String run = kept.toString().replace("127.0.0.1:18081", "127.0.0.1:" + b1).replace("127.0.0.1:18082", "127.0.0.1:" + b2)
                .replace("127.0.0.1:5353", "127.0.0.1:0");
        Files.createDirectories(dir.resolve("zones"));
        Files.copy(repo.resolve("config/zones/cairn.test.zone"), dir.resolve("zones/cairn.test.zone"));
        try (DnsFixture dns = new DnsFixture(TestHost.start(dir, run, new DnsModule(), new dev.cairn.core.demo.DemoModule()), dir)) {
            assertThat(dns.query("www.cairn.test", Type.A).getSection(Section.ANSWER))
                    .extracting(Record::rdataToString).containsExactly("127.0.0.1");
            assertThat(dns.query("demo.cairn.test", Type.A).getSection(Section.ANSWER))
                    .extracting(Record::rdataToString).containsExactly("127.0.0.1");
            assertThat(srvPorts(dns)).containsExactlyInAnyOrder(b1, b2);
            HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + b1 + "/_demo/fail"))
                    .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.discarding());
            // The default check: interval 2s, fall 3; allow for a slow machine.
            TestHost.await(Duration.ofSeconds(20), "the failed demo backend leaves the SRV answer",
                    () -> srvPorts(dns).equals(List.of(b2)));
        }
    }

    private static List<Integer> srvPorts(DnsFixture dns) {
        try {
            return dns.query("_http._tcp.demo.cairn.test", Type.SRV).getSection(Section.ANSWER).stream()
                    .map(r -> ((org.xbill.DNS.SRVRecord) r).getPort()).sorted().toList();
        } catch (java.io.IOException e) {
            return List.of();
        }
    }
}
