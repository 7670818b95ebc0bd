package dev.cairn.dns;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.core.testing.TestHost;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.Message;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/** Names bound to a catalog service follow its endpoints' health, over the real host's checks. */
class HealthRecordsTest {

    @TempDir
    Path dir;
    DnsFixture dns;
    int port1;
    int port2;

    @BeforeEach
    void start() throws Exception {
        port1 = TestHost.freePort();
        port2 = TestHost.freePort();
        dns = DnsFixture.start(dir, """
                services:
                  web:
                    endpoints:
                      - 127.0.0.1:%d
                      - { address: 127.0.0.2:%d, weight: 3 }
                    check: { type: http, path: /health, interval: 100ms, timeout: 500ms, rise: 1, fall: 1 }
                demo:
                  service: web
                dns:
                  listen: 127.0.0.1:0
                  health_ttl: 7s
                  zones:
                    example.test:
                      file: zones/example.test.zone
                      service_records:
                        web: { service: web }
                        _http._tcp.web: { service: web, type: srv, ttl: 3s }
                """.formatted(port1, port2));
    }

    @AfterEach
    void stop() {
        if (dns != null) dns.close();
    }

    private List<String> addresses(String name) throws IOException {
        return records(dns.query(name, Type.A)).stream().map(Record::rdataToString).sorted().toList();
    }

    private static List<Record> records(Message m) {
        return m.getSection(Section.ANSWER);
    }

    private long serial() throws IOException {
        return ((SOARecord) records(dns.query("example.test", Type.SOA)).get(0)).getSerial();
    }

    private void demo(int port, String action) throws Exception {
        String host = port == port1 ? "127.0.0.1" : "127.0.0.2";
        HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://" + host + ":" + port + "/_demo/" + action))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.discarding());
    }

    @Test
    void boundNameAnswersWithHealthyEndpointsAndItsOwnTtl() throws IOException {
        assertThat(addresses("web.example.test")).containsExactly("127.0.0.1", "127.0.0.2");
        assertThat(records(dns.query("web.example.test", Type.A))).allMatch(r -> r.getTTL() == 7);
    }

    @Test
    void failedEndpointLeavesTheAnswerAndBumpsTheSerial() throws Exception {
        long before = serial();
        demo(port2, "fail");
        TestHost.await(Duration.ofSeconds(5), "127.0.0.2 removed from web.example.test",
                () -> quietly(() -> addresses("web.example.test").equals(List.of("127.0.0.1"))));
        assertThat(serial()).isGreaterThan(before);
        demo(port2, "recover");
        TestHost.await(Duration.ofSeconds(5), "127.0.0.2 back in web.example.test",
                () -> quietly(() -> addresses("web.example.test").size() == 2));
    }

    @Test
    void allEndpointsAnswerWhenNoneIsHealthy() throws Exception {
        demo(port1, "fail");
        demo(port2, "fail");
        TestHost.await(Duration.ofSeconds(5), "both endpoints down",
                () -> dns.host.host().catalog().service("web").orElseThrow().available().isEmpty());
        assertThat(addresses("web.example.test")).containsExactly("127.0.0.1", "127.0.0.2");
    }

    @Test
    void srvRecordsCarryPortsWeightsAndTargetAddresses() throws IOException {
        Message m = dns.query("_http._tcp.web.example.test", Type.SRV);
        String srv = records(m).stream().map(r -> r.getTTL() + " " + r.rdataToString()).sorted().collect(Collectors.joining("; "));
        assertThat(srv).isEqualTo("3 10 1 %d 127-0-0-1._http._tcp.web.example.test.; 3 10 3 %d 127-0-0-2._http._tcp.web.example.test."
                .formatted(port1, port2));
        assertThat(m.getSection(Section.ADDITIONAL)).filteredOn(r -> r.getType() == Type.A)
                .extracting(Record::rdataToString).containsExactlyInAnyOrder("127.0.0.1", "127.0.0.2");
        assertThat(addresses("127-0-0-2._http._tcp.web.example.test")).containsExactly("127.0.0.2");
    }

    interface IoCheck {
        boolean get() throws IOException;
    }

    static boolean quietly(IoCheck c) {
        try {
            return c.get();
        } catch (IOException e) {
            return false;
        }
    }
}
