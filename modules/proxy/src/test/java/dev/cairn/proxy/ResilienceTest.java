package dev.cairn.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.core.testing.TestHost;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Failures under load: dead backends, resets, full endpoints, drain, reload. */
class ResilienceTest {

    @TempDir
    Path dir;

    private static String proxy(String routeExtra, String proxyExtra) {
        return "proxy:\n" + proxyExtra + "  listeners:\n    - name: web\n      bind: 127.0.0.1:0\n      routes:\n"
                + "        - { service: web" + routeExtra + " }\n";
    }

    /** Runs {@code threads} clients doing GETs until stopped; counts non-200 answers and errors. */
    private static final class Load implements AutoCloseable {
        final AtomicBoolean stop = new AtomicBoolean();
        final AtomicInteger ok = new AtomicInteger();
        final List<String> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        final List<Thread> threads = new ArrayList<>();

        Load(ProxyFixture f, String url, int n, int maxRequests) {
            for (int i = 0; i < n; i++) {
                Thread t = new Thread(() -> {
                    int done = 0;
                    while (!stop.get() && done++ < maxRequests) {
                        try {
                            HttpResponse<String> r = f.get(url);
                            if (r.statusCode() == 200) ok.incrementAndGet();
                            else failures.add(r.statusCode() + " " + r.body());
                        } catch (Exception e) {
                            failures.add(e.toString());
                        }
                    }
                });
                t.start();
                threads.add(t);
            }
        }

        @Override
        public void close() throws InterruptedException {
            stop.set(true);
            for (Thread t : threads) t.join(20_000);
        }
    }

    @Test
    void backendKilledMidLoadCostsNoIdempotentRequest() throws Exception {
        TestBackend a = new TestBackend("a");
        try (TestBackend b = new TestBackend("b");
             ProxyFixture f = new ProxyFixture(dir, "services:\n" + ProxyFixture.service("web", null,
                     "{ address: " + a.address() + ", name: a }", "{ address: " + b.address() + ", name: b }")
                     + proxy("", ""), false)) {
            try (Load load = new Load(f, f.base("web") + "/", 4, 400)) {
                TestHost.await(Duration.ofSeconds(20), "load running", () -> load.ok.get() > 100);
                a.close(); // no health check configured: only retries and passive health can save the day
                int before = load.ok.get();
                TestHost.await(Duration.ofSeconds(20), "load continues", () -> load.ok.get() > before + 200);
            }
            assertThat(f.host.metric("cairn_proxy_backend_retry_warnings", "service", "web")).isGreaterThan(0);
            assertThat(f.host.metric("cairn_proxy_server_ejections", "service", "web", "endpoint", "a")).isGreaterThanOrEqualTo(1.0);
            assertThat(f.host.metric("cairn_proxy_server_up", "service", "web", "endpoint", "a")).isEqualTo(0.0);
        } finally {
            a.close();
        }
    }

