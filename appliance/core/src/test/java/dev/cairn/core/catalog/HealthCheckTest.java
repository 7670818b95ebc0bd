package dev.cairn.core.catalog;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.core.demo.DemoModule;
import dev.cairn.core.testing.TestHost;
import dev.cairn.spi.catalog.CatalogEvent;
import dev.cairn.spi.catalog.CheckStats;
import dev.cairn.spi.catalog.EndpointView;
import dev.cairn.spi.catalog.Health;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Active checks against real demo backends, with HAProxy's rise/fall semantics. */
class HealthCheckTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    @TempDir
    Path dir;

    private static String config(int p1, int p2, String check) {
        return """
                services:
                  web:
                    endpoints: [127.0.0.1:%d, 127.0.0.1:%d]
                    check: %s
                demo:
                  service: web
                """.formatted(p1, p2, check);
    }

    private static EndpointView endpoint(TestHost t, int port) {
        return t.host().catalog().service("web").orElseThrow().endpoints().stream()
                .filter(e -> e.port() == port).findFirst().orElseThrow();
    }

    private static void post(String url) throws Exception {
        HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.discarding());
    }

    @Test
    void failingEndpointGoesDownAfterFallAndBackUpAfterRise() throws Exception {
        int p1 = TestHost.freePort();
        int p2 = TestHost.freePort();
        try (TestHost t = TestHost.start(dir,
                config(p1, p2, "{ type: http, path: /health, interval: 100ms, rise: 3, fall: 2 }"), new DemoModule())) {
            List<CatalogEvent> events = new CopyOnWriteArrayList<>();
            t.host().catalog().subscribe(events::add);
            // Both pass their first checks and become fully up (health = rise + fall - 1).
            TestHost.await(WAIT, "checks ran", () -> endpoint(t, p1).lastCheck().equals("HTTP 200")
                    && endpoint(t, p2).lastCheck().equals("HTTP 200"));
            // Let the counters climb to the top (a new endpoint starts at rise; one more success is
            // the top, so the next step needs fall failures): five checks of each, as many as 5 intervals.
            TestHost.await(WAIT, "five checks of each endpoint",
                    () -> t.metric("cairn_health_check_duration_seconds", "service", "web") >= 10);

            // A check that ran while the demo backends were still starting may already count a transition:
            // what this failure adds is what is asserted below.
            long upToDownBefore = t.host().catalog().checkStats("web", "127.0.0.1:" + p1).orElseThrow().upToDown();
            CheckStats twoBefore = t.host().catalog().checkStats("web", "127.0.0.1:" + p2).orElseThrow();
            post("http://127.0.0.1:" + p1 + "/_demo/fail");
            TestHost.await(WAIT, "p1 down", () -> endpoint(t, p1).health() == Health.DOWN);
            assertThat(endpoint(t, p1).lastCheck()).isEqualTo("HTTP 503 (expected 200-399)");
            assertThat(endpoint(t, p2).health()).isEqualTo(Health.UP);
            assertThat(t.host().catalog().service("web").orElseThrow().available())
                    .extracting(EndpointView::port).containsExactly(p2);
            assertThat(t.metric("cairn_service_endpoint_up", "service", "web", "endpoint", "127.0.0.1:" + p1)).isEqualTo(0.0);
            assertThat(t.metric("cairn_health_check_failures", "service", "web", "endpoint", "127.0.0.1:" + p1))
                    .isGreaterThanOrEqualTo(2.0);
            assertThat(t.metric("cairn_health_check_duration_seconds", "service", "web")).isGreaterThan(4.0);

            post("http://127.0.0.1:" + p1 + "/_demo/recover");
            TestHost.await(WAIT, "p1 up", () -> endpoint(t, p1).health() == Health.UP);
            assertThat(t.metric("cairn_service_endpoint_up", "service", "web", "endpoint", "127.0.0.1:" + p1)).isEqualTo(1.0);
            TestHost.await(WAIT, "events delivered", () -> events.size() >= 2);
            assertThat(events).extracting(e -> e.kind() + " " + e.after().port() + " " + e.after().health())
                    .containsSubsequence("HEALTH " + p1 + " DOWN", "HEALTH " + p1 + " UP");

            // HAProxy's chkfail / chkdown / downtime / check_status for the same history.
            CheckStats one = t.host().catalog().checkStats("web", "127.0.0.1:" + p1).orElseThrow();
            assertThat(one.failures()).isGreaterThanOrEqualTo(2);
            assertThat(one.upToDown()).as("one UP -> DOWN for the one failure").isEqualTo(upToDownBefore + 1);
            assertThat(one.downtime()).isPositive();
            assertThat(one.lastStatus()).contains("L7OK");
            assertThat(one.lastDuration()).hasValueSatisfying(d -> assertThat(d).isPositive());
            CheckStats two = t.host().catalog().checkStats("web", "127.0.0.1:" + p2).orElseThrow();
            assertThat(two.upToDown()).as("p2 stayed up through p1's failure").isEqualTo(twoBefore.upToDown());
            assertThat(two.downtime()).isEqualTo(twoBefore.downtime());
            assertThat(t.host().catalog().checkStats("web", "nope")).isEmpty();
        }
    }

    @Test
    void tcpCheckMarksAClosedPortDown() throws Exception {
        int closed = TestHost.freePort();
        try (TestHost t = TestHost.start(dir, """
                services:
                  db:
                    endpoints: [127.0.0.1:%d]
                    check: { type: tcp, interval: 100ms }
                """.formatted(closed))) {
            TestHost.await(WAIT, "down", () -> t.host().catalog().service("db").orElseThrow()
                    .endpoints().get(0).health() == Health.DOWN);
            assertThat(t.host().catalog().service("db").orElseThrow().endpoints().get(0).lastCheck())
                    .startsWith("TCP connect: ");
            assertThat(t.host().catalog().checkStats("db", "127.0.0.1:" + closed).orElseThrow().lastStatus()).contains("L4CON");
        }
    }

    @Test
    void httpCheckCanRequireABodySubstring() throws Exception {
        int p1 = TestHost.freePort();
        int p2 = TestHost.freePort();
        try (TestHost t = TestHost.start(dir,
                config(p1, p2, "{ type: http, path: /, expect_body: 'backend 127.0.0.1:" + p2 + "', interval: 100ms }"),
                new DemoModule())) {
            // The checks may start before the demo backends listen (refused, counted as failures):
            // wait for the state the backends' answers give.
            TestHost.await(WAIT, "p1 down for its body, p2 up", () -> endpoint(t, p1).health() == Health.DOWN
                    && endpoint(t, p1).lastCheck().equals("HTTP 200, body lacks 'backend 127.0.0.1:" + p2 + "'")
                    && endpoint(t, p2).health() == Health.UP && endpoint(t, p2).lastCheck().equals("HTTP 200"));
        }
    }

    @Test
    void reloadKeepsHealthAndDrainOfUnchangedEndpoints() throws Exception {
        int p1 = TestHost.freePort();
        int p2 = TestHost.freePort();
        int p3 = TestHost.freePort();
        String check = "{ type: tcp, interval: 100ms }";
        try (TestHost t = TestHost.start(dir, config(p1, p2, check), new DemoModule())) {
            t.host().catalog().setDrained("web", "127.0.0.1:" + p1, true);
            String yaml = """
                    services:
                      web:
                        endpoints: [127.0.0.1:%d, 127.0.0.1:%d, 127.0.0.1:%d]
                        check: %s
                    demo:
                      service: web
                    """.formatted(p1, p2, p3, check);
            assertThat(t.reload(yaml).ok()).isTrue();
            assertThat(endpoint(t, p1).drained()).isTrue();
            assertThat(endpoint(t, p2).drained()).isFalse();
            assertThat(t.host().catalog().service("web").orElseThrow().endpoints()).hasSize(3);
        }
    }

    /** A backend that answers 200 then streams its body for as long as it is read (bounded). */
    private static Thread endlessBackend(java.net.ServerSocket server, boolean stall) {
        Thread t = new Thread(() -> {
            while (!server.isClosed()) {
                try (java.net.Socket s = server.accept()) {
                    s.getInputStream().read(new byte[4096]);
                    var out = s.getOutputStream();
                    out.write("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n".getBytes());
                    byte[] chunk = new byte[16 * 1024];
                    java.util.Arrays.fill(chunk, (byte) 'x');
                    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
                    while (System.nanoTime() < deadline) {
                        if (stall) {
                            Thread.sleep(50);
                        } else {
                            out.write(chunk);
                        }
                    }
                } catch (Exception e) {
                    // client went away: accept the next one
                }
            }
        });
        t.setDaemon(true);
        t.start();
        return t;
    }

    @Test
    void endlessOrStalledBodiesFailTheCheckInsteadOfHangingIt() throws Exception {
        try (java.net.ServerSocket endless = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
             java.net.ServerSocket stalled = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            endlessBackend(endless, false);
            endlessBackend(stalled, true);
            try (TestHost t = TestHost.start(dir, """
                    services:
                      web:
                        endpoints: [127.0.0.1:%d, 127.0.0.1:%d]
                        check: { type: http, expect_body: needle, interval: 200ms, timeout: 500ms }
                    """.formatted(endless.getLocalPort(), stalled.getLocalPort()))) {
                TestHost.await(WAIT, "both down", () -> endpoint(t, endless.getLocalPort()).health() == Health.DOWN
                        && endpoint(t, stalled.getLocalPort()).health() == Health.DOWN);
                TestHost.await(WAIT, "reasons recorded", () ->
                        endpoint(t, endless.getLocalPort()).lastCheck().equals("HTTP 200, body lacks 'needle'")
                                && endpoint(t, stalled.getLocalPort()).lastCheck().equals("HTTP: timeout"));
            }
        }
    }

    /**
     * A backend that answers a request for Host app.example with an interim 100, then a chunked
     * 200 whose body is {@code body} cut into 3-byte chunks; any other Host gets a 404.
     */
    private static Thread chunkedBackend(java.net.ServerSocket server, String body) {
        Thread t = new Thread(() -> {
            while (!server.isClosed()) {
                try (java.net.Socket s = server.accept()) {
                    var in = new java.io.BufferedReader(new java.io.InputStreamReader(s.getInputStream(), java.nio.charset.StandardCharsets.ISO_8859_1));
                    boolean host = false;
                    for (String line = in.readLine(); line != null && !line.isEmpty(); line = in.readLine()) {
                        host |= line.equalsIgnoreCase("Host: app.example");
                    }
                    StringBuilder out = new StringBuilder();
                    if (host) {
                        out.append("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
                        for (int i = 0; i < body.length(); i += 3) {
                            String c = body.substring(i, Math.min(body.length(), i + 3));
                            out.append(Integer.toHexString(c.length())).append("\r\n").append(c).append("\r\n");
                        }
                        out.append("0\r\n\r\n");
                    } else {
                        out.append("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
                    }
                    s.getOutputStream().write(out.toString().getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
                } catch (Exception e) {
                    // client went away: accept the next one
                }
            }
        });
        t.setDaemon(true);
        t.start();
        return t;
    }

    @Test
    void httpCheckSendsItsHostAndReadsChunkedBodiesAfterAnInterimResponse() throws Exception {
        try (java.net.ServerSocket good = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
             java.net.ServerSocket bad = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            chunkedBackend(good, "a haystack with a needle in it");
            chunkedBackend(bad, "a haystack with a nee dle in it");
            int g = good.getLocalPort();
            int b = bad.getLocalPort();
            try (TestHost t = TestHost.start(dir, """
                    services:
                      web:
                        endpoints: [127.0.0.1:%d, 127.0.0.1:%d]
                        check: { type: http, host: app.example, expect_body: needle, interval: 100ms }
                    """.formatted(g, b))) {
                TestHost.await(WAIT, "good up, bad down", () -> endpoint(t, g).lastCheck().equals("HTTP 200")
                        && endpoint(t, b).health() == Health.DOWN);
                assertThat(endpoint(t, g).health()).isEqualTo(Health.UP);
                assertThat(endpoint(t, b).lastCheck()).isEqualTo("HTTP 200, body lacks 'needle'");
            }
        }
    }
}
