package dev.cairn.replication.failover;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.core.testing.TestHost;
import dev.cairn.core.testing.mariadb.MariaDbServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Automatic failover against a real MariaDB primary + 2 replicas with semi-sync AFTER_SYNC
 * ({@code durability: lossless}), under a continuous write load from clients that follow
 * {@code mysql-primary}. Each test that kills a server builds its own cluster.
 */
class PrimaryFailoverTest {

    static final String AUTO = """
            mode: auto
            durability: lossless
            confirm: 2
            drain_stall: 5s
            """;

    @TempDir
    Path dir;

    @Test
    void killedPrimaryUnderLoadIsReplacedByTheMostAdvancedReplicaWithNoAcknowledgedWriteLost() throws Exception {
        try (FailoverFixture f = FailoverFixture.start(dir, 2, AUTO + "hooks: { post: [\"echo $CAIRN_OLD_PRIMARY $CAIRN_NEW_PRIMARY $CAIRN_EPOCH > post.out\"] }\n")) {
            FailoverFixture.Writers w = f.new Writers(3);
            w.awaitAcks(300, Duration.ofSeconds(20));
            f.db.primary().kill();
            long killedAt = System.nanoTime();

            Promotion.Result r = f.awaitPromotion(Duration.ofSeconds(30));
            assertThat(r.ok()).as(r.detail() + "\n" + String.join("\n", r.audit().stream().map(Object::toString).toList())).isTrue();
            String newPrimary = r.newPrimary();
            assertThat(newPrimary).isIn("node2", "node3");
            f.awaitPrimary(newPrimary, Duration.ofSeconds(5));
            assertThat(f.publishedEpoch()).isEqualTo(r.epoch()).isEqualTo(1);
            // Clients write again through the moved service.
            w.awaitAcks(200, Duration.ofSeconds(20));
            long firstWriteAfter = w.firstAckOn(newPrimary);
            w.stop();

            MariaDbServer promoted = f.db.node(newPrimary);
            MariaDbServer other = f.db.node(newPrimary.equals("node2") ? "node3" : "node2");
            // The other replica follows the new primary by GTID.
            Map<String, String> st = other.slaveStatus();
            assertThat(st.get("Master_Port")).isEqualTo(Integer.toString(promoted.port()));
            assertThat(st.get("Using_Gtid")).isEqualTo("Slave_Pos");
            FailoverFixture.awaitCaughtUp(promoted, other, Duration.ofSeconds(20));
            assertThat(promoted.value("SELECT @@read_only")).isEqualTo("0");
            assertThat(promoted.slaveStatus()).isEmpty();

            Set<String> onPrimary = FailoverFixture.keys(promoted);
            Set<String> onReplica = FailoverFixture.keys(other);
            assertThat(w.acked).hasSizeGreaterThan(500);
            assertThat(onPrimary).as("acknowledged writes on the new primary").containsAll(w.acked);
            assertThat(onReplica).as("acknowledged writes on the repointed replica").containsAll(w.acked);

            // The audit log has every step, in order.
            assertThat(r.audit()).extracting(AuditLog.Entry::step).containsSubsequence(
                    "epoch", "fence", "freeze", "drain", "check", "promote", "verify", "repoint", "publish", "post-hook");
            assertThat(java.nio.file.Files.readString(dir.resolve("post.out")).trim())
                    .isEqualTo("node1 " + newPrimary + " 1");
            assertThat(f.host.metric("cairn_replication_failovers", "cluster", "main", "result", "success")).isEqualTo(1);
            assertThat(f.host.metric("cairn_replication_epoch", "cluster", "main")).isEqualTo(1);
            assertThat(f.host.metric("cairn_replication_failover_duration_seconds", "cluster", "main")).isGreaterThan(0);
            assertThat(f.host.metric("cairn_replication_last_failover_timestamp_seconds", "cluster", "main"))
                    .isCloseTo(System.currentTimeMillis() / 1000.0, org.assertj.core.data.Offset.offset(60.0));
            System.out.printf("first acknowledged write %.2f s after the SIGKILL; failover took %d ms%n",
                    (firstWriteAfter - killedAt) / 1e9, r.durationMillis());

            // The old primary comes back writable: it stays out of mysql-primary under the new epoch.
            f.db.primary().startAgain();
            f.db.primary().exec("SET GLOBAL read_only = 0");
            TestHost.await(Duration.ofSeconds(10), "two writable nodes seen",
                    () -> f.host.metric("cairn_replication_writable_primaries", "cluster", "main") == 2);
            assertThat(f.failover().status().get("fenced").toString()).contains("node1");
            assertThat(f.primaryEndpoint().orElseThrow().name()).isEqualTo(newPrimary);
            assertThat(f.publishedEpoch()).isEqualTo(1);

            // An errant write on it: rejoin refuses and names the transaction.
            f.db.primary().exec("INSERT INTO app.t (k) VALUES ('errant')");
            assertThatRejoinRefused(f, "node1");
            assertThat(f.primaryEndpoint().orElseThrow().name()).isEqualTo(newPrimary);
        }
    }

    static void assertThatRejoinRefused(FailoverFixture f, String node) {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> f.failover().rejoin(node))
                .isInstanceOf(dev.cairn.spi.Module.ActionException.class)
                .hasMessageContaining("has transactions").hasMessageContaining("0-1-");
    }
}
