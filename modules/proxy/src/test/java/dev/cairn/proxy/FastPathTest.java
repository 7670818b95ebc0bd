package dev.cairn.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.core.testing.TestHost;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The HTTP/1.1 fast path ({@code proxy.fast_path: true}) end to end: pipelining and keep-alive,
 * requests it hands over to Undertow, failures of endpoints and clients, and metrics.
 */
class FastPathTest {

    @TempDir
    Path dir;

    /** A config with one service of these endpoints (name=address) and one plain listener "web". */
    private static String yaml(String proxyExtra, String routeExtra, String... endpoints) {
        StringBuilder eps = new StringBuilder();
        for (String e : endpoints) {
            int eq = e.indexOf('=');
            eps.append("{ address: ").append(e.substring(eq + 1)).append(", name: ").append(e, 0, eq).append(" }\n");
        }
        return "services:\n" + ProxyFixture.service("web", null, eps.toString().trim().split("\n"))
                + "proxy:\n  fast_path: true\n" + proxyExtra
                + "  listeners:\n    - name: web\n      bind: 127.0.0.1:0\n      routes:\n"
                + "        - { service: web" + routeExtra + " }\n";
    }

    private static int port(ProxyFixture f) {
        return f.proxy.listenerAddress("web").getPort();
    }

    private static String get(String path) {
        return "GET " + path + " HTTP/1.1\r\nHost: shop.example\r\n\r\n";
    }

