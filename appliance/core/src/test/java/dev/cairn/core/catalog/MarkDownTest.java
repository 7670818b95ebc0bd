package dev.cairn.core.catalog;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.core.demo.DemoModule;
import dev.cairn.core.testing.TestHost;
import dev.cairn.spi.catalog.Catalog;
import dev.cairn.spi.catalog.CatalogEvent;
import dev.cairn.spi.catalog.EndpointView;
import dev.cairn.spi.catalog.Health;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link Catalog#markDown}: a module's passive health taking an endpoint down until its check passes rise times. */
class MarkDownTest {

    private static final Duration WAIT = Duration.ofSeconds(15);
    private static final int RISE = 3;

    @TempDir
    Path dir;

    private static EndpointView endpoint(TestHost t, String service) {
        return t.host().catalog().service(service).orElseThrow().endpoints().get(0);
    }

    @Test
    void markedDownEndpointTakesNoTrafficUntilItsCheckPassesRiseTimes() throws Exception {
        int p1 = TestHost.freePort();
        int p2 = TestHost.freePort();
        String ep = "127.0.0.1:" + p1;
        try (TestHost t = TestHost.start(dir, """
                services:
                  web:
                    endpoints: [127.0.0.1:%d]
                    check: { type: http, path: /health, interval: 200ms, rise: %d, fall: 3 }
                  plain:
                    endpoints: [127.0.0.1:%d]
                demo:
                  service: web
                """.formatted(p1, RISE, p2), new DemoModule())) {
            Catalog catalog = t.host().catalog();
            // UP after a passing check: a first check that ran before the demo backend was listening
            // takes a new endpoint DOWN until rise checks pass (more likely on a loaded machine).
            TestHost.await(WAIT, "first check passed, endpoint UP", () -> endpoint(t, "web").lastCheck().equals("HTTP 200")
                    && endpoint(t, "web").health() == Health.UP);
            List<CatalogEvent> events = new CopyOnWriteArrayList<>();
            catalog.subscribe(events::add);

            assertThat(catalog.markDown("nope", ep, "x")).isFalse();
            assertThat(catalog.markDown("web", "127.0.0.1:1", "x")).isFalse();
            EndpointView plain = endpoint(t, "plain");
            assertThat(catalog.markDown("plain", "127.0.0.1:" + p2, "x")).as("no active check").isFalse();
            assertThat(endpoint(t, "plain")).isEqualTo(plain);
            assertThat(plain.health()).isEqualTo(Health.UP);

            double checksBefore = t.metric("cairn_health_check_duration_seconds", "service", "web");
            assertThat(catalog.markDown("web", ep, "5 consecutive failures of live requests (last: 5xx)")).isTrue();
            // The snapshot changes at once, before any listener hears of it.
            EndpointView down = endpoint(t, "web");
            assertThat(down.health()).isEqualTo(Health.DOWN);
            assertThat(down.available()).isFalse();
            // The snapshot's last check may already be a check that was in flight; the event carries the mark.
            assertThat(down.lastCheck()).isIn("marked down: 5 consecutive failures of live requests (last: 5xx)", "HTTP 200");
            TestHost.await(WAIT, "DOWN event delivered", () -> !events.isEmpty());
            assertThat(events.get(0).after().lastCheck()).isEqualTo("marked down: 5 consecutive failures of live requests (last: 5xx)");
            assertThat(t.metric("cairn_service_endpoint_up", "service", "web", "endpoint", ep)).isEqualTo(0.0);
            assertThat(catalog.markDown("web", ep, "again")).as("already down: still true").isTrue();

            TestHost.await(WAIT, "back up after passing checks", () -> endpoint(t, "web").health() == Health.UP);
            double checksAfter = t.metric("cairn_health_check_duration_seconds", "service", "web");
            // rise passing checks, of which one may already have been in flight when it was marked down.
            assertThat(checksAfter - checksBefore).isGreaterThanOrEqualTo(RISE - 1);
            assertThat(endpoint(t, "web").lastCheck()).isEqualTo("HTTP 200");
            assertThat(t.metric("cairn_service_endpoint_up", "service", "web", "endpoint", ep)).isEqualTo(1.0);

            TestHost.await(WAIT, "UP event delivered", () -> events.stream().anyMatch(e -> e.after().health() == Health.UP));
            assertThat(events).extracting(e -> e.kind() + " " + e.service() + " " + e.before().health() + "->" + e.after().health())
                    .containsExactly("HEALTH web UP->DOWN", "HEALTH web DOWN->UP");
        }
    }
}
