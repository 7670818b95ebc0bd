package dev.cairn.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.core.testing.TestHost;
import dev.cairn.spi.catalog.Health;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BalancingTest {

    @TempDir
    Path dir;

    private static String yaml(String balance, TestBackend a, TestBackend b, int wa, int wb) {
        return "services:\n" + ProxyFixture.service("web", null,
                "{ address: " + a.address() + ", name: a, weight: " + wa + " }",
                "{ address: " + b.address() + ", name: b, weight: " + wb + " }")
                + "proxy:\n  listeners:\n    - name: web\n      bind: 127.0.0.1:0\n      routes:\n"
                + "        - { service: web, balance: " + balance + " }\n";
    }

    private static Map<String, Integer> spread(ProxyFixture f, int n) throws Exception {
        Map<String, Integer> seen = new HashMap<>();
        for (int i = 0; i < n; i++) {
            HttpResponse<String> r = f.get(f.base("web") + "/");
            assertThat(r.statusCode()).isEqualTo(200);
            seen.merge(r.body(), 1, Integer::sum);
        }
        return seen;
    }

    @Test
    void weightedRoundRobinFollowsWeights() throws Exception {
        try (TestBackend a = new TestBackend("a"); TestBackend b = new TestBackend("b");
             ProxyFixture f = new ProxyFixture(dir, yaml("roundrobin", a, b, 3, 1), false)) {
            Map<String, Integer> seen = spread(f, 200);
            assertThat(seen).containsEntry("a", 150).containsEntry("b", 50);
            assertThat(f.host.metric("cairn_proxy_frontend_http_requests", "listener", "web")).isEqualTo(200.0);
            assertThat(f.host.metric("cairn_proxy_server_http_responses", "service", "web", "endpoint", "a", "code", "2xx"))
                    .isEqualTo(150.0);
        }
    }

    @Test
    void weightChangeThroughTheCatalogShiftsTraffic() throws Exception {
        try (TestBackend a = new TestBackend("a"); TestBackend b = new TestBackend("b");
             ProxyFixture f = new ProxyFixture(dir, yaml("roundrobin", a, b, 1, 1), false)) {
            assertThat(spread(f, 40)).containsEntry("a", 20).containsEntry("b", 20);
            var admin = java.net.http.HttpRequest.newBuilder(java.net.URI.create(
                    f.host.adminUrl() + "/api/services/web/endpoints/b/weight?weight=0"))
                    .POST(java.net.http.HttpRequest.BodyPublishers.noBody()).build();
            assertThat(f.http.send(admin, HttpResponse.BodyHandlers.ofString()).statusCode()).isLessThan(300);
            TestHost.await(Duration.ofSeconds(5), "weight 0 reaches the proxy",
                    () -> f.host.metric("cairn_proxy_server_weight", "service", "web", "endpoint", "b") == 0.0);
            assertThat(spread(f, 20)).containsOnlyKeys("a");
        }
    }

    @Test
    void firstSendsEverythingToTheFirstAvailableEndpoint() throws Exception {
        try (TestBackend a = new TestBackend("a"); TestBackend b = new TestBackend("b");
             ProxyFixture f = new ProxyFixture(dir, yaml("first", a, b, 1, 1), false)) {
            assertThat(spread(f, 20)).containsOnlyKeys("a");
        }
    }

    @Test
    void sourceHashKeepsAClientOnOneEndpoint() throws Exception {
        try (TestBackend a = new TestBackend("a"); TestBackend b = new TestBackend("b");
             ProxyFixture f = new ProxyFixture(dir, yaml("source", a, b, 1, 1), false)) {
            assertThat(spread(f, 20)).hasSize(1);
        }
    }

    @Test
    void leastconnAvoidsTheBusyEndpoint() throws Exception {
        try (TestBackend a = new TestBackend("a"); TestBackend b = new TestBackend("b");
             ProxyFixture f = new ProxyFixture(dir, yaml("leastconn", a, b, 1, 1), false)) {
            // Park one slow request on whichever endpoint it lands on; the next ones go to the other.
            var slow = f.http.sendAsync(java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create(f.base("web") + "/slow?ms=3000")).build(), HttpResponse.BodyHandlers.ofString());
            TestHost.await(Duration.ofSeconds(5), "slow request in flight", () -> a.inFlight.get() + b.inFlight.get() == 1);
            String busy = a.inFlight.get() == 1 ? "a" : "b";
            Map<String, Integer> seen = spread(f, 10);
            assertThat(seen).doesNotContainKey(busy);
            assertThat(slow.get().statusCode()).isEqualTo(200);
        }
    }

    @Test
    void allEndpointsDownGivesA503WithABodyAtOnce() throws Exception {
        int p1 = TestHost.freePort();
        int p2 = TestHost.freePort();
        String y = "services:\n" + ProxyFixture.service("demo", ProxyFixture.FAST_HTTP_CHECK,
                "127.0.0.1:" + p1, "127.0.0.1:" + p2)
                + "demo:\n  service: demo\n"
                + "proxy:\n  listeners:\n    - name: web\n      bind: 127.0.0.1:0\n      routes:\n        - { service: demo }\n";
        try (ProxyFixture f = new ProxyFixture(dir, y, true)) {
            assertThat(f.get(f.base("web") + "/").body()).startsWith("hello from demo backend");
            for (int p : new int[] {p1, p2}) {
                f.http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + p + "/_demo/fail"))
                        .POST(java.net.http.HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
            }
            TestHost.await(Duration.ofSeconds(10), "both endpoints down", () -> f.host.host().catalog().service("demo")
                    .orElseThrow().endpoints().stream().allMatch(e -> e.health() == Health.DOWN));
            long t0 = System.nanoTime();
            HttpResponse<String> r = f.get(f.base("web") + "/");
            assertThat(r.statusCode()).isEqualTo(503);
            assertThat(r.body()).contains("503").contains("demo");
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(2));
            assertThat(f.host.metric("cairn_proxy_server_up", "service", "demo", "endpoint", "127.0.0.1:" + p1)).isEqualTo(0.0);
        }
    }
}