    /** Echoes the request line (and body); {@code /delay/N} waits N ms first. */
    private static boolean echo(ScriptedBackend.Request r, InputStream in, OutputStream out, Socket s) throws IOException {
        if (r.path().startsWith("/delay/")) {
            try {
                Thread.sleep(Long.parseLong(r.path().substring("/delay/".length())));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        byte[] body = (r.requestLine() + (r.body().length > 0 ? "\n" + r.bodyText() : "")).getBytes(StandardCharsets.ISO_8859_1);
        ScriptedBackend.write(out, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " + body.length + "\r\n\r\n");
        out.write(body);
        return true;
    }

    private static double metric(ProxyFixture f, String name, String... labels) {
        double v = f.host.metric(name, labels);
        return Double.isNaN(v) ? 0 : v;
    }

    /**
     * Asserts a metric reaches {@code expected}: counters are bumped when an exchange completes,
     * which may be just after its last byte reached the client.
     */
    private static void assertMetric(ProxyFixture f, double expected, String name, String... labels) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(3).toNanos();
        while (metric(f, name, labels) != expected && System.nanoTime() < deadline) Thread.sleep(10);
        assertThat(metric(f, name, labels)).as("%s %s", name, String.join(",", labels)).isEqualTo(expected);
    }

    // ---- 3. pipelining ----

    @Test
    void threePipelinedGetsInOneWriteAreAnsweredInOrder() throws Exception {
        try (ScriptedBackend b = new ScriptedBackend(FastPathTest::echo);
             ProxyFixture f = new ProxyFixture(dir, yaml("", "", "a=" + b.address()), false);
             WireClient c = new WireClient(port(f))) {
            // The first answer is the slowest: a proxy that answers as responses arrive would reorder.
            c.send(get("/delay/300") + get("/two") + get("/three"));
            assertThat(c.read().bodyText()).isEqualTo("GET /delay/300 HTTP/1.1");
            assertThat(c.read().bodyText()).isEqualTo("GET /two HTTP/1.1");
            assertThat(c.read().bodyText()).isEqualTo("GET /three HTTP/1.1");
            assertThat(b.take()).extracting(ScriptedBackend.Request::path).containsExactly("/delay/300", "/two", "/three");
            // And the connection is still in step afterwards.
            assertThat(c.exchange(get("/four")).bodyText()).isEqualTo("GET /four HTTP/1.1");
        }
    }

    @Test
    void aGetPipelinedWithAPostWithABodyBothWork() throws Exception {
        try (ScriptedBackend b = new ScriptedBackend(FastPathTest::echo);
             ProxyFixture f = new ProxyFixture(dir, yaml("", "", "a=" + b.address()), false);
             WireClient c = new WireClient(port(f))) {
            c.send(get("/first") + "POST /form HTTP/1.1\r\nHost: shop.example\r\nContent-Type: text/plain\r\n"
                    + "Content-Length: 13\r\n\r\norder=1&x=GET" + get("/after"));
            WireClient.Response first = c.read();
            WireClient.Response post = c.read();
            WireClient.Response after = c.read();
            assertThat(first.status()).isEqualTo(200);
            assertThat(first.bodyText()).isEqualTo("GET /first HTTP/1.1");
            assertThat(post.status()).isEqualTo(200);
            // The body ends in "GET": those bytes are body, not the start of a request.
            assertThat(post.bodyText()).isEqualTo("POST /form HTTP/1.1\norder=1&x=GET");
            assertThat(after.status()).isEqualTo(200);
            assertThat(after.bodyText()).isEqualTo("GET /after HTTP/1.1");
            assertThat(b.take()).extracting(ScriptedBackend.Request::path).containsExactly("/first", "/form", "/after");
        }
    }

    // ---- 4. keep-alive ----

    @Test
    void hundredSequentialGetsOnOneConnectionReuseBackendConnections() throws Exception {
        try (ScriptedBackend b = new ScriptedBackend(FastPathTest::echo);
             ProxyFixture f = new ProxyFixture(dir, yaml("", "", "a=" + b.address()), false);
             WireClient c = new WireClient(port(f))) {
            for (int i = 0; i < 100; i++) {
                WireClient.Response r = c.exchange(get("/n/" + i));
                assertThat(r.status()).as("request %d", i).isEqualTo(200);
                assertThat(r.bodyText()).as("request %d", i).isEqualTo("GET /n/" + i + " HTTP/1.1");
            }
            assertThat(b.take()).hasSize(100);
            assertThat(b.connections.get()).as("backend connections for 100 requests").isBetween(1, 5);
        }
    }

    @Test
    void anEndpointRemovedByAReloadLosesItsIdleConnections() throws Exception {
        try (ScriptedBackend a = new ScriptedBackend(FastPathTest::echo);
             ScriptedBackend b = new ScriptedBackend(FastPathTest::echo);
             ProxyFixture f = new ProxyFixture(dir, yaml("", "", "a=" + a.address(), "b=" + b.address()), false);
             WireClient c = new WireClient(port(f))) {
            for (int i = 0; i < 4; i++) assertThat(c.exchange(get("/x/" + i)).status()).isEqualTo(200);
            assertThat(a.openConnections.get()).as("idle keep-alive connections to a").isPositive();
            assertThat(f.host.reload(yaml("", "", "b=" + b.address())).ok()).isTrue();
            TestHost.await(java.time.Duration.ofSeconds(5), "connections to the removed endpoint closed",
                    () -> a.openConnections.get() == 0);
            // The client's keep-alive connection survived the reload and now goes to b only.
            a.clear();
            for (int i = 0; i < 4; i++) assertThat(c.exchange(get("/y/" + i)).status()).isEqualTo(200);
            assertThat(a.take()).isEmpty();
        }
    }

    // ---- 5. requests handed over to Undertow ----

    /** Bodies are the fast path's own now (FastPathBodyTest has the larger cases); GETs follow on the same connection. */
    @Test
    void postWithABodyAndChunkedPostAreForwarded() throws Exception {
        try (TestBackend a = new TestBackend("a");
             ProxyFixture f = new ProxyFixture(dir, yaml("", "", "a=" + a.address()), false);
             WireClient c = new WireClient(port(f))) {
            WireClient.Response post = c.exchange("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\nhello world");
            assertThat(post.status()).isEqualTo(200);
            assertThat(post.bodyText()).isEqualTo("hello world");
            WireClient.Response chunked = c.exchange("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\n\r\n");
            assertThat(chunked.status()).isEqualTo(200);
            assertThat(chunked.bodyText()).isEqualTo("hello world");
            // The connection goes on serving GETs.
            assertThat(c.exchange(get("/")).bodyText()).isEqualTo("a");
            assertThat(a.hits.get()).isEqualTo(3);
        }
    }

    @Test
    void h2cUpgradeIsHandedOverToUndertow() throws Exception {
        try (TestBackend a = new TestBackend("a");
             ProxyFixture f = new ProxyFixture(dir, yaml("", "", "a=" + a.address()), false)) {
            // The JDK client asks for h2c with "Connection: Upgrade, HTTP2-Settings" + "Upgrade: h2c".
            HttpClient h2 = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).build();
            HttpResponse<String> r = h2.send(HttpRequest.newBuilder(URI.create(f.base("web") + "/"))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).isEqualTo("a");
            assertThat(r.version()).isEqualTo(HttpClient.Version.HTTP_2);
            // And byte for byte: the upgrade is answered 101, then HTTP/2 frames.
            try (WireClient c = new WireClient(port(f))) {
                WireClient.Response up = c.exchange("GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\n"
                        + "Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n");
                assertThat(up.status()).isEqualTo(101);
                assertThat(up.header("Upgrade")).isEqualToIgnoringCase("h2c");
            }
        }
    }

    @Test
    void malformedHeadsAreRefusedWith400AndNeverForwarded() throws Exception {
        try (TestBackend a = new TestBackend("a");
             ProxyFixture f = new ProxyFixture(dir, yaml("", "", "a=" + a.address()), false)) {
            String[] bad = {
                "GET /fold HTTP/1.1\r\nHost: x\r\nX-Long: a\r\n folded\r\n\r\n",
                "GET /fold HTTP/1.1\r\nHost: x\r\nX-Long: a\r\n\tInjected: evil\r\n\r\n",
                "GET /twohosts HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\n\r\n",
                "GET /nohost HTTP/1.1\r\nUser-Agent: x\r\n\r\n",
            };
            for (String raw : bad) {
                try (WireClient c = new WireClient(port(f))) {
                    WireClient.Response r = c.exchange(raw);
                    assertThat(r).as(raw).isNotNull();
                    assertThat(r.status()).as(raw).isEqualTo(400);
                }
            }
            // Also after a fast-path request on the same connection.
            try (WireClient c = new WireClient(port(f))) {
                assertThat(c.exchange(get("/ok")).status()).isEqualTo(200);
                assertThat(c.exchange("GET /fold HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n").status()).isEqualTo(400);
            }
            assertThat(a.hits.get()).isEqualTo(1);
        }
    }

    @Test
    void spoofedForwardingHeadersFromAnUntrustedClientAreReplaced() throws Exception {
        try (TestBackend a = new TestBackend("a");
             ProxyFixture f = new ProxyFixture(dir, yaml("", "", "a=" + a.address()), false);
             WireClient c = new WireClient(port(f))) {
            // A fast-path request first, so the spoofed one arrives on a connection the fast path owns.
            assertThat(c.exchange(get("/")).status()).isEqualTo(200);
            for (String spoof : new String[] {"X-Forwarded-For: 6.6.6.6", "Forwarded: for=6.6.6.6", "X-Real-IP: 6.6.6.6"}) {
                WireClient.Response r = c.exchange("GET /headers HTTP/1.1\r\nHost: shop.example\r\n" + spoof
                        + "\r\nX-Forwarded-Proto: https\r\nX-Forwarded-Host: evil.example\r\n\r\n");
                assertThat(r.status()).as(spoof).isEqualTo(200);
                assertThat(r.bodyText()).as(spoof).contains("x-forwarded-for: 127.0.0.1\n")
                        .contains("x-forwarded-proto: http\n").contains("x-forwarded-host: shop.example\n")
                        .contains("forwarded: for=127.0.0.1;proto=http;host=shop.example\n")
                        .doesNotContain("6.6.6.6").doesNotContain("evil.example").doesNotContain("https");
            }
            // A plain fast-path GET gets the same forwarding headers.
            WireClient.Response plain = c.exchange("GET /headers HTTP/1.1\r\nHost: shop.example\r\n\r\n");
            assertThat(plain.bodyText()).contains("x-forwarded-for: 127.0.0.1\n").contains("x-forwarded-proto: http\n")
                    .contains("x-forwarded-host: shop.example\n")
                    .contains("forwarded: for=127.0.0.1;proto=http;host=shop.example\n");
        }
    }

    // ---- 6. failures ----

    /** An endpoint that reads a request and hangs up without a byte of answer (FIN or RST). */
    private static ScriptedBackend hangUp(boolean rst) throws IOException {
        return new ScriptedBackend((r, in, out, s) -> rst ? ScriptedBackend.reset(s) : false);
    }

    @Test
    void anEndpointThatHangsUpWithoutAnsweringIsRetriedOnTheOther() throws Exception {
        for (boolean rst : new boolean[] {false, true}) {
            try (ScriptedBackend dead = hangUp(rst); TestBackend b = new TestBackend("b");
                 ProxyFixture f = new ProxyFixture(dir, yaml("  passive_health: { failures: 0 }\n", ", balance: first",
                         "dead=" + dead.address(), "b=" + b.address()), false)) {
                for (int i = 0; i < 3; i++) {
                    // A new connection each time, so each GET starts on the fast path.
                    try (WireClient c = new WireClient(port(f))) {
                        WireClient.Response r = c.exchange(get("/try/" + i));
                        assertThat(r.status()).as("rst=%s request %d", rst, i).isEqualTo(200);
                        assertThat(r.bodyText()).as("rst=%s request %d", rst, i).isEqualTo("b");
                        // The client connection survives the retry.
                        assertThat(c.exchange(get("/again")).bodyText()).isEqualTo("b");
                    }
                }
                // As on Undertow: each GET reached the dead endpoint once (not a second time after
                // a hand-over), then b once; one retry each.
                SoftAssertions soft = new SoftAssertions();
                soft.assertThat(dead.take()).as("rst=%s: requests the dead endpoint read", rst)
                        .extracting(ScriptedBackend.Request::path)
                        .containsExactly("/try/0", "/again", "/try/1", "/again", "/try/2", "/again");
                soft.assertThat(b.hits.get()).as("rst=%s: requests b served", rst).isEqualTo(6);
                soft.assertThat(metric(f, "cairn_proxy_backend_retry_warnings", "service", "web"))
                        .as("rst=%s: retry warnings", rst).isEqualTo(6.0);
                soft.assertAll();
                TestHost.await(Duration.ofSeconds(5), "slots released", () ->
                        metric(f, "cairn_proxy_server_current_sessions", "service", "web", "endpoint", "dead") == 0
                                && metric(f, "cairn_proxy_server_current_sessions", "service", "web", "endpoint", "b") == 0);
            }
        }
    }

    @Test
    void aFailedAttemptCountsOnceAgainstPassiveHealth() throws Exception {
        // Two failures within the window eject. One GET that fails on the dead endpoint and is
        // answered by b is one failure, with the fast path as on Undertow: no ejection.
        for (boolean fastPath : new boolean[] {false, true}) {
            try (ScriptedBackend dead = hangUp(false); TestBackend b = new TestBackend("b");
                 ProxyFixture f = new ProxyFixture(dir, yaml("  passive_health: { failures: 2, window: 30s, eject_for: 30s }\n",
                         ", balance: first", "dead=" + dead.address(), "b=" + b.address())
                         .replace("fast_path: true", "fast_path: " + fastPath), false);
                 WireClient c = new WireClient(port(f))) {
                WireClient.Response r = c.exchange(get("/once"));
                assertThat(r.status()).isEqualTo(200);
                assertThat(r.bodyText()).isEqualTo("b");
                assertThat(metric(f, "cairn_proxy_server_ejections", "service", "web", "endpoint", "dead"))
                        .as("fast_path %s: ejections after one failed attempt", fastPath).isZero();
                assertThat(metric(f, "cairn_proxy_server_up", "service", "web", "endpoint", "dead"))
                        .as("fast_path %s: dead endpoint still in rotation", fastPath).isEqualTo(1.0);
            }
        }
    }

    @Test
    void allEndpointsRefusingConnectionsGive503() throws Exception {
        int p1 = TestHost.freePort();
        int p2 = TestHost.freePort();
        try (ProxyFixture f = new ProxyFixture(dir, yaml("  passive_health: { failures: 0 }\n", "",
                "x=127.0.0.1:" + p1, "y=127.0.0.1:" + p2), false);
             WireClient c = new WireClient(port(f))) {
            WireClient.Response r = c.exchange(get("/"));
            assertThat(r.status()).isEqualTo(503);
            assertThat(r.bodyText()).contains("503");
            assertMetric(f, 1.0, "cairn_proxy_frontend_http_responses", "listener", "web", "code", "5xx");
        }
    }

    @Test
    void allEndpointsDownInTheCatalogGive503AtOnce() throws Exception {
        int p1 = TestHost.freePort();
        int p2 = TestHost.freePort();
        String y = "services:\n" + ProxyFixture.service("web", ProxyFixture.FAST_HTTP_CHECK, "127.0.0.1:" + p1, "127.0.0.1:" + p2)
                + "proxy:\n  fast_path: true\n  listeners:\n    - name: web\n      bind: 127.0.0.1:0\n      routes:\n"
                + "        - { service: web }\n";
        try (ProxyFixture f = new ProxyFixture(dir, y, false)) {
            TestHost.await(Duration.ofSeconds(10), "both endpoints down", () ->
                    metric(f, "cairn_proxy_server_up", "service", "web", "endpoint", "127.0.0.1:" + p1) == 0
                            && metric(f, "cairn_proxy_server_up", "service", "web", "endpoint", "127.0.0.1:" + p2) == 0
                            && !Double.isNaN(f.host.metric("cairn_proxy_server_up", "service", "web", "endpoint", "127.0.0.1:" + p1)));
            try (WireClient c = new WireClient(port(f))) {
                long t0 = System.nanoTime();
                WireClient.Response r = c.exchange(get("/"));
                assertThat(r.status()).isEqualTo(503);
                assertThat(r.bodyText()).contains("503").contains("web");
                assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(2));
            }
        }
    }

