package dev.cairn.replication.failover;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.core.testing.TestHost;
import dev.cairn.core.testing.mariadb.MariaDbServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The controls around automatic failover on real MariaDB: a silent death (SIGSTOP) is detected,
 * a second failure inside the block period waits for ack, hooks veto and time out, a replica whose
 * IO thread died long before is skipped, and a clean old primary rejoins. Each test builds its
 * own cluster (they kill servers).
 */
class FailoverControlTest {

    @TempDir
    Path dir;

    @Test
    void silentlyHungPrimaryIsReplacedAndStaysFencedWhenItWakesUp() throws Exception {
        try (FailoverFixture f = FailoverFixture.start(dir, 2, PrimaryFailoverTest.AUTO)) {
            FailoverFixture.Writers w = f.new Writers(2);
            w.awaitAcks(100, Duration.ofSeconds(20));
            f.db.primary().pause();
            long stoppedAt = System.nanoTime();
            Promotion.Result r = f.awaitPromotion(Duration.ofSeconds(30));
            assertThat(r.ok()).as(r.detail()).isTrue();
            w.awaitAcks(100, Duration.ofSeconds(20));
            w.stop();
            System.out.printf("first acknowledged write %.2f s after the SIGSTOP%n", (w.firstAckOn(r.newPrimary()) - stoppedAt) / 1e9);
            MariaDbServer promoted = f.db.node(r.newPrimary());
            assertThat(FailoverFixture.keys(promoted)).containsAll(w.acked);

            // It wakes up writable (nothing could reach it to set read_only): still fenced.
            f.db.primary().resume();
            TestHost.await(Duration.ofSeconds(10), "two writable nodes seen",
                    () -> f.host.metric("cairn_replication_writable_primaries", "cluster", "main") == 2);
            assertThat(f.primaryEndpoint().orElseThrow().name()).isEqualTo(r.newPrimary());
        }
    }

    @Test
    void secondFailureInsideTheBlockPeriodWaitsForAckEvenAfterAConfigReload() throws Exception {
        try (FailoverFixture f = FailoverFixture.start(dir, 3, PrimaryFailoverTest.AUTO)) {
            f.db.primary().kill();
            Promotion.Result first = f.awaitPromotion(Duration.ofSeconds(30));
            assertThat(first.ok()).as(first.detail()).isTrue();
            f.awaitPrimary(first.newPrimary(), Duration.ofSeconds(5));
            // A reload that changes the cluster's section restarts its monitor and failover: the
            // block period, the last failover's audit and the max_per_hour count must survive it.
            FailoverController before = f.failover();
            f.reload("drain_stall: 5s\n", "drain_stall: 5s\n        max_per_hour: 3\n");
            assertThat(f.failover()).as("a new controller after the reload").isNotSameAs(before);
            assertThat(f.failover().config().maxPerHour()).isEqualTo(3);
            assertThat(f.failover().lastResult()).containsSame(first);
            assertThat(f.failover().state().control().recoveries()).hasSize(1);
            assertThat(f.failover().state().control().acked()).isFalse();
            f.awaitPrimary(first.newPrimary(), Duration.ofSeconds(10));
            TestHost.await(Duration.ofSeconds(10), "the new primary seen with semi-sync on",
                    () -> f.failover().state().semiSync() == Observation.SemiSync.ON);
            f.db.node(first.newPrimary()).kill();
            TestHost.await(Duration.ofSeconds(20), "the second failover refused",
                    () -> f.host.metric("cairn_replication_failovers", "cluster", "main", "result", "refused") >= 1);
            assertThat(f.failover().status().get("automation").toString()).contains("block_period");
            assertThat(f.failover().lastResult().orElseThrow()).isSameAs(first);
            assertThat(f.primaryEndpoint()).isEmpty();

            f.failover().ack("test");
            TestHost.await(Duration.ofSeconds(20), "the second failover after ack",
                    () -> f.failover().lastResult().orElseThrow() != first);
            Promotion.Result second = f.failover().lastResult().orElseThrow();
            assertThat(second.ok()).as(second.detail()).isTrue();
            assertThat(second.epoch()).isEqualTo(2);
            f.awaitPrimary(second.newPrimary(), Duration.ofSeconds(5));
        }
    }

