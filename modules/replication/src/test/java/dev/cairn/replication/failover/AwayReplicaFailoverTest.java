package dev.cairn.replication.failover;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.core.testing.TestHost;
import dev.cairn.core.testing.mariadb.MariaDbServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A replica Cairn cannot reach when the primary dies may be the one that acknowledged the last
 * writes (semi-sync waits for one replica's ack). Real MariaDB, semi-sync AFTER_SYNC, writers
 * logging every acknowledged key: the replica is SIGSTOPped, then the primary SIGKILLed.
 * {@code durability: lossless} refuses and pages until the replica answers again, then fails
 * over to the most advanced replica; {@code available} fails over at once and records the
 * possible loss. Each test builds its own cluster (they kill servers).
 */
class AwayReplicaFailoverTest {

    static final String FAILED_HOOK = "hooks: { failed: [\"echo \\\"$CAIRN_REASON\\\" >> failed.out\"] }\n";

    @TempDir
    Path dir;

    /** What the failed hook wrote, empty before it ran. */
    private String paged() {
        try {
            return Files.exists(dir.resolve("failed.out")) ? Files.readString(dir.resolve("failed.out")) : "";
        } catch (java.io.IOException e) {
            return "";
        }
    }

    @Test
    void losslessRefusesWhileAReplicaIsAwayAndFailsOverToTheMostAdvancedOnceItAnswers() throws Exception {
        try (FailoverFixture f = FailoverFixture.start(dir, 2, PrimaryFailoverTest.AUTO + FAILED_HOOK)) {
            FailoverFixture.Writers w = f.new Writers(2);
            w.awaitAcks(200, Duration.ofSeconds(20));
            MariaDbServer away = f.db.node("node3");
            away.pause();
            TestHost.await(Duration.ofSeconds(20), "node3 seen away while the primary answers", () ->
                    f.failover().state().lastAlive().containsKey("node3")
                            && !f.failover().state().lastAlive().get("node3").reachable());
            w.awaitAcks(100, Duration.ofSeconds(20)); // node2 alone acknowledges now
            f.db.primary().kill();

            TestHost.await(Duration.ofSeconds(30), "the failover refused", () ->
                    f.host.metric("cairn_replication_failovers", "cluster", "main", "result", "refused") >= 1);
            TestHost.await(Duration.ofSeconds(10), "the failed hook paged",
                    () -> paged().contains("node3"));
            assertThat(Files.readString(dir.resolve("failed.out"))).contains("durability lossless");
            assertThat(f.failover().status().get("refused")).asString().contains("node1").contains("[node3]");
            assertThat(f.failover().status().get("automation")).isEqualTo("enabled");
            // Refused every round while node3 stays away (paged once: FailoverDecisionTest).
            long from = f.module.monitor("main").orElseThrow().latest().seq();
            TestHost.await(Duration.ofSeconds(20), "8 more rounds",
                    () -> f.module.monitor("main").orElseThrow().latest().seq() > from + 8);
            assertThat(f.failover().lastResult()).isEmpty();
            assertThat(f.primaryEndpoint()).isEmpty();
            assertThat(f.host.metric("cairn_replication_failovers", "cluster", "main", "result", "success")).isZero();

            away.resume();
            Promotion.Result r = f.awaitPromotion(Duration.ofSeconds(40));
            assertThat(r.ok()).as(r.detail() + "\n" + String.join("\n", r.audit().stream().map(Object::toString).toList())).isTrue();
            w.awaitAcks(100, Duration.ofSeconds(20));
            w.stop();
            assertThat(r.audit()).extracting(AuditLog.Entry::detail).anyMatch(d -> d.contains("was refused until"));
            MariaDbServer promoted = f.db.node(r.newPrimary());
            MariaDbServer other = f.db.node(r.newPrimary().equals("node2") ? "node3" : "node2");
            // The most advanced: the other replica received nothing the promoted one lacks.
            FailoverFixture.awaitCaughtUp(promoted, other, Duration.ofSeconds(20));
            assertThat(FailoverFixture.keys(promoted)).as("acknowledged writes on the new primary").containsAll(w.acked);
            assertThat(FailoverFixture.keys(other)).containsAll(w.acked);
            assertThat(f.failover().status()).doesNotContainKey("refused");
        }
    }

    @Test
    void availableFailsOverAtOnceAndRecordsTheAwayReplicaAsAPossibleLoss() throws Exception {
        // Three replicas: the decision lease needs a majority of the survivors (2 of 3) with one away.
        try (FailoverFixture f = FailoverFixture.start(dir, 3, PrimaryFailoverTest.AUTO.replace("lossless", "available")
                + FAILED_HOOK)) {
            FailoverFixture.Writers w = f.new Writers(2);
            w.awaitAcks(200, Duration.ofSeconds(20));
            MariaDbServer away = f.db.node("node4");
            away.pause();
            TestHost.await(Duration.ofSeconds(20), "node4 seen away while the primary answers", () ->
                    f.failover().state().lastAlive().containsKey("node4")
                            && !f.failover().state().lastAlive().get("node4").reachable());
            f.db.primary().kill();
            Promotion.Result r = f.awaitPromotion(Duration.ofSeconds(60));
            assertThat(r.ok()).as(r.detail() + "\n" + String.join("\n", r.audit().stream().map(Object::toString).toList())).isTrue();
            assertThat(r.newPrimary()).isIn("node2", "node3");
            assertThat(r.audit()).extracting(AuditLog.Entry::detail)
                    .anyMatch(d -> d.startsWith("possible loss: replica(s) [node4]"));
            f.awaitPrimary(r.newPrimary(), Duration.ofSeconds(5));
            w.awaitAcks(100, Duration.ofSeconds(20));
            w.stop();
            assertThat(f.host.metric("cairn_replication_failovers", "cluster", "main", "result", "refused")).isZero();
            assertThat(Files.exists(dir.resolve("failed.out"))).isFalse();
            away.resume();
        }
    }
}