    @Test
    void anEndpointThatNeverAnswersGives504AfterTheServerTimeout() throws Exception {
        try (ScriptedBackend silent = new ScriptedBackend((r, in, out, s) -> ScriptedBackend.hang(in));
             ProxyFixture f = new ProxyFixture(dir, yaml("  passive_health: { failures: 0 }\n  timeouts: { server: 500ms }\n",
                     "", "silent=" + silent.address()), false);
             WireClient c = new WireClient(port(f))) {
            long t0 = System.nanoTime();
            WireClient.Response r = c.exchange(get("/"));
            long ms = Duration.ofNanos(System.nanoTime() - t0).toMillis();
            assertThat(r.status()).isEqualTo(504);
            assertThat(ms).as("answered after the 500 ms server timeout").isBetween(400L, 3000L);
            assertThat(silent.take()).hasSize(1); // sent once: a timeout is not retried
            TestHost.await(Duration.ofSeconds(5), "slot released and the endpoint connection closed", () ->
                    metric(f, "cairn_proxy_server_current_sessions", "service", "web", "endpoint", "silent") == 0
                            && silent.openConnections.get() == 0);
            assertMetric(f, 1.0, "cairn_proxy_frontend_http_responses", "listener", "web", "code", "5xx");
        }
    }

    @Test
    void aClientLeavingDuringASlowResponseLeaksNoSlotAndNoConnection() throws Exception {
        try (TestBackend a = new TestBackend("a");
             ProxyFixture f = new ProxyFixture(dir, yaml("", ", balance: leastconn", "a=" + a.address()), false)) {
            WireClient c = new WireClient(port(f));
            c.send(get("/slow?ms=700"));
            TestHost.await(Duration.ofSeconds(5), "request in flight", () -> a.inFlight.get() == 1
                    && metric(f, "cairn_proxy_server_current_sessions", "service", "web", "endpoint", "a") == 1);
            c.close();
            TestHost.await(Duration.ofSeconds(5), "slot back to 0", () ->
                    metric(f, "cairn_proxy_server_current_sessions", "service", "web", "endpoint", "a") == 0
                            && a.inFlight.get() == 0);
            TestHost.await(Duration.ofSeconds(5), "no client connection left", () ->
                    metric(f, "cairn_proxy_frontend_current_connections", "listener", "web") == 0);
            // The endpoint is still usable, and its slot is released after each request.
            try (WireClient again = new WireClient(port(f))) {
                assertThat(again.exchange(get("/")).bodyText()).isEqualTo("a");
                TestHost.await(Duration.ofSeconds(3), "slot released after the request", () ->
                        metric(f, "cairn_proxy_server_current_sessions", "service", "web", "endpoint", "a") == 0);
            }
        }
    }