    @Test
    void vetoingPreHookLeavesTheClusterAsItIsUntilAck() throws Exception {
        try (FailoverFixture f = FailoverFixture.start(dir, 2, PrimaryFailoverTest.AUTO
                + "hooks: { pre: [\"echo no >&2; exit 3\"], failed: [\"echo $CAIRN_REASON > failed.out\"] }\n")) {
            f.db.primary().kill();
            Promotion.Result r = f.awaitPromotion(Duration.ofSeconds(30));
            assertThat(r.ok()).isFalse();
            assertThat(r.detail()).contains("vetoed by pre-hook").contains("exited 3");
            // Nothing changed: no epoch, replicas still point at the old primary, IO threads not touched.
            assertThat(f.publishedEpoch()).isZero();
            for (MariaDbServer rep : f.db.replicas()) {
                assertThat(rep.slaveStatus().get("Master_Port")).isEqualTo(Integer.toString(f.db.primary().port()));
                assertThat(rep.value("SELECT @@read_only")).isEqualTo("1");
            }
            assertThat(f.failover().status().get("automation").toString()).contains("disabled until ack");
            TestHost.await(Duration.ofSeconds(10), "the failed hook", () -> java.nio.file.Files.exists(dir.resolve("failed.out")));
            assertThat(f.host.metric("cairn_replication_failovers", "cluster", "main", "result", "failed")).isEqualTo(1);
        }
    }

