package dev.cairn.replication.failover;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.core.testing.TestHost;
import dev.cairn.core.testing.mariadb.MariaDbServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The failover control state (block period, max_per_hour, disabled until ack) lives on the
 * database servers ({@code cairn.failover_control}, each server's own unlogged copy), so a
 * restarted Cairn node and every other node agree on it. Real MariaDB primary + 3 replicas (two
 * failovers in a row, each with a majority of the survivors for the decision lease).
 */
class StoredControlTest {

    @TempDir
    Path dir;

    /** The server holds a control copy for cluster main saying the last failover is not acknowledged. */
    static boolean storedNotAcked(MariaDbServer n) {
        try {
            return n.query("SELECT acked FROM cairn.failover_control WHERE cluster = 'main'").stream()
                    .anyMatch(r -> "0".equals(r.get("acked")));
        } catch (IllegalStateException e) {
            return false; // no table yet
        }
    }

    @Test
    void blockPeriodSurvivesARestartAndAnAckOnOneNodeLetsAnotherAct() throws Exception {
        for (String d : List.of("a", "a2", "b")) Files.createDirectories(dir.resolve(d));
        try (FailoverFixture f = FailoverFixture.start(dir.resolve("a"), 3, PrimaryFailoverTest.AUTO)) {
            f.db.primary().kill();
            Promotion.Result first = f.awaitPromotion(Duration.ofSeconds(30));
            assertThat(first.ok()).as(first.detail()).isTrue();
            f.awaitPrimary(first.newPrimary(), Duration.ofSeconds(5));
            MariaDbServer promoted = f.db.node(first.newPrimary());
            for (MariaDbServer n : f.db.replicas()) {
                TestHost.await(Duration.ofSeconds(10), "the control copy on " + n.name(), () -> storedNotAcked(n));
            }
            // Each server's own copy, never in a binary log: no GTID, nothing a replica could see as errant.
            for (Map<String, String> log : promoted.query("SHOW BINARY LOGS")) {
                assertThat(promoted.query("SHOW BINLOG EVENTS IN '" + log.get("Log_name") + "'"))
                        .noneMatch(e -> String.valueOf(e.get("Info")).contains("failover_control"));
            }

            // The Cairn host restarts: a new instance with nothing in memory, on the same servers.
            f.host.close();
            try (FailoverFixture restarted = f.anotherCairn(dir.resolve("a2"), PrimaryFailoverTest.AUTO, first.newPrimary());
                 FailoverFixture other = f.anotherCairn(dir.resolve("b"),
                         PrimaryFailoverTest.AUTO.replace("mode: auto", "mode: manual"), first.newPrimary())) {
                TestHost.await(Duration.ofSeconds(10), "the restarted node read the last failover from the servers", () ->
                        restarted.failover().state().control().recoveries().size() == 1
                                && !restarted.failover().state().control().acked());
                assertThat(restarted.failover().lastResult()).as("the audit log is the old process's").isEmpty();
                TestHost.await(Duration.ofSeconds(10), "the new primary seen with semi-sync on",
                        () -> restarted.failover().state().semiSync() == Observation.SemiSync.ON);

                promoted.kill();
                TestHost.await(Duration.ofSeconds(20), "the second failover refused by the restarted node", () ->
                        restarted.host.metric("cairn_replication_failovers", "cluster", "main", "result", "refused") >= 1);
                assertThat(restarted.failover().status().get("automation").toString()).contains("block_period");
                long from = restarted.module.monitor("main").orElseThrow().latest().seq();
                TestHost.await(Duration.ofSeconds(20), "8 more rounds",
                        () -> restarted.module.monitor("main").orElseThrow().latest().seq() > from + 8);
                assertThat(restarted.failover().lastResult()).isEmpty();
                assertThat(restarted.primaryEndpoint()).isEmpty();

                // The ack is given on the other node (manual: it never promotes by itself).
                Map<String, Object> ack = other.failover().ack("test");
                assertThat(ack.get("detail").toString()).contains("stored on 2 of 4 servers");
                TestHost.await(Duration.ofSeconds(40), "the restarted node's failover after the ack",
                        () -> restarted.failover().lastResult().isPresent());
                Promotion.Result second = restarted.failover().lastResult().orElseThrow();
                assertThat(second.ok()).as(second.detail()).isTrue();
                assertThat(second.epoch()).isEqualTo(2);
                assertThat(second.oldPrimary()).isEqualTo(first.newPrimary());
                other.awaitPrimary(second.newPrimary(), Duration.ofSeconds(10));
                assertThat(other.failover().lastResult()).isEmpty();
            }
        }
    }
}