    @Test
    void aRequestFindingEveryEndpointFullIsQueuedThenServed() throws Exception {
        // No free slot is a hand-over case: Undertow's path queues the request until one frees.
        try (TestBackend a = new TestBackend("a");
             ProxyFixture f = new ProxyFixture(dir, yaml("  limits: { endpoint_max_connections: 1 }\n  timeouts: { queue: 5s }\n",
                     "", "a=" + a.address()), false);
             WireClient slow = new WireClient(port(f));
             WireClient queued = new WireClient(port(f))) {
            slow.send(get("/slow?ms=500"));
            TestHost.await(Duration.ofSeconds(5), "the only slot taken", () -> a.inFlight.get() == 1);
            WireClient.Response r = queued.exchange(get("/"));
            assertThat(r.status()).as("queued request: %s", r.bodyText()).isEqualTo(200);
            assertThat(r.bodyText()).isEqualTo("a");
            WireClient.Response first = slow.read();
            assertThat(first.status()).isEqualTo(200);
            assertThat(first.bodyText()).isEqualTo("a");
            assertThat(a.hits.get()).isEqualTo(2);
        }
    }

    // ---- 7. metrics ----

    @Test
    void fastPathRequestsAreCountedLikeUndertowOnes() throws Exception {
        ScriptedBackend.Script script = (r, in, out, s) -> {
            int status = r.path().equals("/missing") ? 404 : r.path().equals("/boom") ? 500 : 200;
            ScriptedBackend.write(out, "HTTP/1.1 " + status + " X\r\nContent-Length: 2\r\n\r\nok");
            return true;
        };
        try (ScriptedBackend b = new ScriptedBackend(script);
             ProxyFixture f = new ProxyFixture(dir, yaml("  passive_health: { failures: 0 }\n", "", "a=" + b.address()), false);
             WireClient c = new WireClient(port(f))) {
            String[] l = {"listener", "web"};
            double requests = metric(f, "cairn_proxy_frontend_http_requests", l);
            double f2 = metric(f, "cairn_proxy_frontend_http_responses", "listener", "web", "code", "2xx");
            double f4 = metric(f, "cairn_proxy_frontend_http_responses", "listener", "web", "code", "4xx");
            double f5 = metric(f, "cairn_proxy_frontend_http_responses", "listener", "web", "code", "5xx");
            double b2 = metric(f, "cairn_proxy_backend_http_responses", "service", "web", "code", "2xx");
            double s2 = metric(f, "cairn_proxy_server_http_responses", "service", "web", "endpoint", "a", "code", "2xx");
            double s5 = metric(f, "cairn_proxy_server_http_responses", "service", "web", "endpoint", "a", "code", "5xx");
            double durations = metric(f, "cairn_proxy_http_request_duration_seconds", "listener", "web", "service", "web");
            double bytesOut = metric(f, "cairn_proxy_frontend_bytes_out", l);
            int n = 25;
            for (int i = 0; i < n; i++) assertThat(c.exchange(get("/m/" + i)).status()).isEqualTo(200);
            for (int i = 0; i < 3; i++) assertThat(c.exchange(get("/missing")).status()).isEqualTo(404);
            for (int i = 0; i < 2; i++) assertThat(c.exchange(get("/boom")).status()).isEqualTo(500);
            assertThat(b.take()).hasSize(n + 5);
            assertMetric(f, requests + n + 5, "cairn_proxy_frontend_http_requests", l);
            assertMetric(f, f2 + n, "cairn_proxy_frontend_http_responses", "listener", "web", "code", "2xx");
            assertMetric(f, f4 + 3, "cairn_proxy_frontend_http_responses", "listener", "web", "code", "4xx");
            assertMetric(f, f5 + 2, "cairn_proxy_frontend_http_responses", "listener", "web", "code", "5xx");
            assertMetric(f, b2 + n, "cairn_proxy_backend_http_responses", "service", "web", "code", "2xx");
            assertMetric(f, s2 + n, "cairn_proxy_server_http_responses", "service", "web", "endpoint", "a", "code", "2xx");
            assertMetric(f, s5 + 2, "cairn_proxy_server_http_responses", "service", "web", "endpoint", "a", "code", "5xx");
            assertMetric(f, durations + n + 5, "cairn_proxy_http_request_duration_seconds", "listener", "web", "service", "web");
            // Each response is at least its status line, length header and 2-byte body.
            assertThat(metric(f, "cairn_proxy_frontend_bytes_out", l)).isGreaterThanOrEqualTo(bytesOut + (n + 5) * 40);
            assertMetric(f, 1.0, "cairn_proxy_frontend_current_connections", l);
        }
    }

    @Test
    void fastPathFalseStillServesEverything() throws Exception {
        try (ScriptedBackend b = new ScriptedBackend(FastPathTest::echo);
             ProxyFixture f = new ProxyFixture(dir, yaml("", "", "a=" + b.address()).replace("fast_path: true", "fast_path: false"), false);
             WireClient c = new WireClient(port(f))) {
            c.send(get("/one") + get("/two"));
            assertThat(c.read().bodyText()).isEqualTo("GET /one HTTP/1.1");
            assertThat(c.read().bodyText()).isEqualTo("GET /two HTTP/1.1");
            assertMetric(f, 2.0, "cairn_proxy_frontend_http_requests", "listener", "web");
            List<ScriptedBackend.Request> seen = b.take();
            assertThat(seen).hasSize(2);
            assertThat(seen.get(0).header("X-Forwarded-For")).isEqualTo("127.0.0.1");
        }
    }
}
