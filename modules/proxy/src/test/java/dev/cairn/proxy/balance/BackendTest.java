package dev.cairn.proxy.balance;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.proxy.config.RouteConfig.Balance;
import dev.cairn.spi.catalog.EndpointView;
import dev.cairn.spi.catalog.Health;
import dev.cairn.spi.catalog.ServiceView;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class BackendTest {

    private static EndpointView ep(String name, int weight) {
        return new EndpointView("web", name, "127.0.0.1", 1000 + name.charAt(0), weight, Set.of(), Health.UP, false,
                Instant.now(), "ok");
    }

    private static Map<String, Integer> picks(Backend b, int n) {
        Map<String, Integer> seen = new HashMap<>();
        for (int i = 0; i < n; i++) {
            Backend.Pick p = b.select(Balance.ROUNDROBIN, null, null, Set.of(), 0);
            assertThat(p.endpoint()).isNotNull();
            b.release(p.endpoint());
            seen.merge(p.endpoint().name(), 1, Integer::sum);
        }
        return seen;
    }

    @Test
    void roundRobinKeepsItsSharesAcrossTheIntAndLongOverflow() {
        Backend b = new Backend("web");
        b.refresh(new ServiceView("web", List.of(ep("a", 2), ep("b", 1))));
        for (long start : new long[] {Integer.MAX_VALUE - 5L, Long.MAX_VALUE - 5L}) {
            b.setCursorForTest(start);
            // 30 picks straddle the overflow point; the 2:1 share must hold exactly.
            assertThat(picks(b, 30)).containsEntry("a", 20).containsEntry("b", 10);
        }
    }

    @Test
    void smoothScheduleInterleavesHeavyEndpoints() {
        Backend b = new Backend("web");
        b.refresh(new ServiceView("web", List.of(ep("a", 5), ep("b", 1), ep("c", 1))));
        StringBuilder order = new StringBuilder();
        for (int i = 0; i < 7; i++) {
            Backend.Pick p = b.select(Balance.ROUNDROBIN, null, null, Set.of(), 0);
            order.append(p.endpoint().name());
            b.release(p.endpoint());
        }
        assertThat(order.toString()).isEqualTo("aabacaa");
    }
}
