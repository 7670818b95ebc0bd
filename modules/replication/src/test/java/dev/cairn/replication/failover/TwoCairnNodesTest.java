package dev.cairn.replication.failover;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.core.testing.TestHost;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two Cairn nodes (two hosts in one JVM, each with its own catalog) watch the same real MariaDB
 * cluster with automatic failover on: when the primary dies at most one promotes (the GET_LOCK
 * majority lease), and both end up publishing the same primary under the same epoch (the epoch
 * record the servers replicate).
 */
class TwoCairnNodesTest {

    @TempDir
    Path dir;

    @Test
    void atMostOneOfTwoCairnNodesPromotesAndBothPublishTheSamePrimary() throws Exception {
        Files.createDirectories(dir.resolve("a"));
        Files.createDirectories(dir.resolve("b"));
        try (FailoverFixture a = FailoverFixture.start(dir.resolve("a"), 2, PrimaryFailoverTest.AUTO);
             FailoverFixture b = a.anotherCairn(dir.resolve("b"), PrimaryFailoverTest.AUTO)) {
            a.db.primary().kill();
            TestHost.await(Duration.ofSeconds(30), "a promotion by either node", () ->
                    a.failover().lastResult().map(Promotion.Result::ok).orElse(false)
                            || b.failover().lastResult().map(Promotion.Result::ok).orElse(false));
            // Give the other node time to act too, if it wrongly would.
            long from = a.module.monitor("main").orElseThrow().latest().seq();
            TestHost.await(Duration.ofSeconds(20), "12 more rounds", () -> a.module.monitor("main").orElseThrow().latest().seq() > from + 12);
            List<Optional<Promotion.Result>> results = List.of(a.failover().lastResult(), b.failover().lastResult());
            long promotions = results.stream().filter(r -> r.map(Promotion.Result::ok).orElse(false)).count();
            assertThat(promotions).as(results.toString()).isEqualTo(1);
            String winner = results.stream().filter(r -> r.map(Promotion.Result::ok).orElse(false)).findFirst()
                    .orElseThrow().orElseThrow().newPrimary();
            for (FailoverFixture f : List.of(a, b)) {
                f.awaitPrimary(winner, Duration.ofSeconds(10));
                TestHost.await(Duration.ofSeconds(10), "epoch 1 everywhere", () -> f.publishedEpoch() == 1);
                assertThat(f.host.metric("cairn_replication_failovers", "cluster", "main", "result", "success"))
                        .isLessThanOrEqualTo(1);
            }
        }
    }
}