    @Test
    void resetBeforeResponseIsRetriedForGetButNotForPost() throws Exception {
        // An endpoint that reads the request and hangs up without answering.
        try (ServerSocket resetter = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
             TestBackend b = new TestBackend("b")) {
            AtomicInteger resets = new AtomicInteger();
            Thread t = new Thread(() -> {
                while (!resetter.isClosed()) {
                    try (Socket s = resetter.accept()) {
                        InputStream in = s.getInputStream();
                        in.read(new byte[4096]);
                        resets.incrementAndGet();
                        s.setSoLinger(true, 0);
                    } catch (Exception e) {
                        return;
                    }
                }
            });
            t.setDaemon(true);
            t.start();
            String y = "services:\n" + ProxyFixture.service("web", null,
                    "{ address: 127.0.0.1:" + resetter.getLocalPort() + ", name: resetter }", "{ address: " + b.address() + ", name: b }")
                    + proxy(", balance: first", "  passive_health: { failures: 0 }\n");
            try (ProxyFixture f = new ProxyFixture(dir, y, false)) {
                HttpResponse<String> get = f.get(f.base("web") + "/");
                assertThat(get.statusCode()).isEqualTo(200);
                assertThat(get.body()).isEqualTo("b");
                assertThat(resets.get()).isEqualTo(1);
                HttpResponse<String> post = f.http.send(HttpRequest.newBuilder(URI.create(f.base("web") + "/echo"))
                        .POST(HttpRequest.BodyPublishers.ofString("order=1")).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(post.statusCode()).isEqualTo(503);
                assertThat(resets.get()).isEqualTo(2);
                assertThat(b.hits.get()).isEqualTo(1); // the POST never reached b: not replayed
            }
        }
    }

    @Test
    void fullEndpointsQueueThenAnswer503WithRetryAfter() throws Exception {
        try (TestBackend a = new TestBackend("a");
             ProxyFixture f = new ProxyFixture(dir, "services:\n" + ProxyFixture.service("web", null, a.address())
                     + proxy("", "  limits: { endpoint_max_connections: 1, queue_size: 1 }\n  timeouts: { queue: 500ms }\n"), false)) {
            CompletableFuture<HttpResponse<String>> slow = f.http.sendAsync(HttpRequest.newBuilder(
                    URI.create(f.base("web") + "/slow?ms=3000")).build(), HttpResponse.BodyHandlers.ofString());
            TestHost.await(Duration.ofSeconds(5), "slow request holds the only slot", () -> a.inFlight.get() == 1);
            CompletableFuture<HttpResponse<String>> queued = f.http.sendAsync(HttpRequest.newBuilder(
                    URI.create(f.base("web") + "/")).build(), HttpResponse.BodyHandlers.ofString());
            TestHost.await(Duration.ofSeconds(5), "second request queued",
                    () -> f.host.metric("cairn_proxy_backend_current_queue", "service", "web") == 1.0);
            HttpResponse<String> overflow = f.get(f.base("web") + "/");
            assertThat(overflow.statusCode()).isEqualTo(503);
            assertThat(overflow.headers().firstValue("Retry-After")).isPresent();
            assertThat(overflow.body()).contains("queue full");
            HttpResponse<String> timedOut = queued.get();
            assertThat(timedOut.statusCode()).isEqualTo(503);
            assertThat(timedOut.body()).contains("queue timeout");
            assertThat(slow.get().statusCode()).isEqualTo(200);
        }
    }

    @Test
    void queuedRequestGetsTheSlotWhenItFrees() throws Exception {
        try (TestBackend a = new TestBackend("a");
             ProxyFixture f = new ProxyFixture(dir, "services:\n" + ProxyFixture.service("web", null, a.address())
                     + proxy("", "  limits: { endpoint_max_connections: 1 }\n  timeouts: { queue: 10s }\n"), false)) {
            CompletableFuture<HttpResponse<String>> slow = f.http.sendAsync(HttpRequest.newBuilder(
                    URI.create(f.base("web") + "/slow?ms=500")).build(), HttpResponse.BodyHandlers.ofString());
            TestHost.await(Duration.ofSeconds(5), "slot taken", () -> a.inFlight.get() == 1);
            HttpResponse<String> r = f.get(f.base("web") + "/");
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(slow.get().statusCode()).isEqualTo(200);
        }
    }

    @Test
    void drainLetsInFlightRequestsFinishAndSendsNewOnesElsewhere() throws Exception {
        try (TestBackend a = new TestBackend("a"); TestBackend b = new TestBackend("b");
             ProxyFixture f = new ProxyFixture(dir, "services:\n" + ProxyFixture.service("web", null,
                     "{ address: " + a.address() + ", name: a }", "{ address: " + b.address() + ", name: b }")
                     + proxy(", balance: first", ""), false)) {
            CompletableFuture<HttpResponse<String>> inFlight = f.http.sendAsync(HttpRequest.newBuilder(
                    URI.create(f.base("web") + "/slow?ms=1500")).build(), HttpResponse.BodyHandlers.ofString());
            TestHost.await(Duration.ofSeconds(5), "request in flight on a", () -> a.inFlight.get() == 1);
            HttpResponse<String> drain = f.http.send(HttpRequest.newBuilder(URI.create(
                    f.host.adminUrl() + "/api/services/web/endpoints/a/drain")).POST(HttpRequest.BodyPublishers.noBody()).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(drain.statusCode()).isLessThan(300);
            TestHost.await(Duration.ofSeconds(5), "drain reaches the proxy",
                    () -> f.host.metric("cairn_proxy_server_up", "service", "web", "endpoint", "a") == 0.0);
            for (int i = 0; i < 10; i++) assertThat(f.get(f.base("web") + "/").body()).isEqualTo("b");
            HttpResponse<String> finished = inFlight.get();
            assertThat(finished.statusCode()).isEqualTo(200);
            assertThat(finished.body()).isEqualTo("a");
        }
    }

    @Test
    void reloadUnderLoadFailsNoRequestAndKeepsKeepAliveConnections() throws Exception {
        try (TestBackend a = new TestBackend("a"); TestBackend b = new TestBackend("b"); TestBackend c = new TestBackend("c")) {
            String v1 = "services:\n" + ProxyFixture.service("web", null,
                    "{ address: " + a.address() + ", name: a }", "{ address: " + b.address() + ", name: b }")
                    + proxy("", "");
            String v2 = "services:\n" + ProxyFixture.service("web", null,
                    "{ address: " + b.address() + ", name: b }", "{ address: " + c.address() + ", name: c }")
                    + "proxy:\n  listeners:\n    - name: web\n      bind: 127.0.0.1:0\n      routes:\n"
                    + "        - { path: /api, service: web, balance: leastconn }\n        - { service: web }\n";
            try (ProxyFixture f = new ProxyFixture(dir, v1, false)) {
                int port = f.proxy.listenerAddress("web").getPort();
                try (RawHttp keepAlive = new RawHttp(port)) {
                    assertThat(keepAlive.exchange("GET / HTTP/1.1\r\nHost: x\r\n\r\n").status()).isEqualTo(200);
                    java.util.Set<String> seen = ConcurrentHashMap.newKeySet();
                    try (Load load = new Load(f, f.base("web") + "/slow?ms=20", 4, 1000)) {
                        TestHost.await(Duration.ofSeconds(20), "load running", () -> load.ok.get() > 40);
                        var result = f.host.reload(v2);
                        assertThat(result.ok()).as(result.toString()).isTrue();
                        assertThat(result.applied()).anyMatch(line -> line.startsWith("module proxy reloaded"));
                        int before = load.ok.get();
                        TestHost.await(Duration.ofSeconds(20), "load continues after reload", () -> load.ok.get() > before + 100);
                        load.close();
                        assertThat(load.failures).isEmpty();
                    }
                    assertThat(f.proxy.listenerAddress("web").getPort()).isEqualTo(port);
                    for (int i = 0; i < 4; i++) {
                        RawHttp.Response r = keepAlive.exchange("GET /api HTTP/1.1\r\nHost: x\r\n\r\n");
                        assertThat(r.status()).isEqualTo(200);
                        seen.add(r.body());
                    }
                    assertThat(seen).containsOnly("b", "c");
                }
            }
        }
    }

}