    @Test
    void hungPreHookIsKilledAtItsTimeoutAndReleasesTheLease() throws Exception {
        try (FailoverFixture f = FailoverFixture.start(dir, 2, PrimaryFailoverTest.AUTO
                + "hooks: { pre: [\"sleep 600\"], timeout: 1s }\n")) {
            f.db.primary().kill();
            long t0 = System.nanoTime();
            Promotion.Result r = f.awaitPromotion(Duration.ofSeconds(30));
            assertThat(r.ok()).isFalse();
            assertThat(r.detail()).contains("timed out");
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(15));
            // The lease is free again: another decision-maker could take it now.
            List<NodeSql> voters = f.db.replicas().stream().map(n -> new NodeSql(n.name(), n.host(), n.port(), "root", "",
                    Duration.ofSeconds(1), Duration.ofSeconds(2))).toList();
            try (DecisionLease lease = DecisionLease.acquire("main", voters)) {
                assertThat(lease.grantedBy()).hasSize(2);
            }
        }
    }

    @Test
    void replicaWhoseIoThreadDiedLongBeforeIsNeverPromoted() throws Exception {
        try (FailoverFixture f = FailoverFixture.start(dir, 2, PrimaryFailoverTest.AUTO
                + "promotion: { prefer: [node2] }\n")) {
            f.db.node("node2").exec("STOP SLAVE IO_THREAD");
            f.db.primary().exec("INSERT INTO app.t (k) VALUES ('after-io-died')");
            TestHost.await(Duration.ofSeconds(20), "node2's IO thread seen stopped for the grace period", () ->
                    FailoverDecision.brokenBefore(f.failover().state()).contains("node2"));
            f.db.primary().kill();
            Promotion.Result r = f.awaitPromotion(Duration.ofSeconds(30));
            assertThat(r.ok()).as(r.detail()).isTrue();
            assertThat(r.newPrimary()).isEqualTo("node3");
            assertThat(r.audit()).extracting(AuditLog.Entry::detail)
                    .anyMatch(d -> d.startsWith("skipped node2") && d.contains("IO thread"));
            assertThat(FailoverFixture.keys(f.db.node("node3"))).contains("after-io-died");
        }
    }

    @Test
    void cleanOldPrimaryRejoinsAsAReplicaOfTheNewOne() throws Exception {
        try (FailoverFixture f = FailoverFixture.start(dir, 2, PrimaryFailoverTest.AUTO)) {
            f.db.primary().exec("INSERT INTO app.t (k) VALUES ('before')");
            // Covered, not equal: Cairn's heartbeat keeps writing on the primary meanwhile.
            for (MariaDbServer rep : f.db.replicas()) FailoverFixture.awaitCaughtUp(f.db.primary(), rep, Duration.ofSeconds(30));
            f.db.primary().kill();
            Promotion.Result r = f.awaitPromotion(Duration.ofSeconds(30));
            assertThat(r.ok()).as(r.detail()).isTrue();
            // Known the moment the promotion ends, not from the controller's next round.
            assertThat(f.failover().primary()).isEqualTo(r.newPrimary());
            assertThat(f.failover().status()).containsEntry("primary", r.newPrimary()).containsEntry("epoch", 1L);
            MariaDbServer promoted = f.db.node(r.newPrimary());
            promoted.exec("INSERT INTO app.t (k) VALUES ('after')");
            f.db.primary().startAgain(); // read_only=1 from its options, as init-rpl-role=SLAVE would
            Map<String, Object> out = f.failover().rejoin("node1");
            assertThat(out.get("ok")).isEqualTo(true);
            TestHost.await(Duration.ofSeconds(20), "node1 replicating from " + r.newPrimary(), () ->
                    "Yes".equals(f.db.primary().slaveStatus().get("Slave_IO_Running"))
                            && FailoverFixture.keys(f.db.primary()).contains("after"));
            assertThat(f.db.primary().slaveStatus().get("Master_Port")).isEqualTo(Integer.toString(promoted.port()));
            assertThat(f.db.primary().value("SELECT @@read_only")).isEqualTo("1");
            // A second rejoin of the current primary is refused.
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> f.failover().rejoin(r.newPrimary()))
                    .hasMessageContaining("is the current primary");
        }
    }

    @Test
    void laggingReplicasDrainTheirRelayLogsBeforePromotionAndLoseNothing() throws Exception {
        try (FailoverFixture f = FailoverFixture.start(dir, 2, PrimaryFailoverTest.AUTO)) {
            for (MariaDbServer r : f.db.replicas()) r.exec("STOP SLAVE SQL_THREAD");
            StringBuilder rows = new StringBuilder("INSERT INTO app.t (k) VALUES ('lag-0')");
            for (int i = 1; i < 2000; i++) rows.append(",('lag-").append(i).append("')");
            for (int i = 0; i < 5; i++) {
                f.db.primary().exec(rows.toString().replace("'lag-", "'lag" + i + "-"));
            }
            String target = f.db.primary().value("SELECT @@gtid_binlog_pos");
            // Received into the relay logs, not applied.
            TestHost.await(Duration.ofSeconds(10), "relay logs hold everything", () -> f.db.replicas().stream()
                    .allMatch(r -> GtidPosition.parse(r.slaveStatus().get("Gtid_IO_Pos")).covers(GtidPosition.parse(target))));
            assertThat(FailoverFixture.keys(f.db.node("node2"))).doesNotContain("lag0-0");
            f.db.primary().kill();
            Promotion.Result r = f.awaitPromotion(Duration.ofSeconds(30));
            assertThat(r.ok()).as(r.detail()).isTrue();
            assertThat(r.audit()).extracting(AuditLog.Entry::detail).anyMatch(d -> d.contains("SQL thread started first"));
            MariaDbServer promoted = f.db.node(r.newPrimary());
            assertThat(FailoverFixture.keys(promoted)).hasSize(10_000);
            MariaDbServer other = f.db.node(r.newPrimary().equals("node2") ? "node3" : "node2");
            FailoverFixture.awaitCaughtUp(promoted, other, Duration.ofSeconds(20));
            assertThat(FailoverFixture.keys(other)).hasSize(10_000);
        }
    }
}
