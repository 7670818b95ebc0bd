package dev.cairn.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.cairn.core.testing.TestHost;
import dev.cairn.spi.catalog.CatalogEvent;
import dev.cairn.spi.catalog.EndpointView;
import dev.cairn.spi.catalog.Health;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Passive health as HAProxy's {@code observe layer7 ... on-error mark-down}: live failures mark an
 * endpoint DOWN in the catalog until its active check passes {@code rise} times; a service without
 * a check gets a timed ejection ({@code eject_for}).
 */
class PassiveEjectionTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final int FAILURES = 3;

    @TempDir
    Path dir;

    /**
     * A real HTTP backend whose live answers and health check can fail independently: {@code /health}
     * answers 503 while {@link #failHealth}, anything else 500 while {@link #failLive}.
     */
    private static final class FlakyBackend implements AutoCloseable {
        final HttpServer server;
        final AtomicBoolean failLive = new AtomicBoolean();
        final AtomicBoolean failHealth = new AtomicBoolean();
        /** When positive: health starts failing as this many live requests have failed (no test-thread race). */
        volatile int failHealthAfterLiveFailures;
        final AtomicInteger liveHits = new AtomicInteger();
        final AtomicInteger liveFailures = new AtomicInteger();
        private final ExecutorService pool = Executors.newFixedThreadPool(8, r -> {
            Thread t = new Thread(r, "flaky-backend");
            t.setDaemon(true);
            return t;
        });

        FlakyBackend() throws IOException {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
            server.setExecutor(pool);
            server.createContext("/", this::handle);
            server.start();
        }

        String address() {
            return "127.0.0.1:" + server.getAddress().getPort();
        }

        private void handle(HttpExchange ex) throws IOException {
            try (ex) {
                ex.getRequestBody().readAllBytes();
                int status;
                if (ex.getRequestURI().getPath().equals("/health")) {
                    status = failHealth.get() ? 503 : 200;
                } else {
                    liveHits.incrementAndGet();
                    if (failLive.get()) {
                        int n = liveFailures.incrementAndGet();
                        if (failHealthAfterLiveFailures > 0 && n >= failHealthAfterLiveFailures) failHealth.set(true);
                        status = 500;
                    } else {
                        status = 200;
                    }
                }
                byte[] body = (status == 200 ? "a" : "a failing " + status).getBytes(StandardCharsets.UTF_8);
                ex.sendResponseHeaders(status, body.length);
                ex.getResponseBody().write(body);
            }
        }

        @Override
        public void close() {
            server.stop(0);
            pool.shutdownNow();
        }
    }

    private static String config(FlakyBackend a, TestBackend b, String check, String ejectFor) {
        return "services:\n" + ProxyFixture.service("web", check,
                "{ address: " + a.address() + ", name: a }", "{ address: " + b.address() + ", name: b }")
                + "proxy:\n  passive_health: { failures: " + FAILURES + ", window: 30s, eject_for: " + ejectFor + " }\n"
                + "  listeners:\n    - name: web\n      bind: 127.0.0.1:0\n      routes:\n        - { service: web }\n";
    }

    private static EndpointView a(ProxyFixture f) {
        return f.host.host().catalog().service("web").orElseThrow().endpoints().stream()
                .filter(e -> e.name().equals("a")).findFirst().orElseThrow();
    }

    private static double ejections(ProxyFixture f) {
        double v = f.host.metric("cairn_proxy_server_ejections", "service", "web", "endpoint", "a");
        return Double.isNaN(v) ? 0 : v;
    }

    /** Sends requests (at most 40) until the proxy has ejected a; the ones a answered failed. */
    private static void driveUntilEjected(ProxyFixture f) throws Exception {
        for (int i = 0; i < 40 && ejections(f) < 1; i++) f.get(f.base("web") + "/");
        // The ejection is counted when the failing exchange completes, which may trail the client's response.
        TestHost.await(WAIT, "a ejected", () -> ejections(f) >= 1);
    }

    /** Polls the proxy until a answers a request (a bounded number of requests: one per poll). */
    private static void awaitTrafficTo(ProxyFixture f) throws InterruptedException {
        TestHost.await(WAIT, "a takes requests again", () -> {
            try {
                return f.get(f.base("web") + "/").body().equals("a");
            } catch (Exception e) {
                return false;
            }
        });
    }

    private static List<CatalogEvent> healthEventsOfA(List<CatalogEvent> events) {
        return events.stream().filter(e -> e.kind() == CatalogEvent.Kind.HEALTH && e.after() != null
                && e.after().name().equals("a")).toList();
    }

    @Test
    void liveFailuresMarkTheEndpointDownInTheCatalogUntilItsCheckPassesRiseTimes() throws Exception {
        try (FlakyBackend a = new FlakyBackend(); TestBackend b = new TestBackend("b");
             ProxyFixture f = new ProxyFixture(dir, config(a, b,
                     "{ type: http, path: /health, interval: 200ms, timeout: 1s, rise: 2, fall: 3 }", "100ms"), false)) {
            TestHost.await(WAIT, "a checked", () -> a(f).lastCheck().equals("HTTP 200"));
            List<CatalogEvent> events = new CopyOnWriteArrayList<>();
            f.host.host().catalog().subscribe(events::add);
            double checksBefore = f.host.metric("cairn_health_check_failures", "service", "web", "endpoint", "a");

            a.failLive.set(true); // /health keeps answering 200: only live traffic sees the trouble
            driveUntilEjected(f);
            assertThat(a.liveFailures.get()).isEqualTo(FAILURES);
            // The catalog's own record: marked DOWN by the proxy, although no check failed.
            TestHost.await(WAIT, "a back UP after passing its check",
                    () -> healthEventsOfA(events).stream().anyMatch(e -> e.after().health() == Health.UP));
            List<CatalogEvent> seen = healthEventsOfA(events);
            assertThat(seen).extracting(e -> e.before().health() + "->" + e.after().health())
                    .containsExactly("UP->DOWN", "DOWN->UP");
            assertThat(seen.get(0).after().lastCheck())
                    .startsWith("marked down: " + FAILURES + " consecutive failures of live requests (last: ");
            assertThat(seen.get(1).after().lastCheck()).isEqualTo("HTTP 200");
            // rise=2 checks at 200ms: the DOWN lasted at least one check interval, not a moment.
            assertThat(Duration.between(seen.get(0).after().since(), seen.get(1).after().since()))
                    .isGreaterThanOrEqualTo(Duration.ofMillis(150));
            assertThat(f.host.metric("cairn_health_check_failures", "service", "web", "endpoint", "a"))
                    .isEqualTo(checksBefore);
            assertThat(ejections(f)).isEqualTo(1.0);
            // The proxy follows the catalog: back in rotation.
            a.failLive.set(false);
            awaitTrafficTo(f);
        }
    }

    @Test
    void ejectedEndpointStaysOutPastEjectForWhileItsCheckFailsAndReturnsWhenItPasses() throws Exception {
        // fall 10: the check alone would need 10 failures (2s) to take a down; the proxy does it at once.
        try (FlakyBackend a = new FlakyBackend(); TestBackend b = new TestBackend("b");
             ProxyFixture f = new ProxyFixture(dir, config(a, b,
                     "{ type: http, path: /health, interval: 200ms, timeout: 1s, rise: 2, fall: 10 }", "100ms"), false)) {
            // Let both counters climb to the top (rise + fall - 1 = 11 passing checks each).
            TestHost.await(WAIT, "checks settled",
                    () -> f.host.metric("cairn_health_check_duration_seconds", "service", "web") >= 2 * 11 + 2);
            List<CatalogEvent> events = new CopyOnWriteArrayList<>();
            f.host.host().catalog().subscribe(events::add);

            a.failHealthAfterLiveFailures = FAILURES; // a goes bad for the check too, as the proxy ejects it
            a.failLive.set(true);
            driveUntilEjected(f);
            // The ejection is counted once the catalog has it DOWN.
            assertThat(a(f).health()).isEqualTo(Health.DOWN);
            assertThat(f.host.metric("cairn_service_endpoint_up", "service", "web", "endpoint", "a")).isEqualTo(0.0);

            // Ten times eject_for later it still takes no request: the check has not passed.
            int hitsAtEjection = a.liveHits.get();
            long until = System.nanoTime() + Duration.ofSeconds(1).toNanos();
            int requests = 0;
            while (System.nanoTime() < until && requests < 500) {
                HttpResponse<String> r = f.get(f.base("web") + "/");
                assertThat(r.statusCode()).isEqualTo(200);
                assertThat(r.body()).isEqualTo("b");
                requests++;
            }
            assertThat(requests).isGreaterThan(0);
            assertThat(a.liveHits.get()).isEqualTo(hitsAtEjection);
            assertThat(f.host.metric("cairn_proxy_server_up", "service", "web", "endpoint", "a")).isEqualTo(0.0);
            assertThat(a(f).health()).isEqualTo(Health.DOWN);
            TestHost.await(WAIT, "DOWN event", () -> !healthEventsOfA(events).isEmpty());
            assertThat(healthEventsOfA(events).get(0).after().lastCheck())
                    .as("marked down by the proxy, not by the check (fall 10)").startsWith("marked down: ");

            a.failLive.set(false);
            a.failHealth.set(false);
            a.failHealthAfterLiveFailures = 0;
            TestHost.await(WAIT, "catalog reports a UP", () -> a(f).health() == Health.UP);
            awaitTrafficTo(f);
            assertThat(f.host.metric("cairn_proxy_server_up", "service", "web", "endpoint", "a")).isEqualTo(1.0);
            assertThat(ejections(f)).isEqualTo(1.0);
        }
    }

    @Test
    void reloadThatRemovesTheCheckReadmitsAMarkedDownEndpoint() throws Exception {
        try (FlakyBackend a = new FlakyBackend(); TestBackend b = new TestBackend("b")) {
            String check = "{ type: http, path: /health, interval: 200ms, timeout: 1s, rise: 2, fall: 10 }";
            try (ProxyFixture f = new ProxyFixture(dir, config(a, b, check, "100ms"), false)) {
                TestHost.await(WAIT, "a checked", () -> a(f).lastCheck().equals("HTTP 200"));
                a.failHealthAfterLiveFailures = FAILURES; // its check fails too from then on: it stays DOWN
                a.failLive.set(true);
                driveUntilEjected(f);
                assertThat(a(f).health()).isEqualTo(Health.DOWN);
                a.failLive.set(false);

                var result = f.host.reload(config(a, b, null, "100ms"));
                assertThat(result.ok()).as(result.toString()).isTrue();
                // Without a check the catalog has it UP again, and the proxy's hold ends with that view.
                assertThat(a(f).health()).isEqualTo(Health.UP);
                awaitTrafficTo(f);
            }
        }
    }

    @Test
    void withoutAnActiveCheckTheEjectionLastsEjectFor() throws Exception {
        try (FlakyBackend a = new FlakyBackend(); TestBackend b = new TestBackend("b");
             ProxyFixture f = new ProxyFixture(dir, config(a, b, null, "3s"), false)) {
            a.failLive.set(true);
            driveUntilEjected(f);
            long ejectedAt = System.nanoTime();
            // The catalog has nothing to mark down: its view stays UP, the proxy alone keeps a out.
            assertThat(a(f).health()).isEqualTo(Health.UP);
            assertThat(a(f).lastCheck()).isEqualTo("no check configured");
            assertThat(f.host.metric("cairn_service_endpoint_up", "service", "web", "endpoint", "a")).isEqualTo(1.0);
            int hitsAtEjection = a.liveHits.get();
            for (int i = 0; i < 5; i++) assertThat(f.get(f.base("web") + "/").body()).isEqualTo("b");
            assertThat(a.liveHits.get()).isEqualTo(hitsAtEjection);
            assertThat(f.host.metric("cairn_proxy_server_up", "service", "web", "endpoint", "a")).isEqualTo(0.0);

            a.failLive.set(false);
            awaitTrafficTo(f);
            assertThat(System.nanoTime() - ejectedAt).isGreaterThanOrEqualTo(Duration.ofMillis(2900).toNanos());
        }
    }
}
