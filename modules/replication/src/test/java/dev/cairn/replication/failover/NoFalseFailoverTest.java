package dev.cairn.replication.failover;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.core.testing.TestHost;
import dev.cairn.replication.topology.AnalysisCode;
import dev.cairn.replication.topology.TopologySnapshot;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What must never fail over, on one shared real cluster with {@code mode: auto, confirm: 2}: a
 * stopped SQL thread, a primary refusing connections, a primary that hangs for less than the
 * replicas' {@code slave_net_timeout} (they still replicate from it: UnreachablePrimary).
 */
class NoFalseFailoverTest {

    @TempDir
    static Path dir;
    static FailoverFixture f;
    static final Set<AnalysisCode> seen = ConcurrentHashMap.newKeySet();

    @BeforeAll
    static void start() throws Exception {
        f = FailoverFixture.start(dir, 2, PrimaryFailoverTest.AUTO);
        f.module.monitor("main").orElseThrow().subscribe(s -> seen.addAll(s.analysis()));
    }

    @AfterAll
    static void stop() {
        if (f != null) f.close();
    }

    /** Waits for {@code rounds} more monitor rounds. */
    static void rounds(int rounds) throws InterruptedException {
        long from = f.module.monitor("main").orElseThrow().latest().seq();
        TestHost.await(Duration.ofSeconds(30), rounds + " monitor rounds", () -> {
            TopologySnapshot s = f.module.monitor("main").orElseThrow().latest();
            return s.seq() >= from + rounds;
        });
    }

    static void assertNoFailover() {
        assertThat(f.failover().lastResult()).isEmpty();
        assertThat(f.failover().state().phase()).isNotEqualTo(FailoverDecision.Phase.RECOVERING);
        assertThat(f.publishedEpoch()).isZero();
        assertThat(f.primaryEndpoint().orElseThrow().name()).isEqualTo("node1");
        assertThat(f.host.metric("cairn_replication_failovers", "cluster", "main", "result", "success")).isZero();
    }

    @Test
    void stoppedSqlThreadsWithThePrimaryAliveAreNoFailover() throws Exception {
        seen.clear();
        for (var r : f.db.replicas()) r.exec("STOP SLAVE SQL_THREAD");
        try {
            TestHost.await(Duration.ofSeconds(10), "AllReplicasNotReplicating", () -> seen.contains(AnalysisCode.ALL_REPLICAS_NOT_REPLICATING));
            rounds(12);
            assertNoFailover();
            assertThat(seen).doesNotContain(AnalysisCode.DEAD_PRIMARY, AnalysisCode.DEAD_PRIMARY_AND_SOME_REPLICAS);
        } finally {
            for (var r : f.db.replicas()) r.exec("START SLAVE SQL_THREAD");
        }
    }

    @Test
    void primaryRefusingConnectionsIsNoFailover() throws Exception {
        seen.clear();
        List<Connection> held = new ArrayList<>();
        try {
            // Exhaust max_connections (60) with the application's user, as a connection leak would.
            for (int i = 0; i < 80; i++) {
                try {
                    held.add(FailoverFixture.connect(f.db.primary().host(), f.db.primary().port(), "app", "app"));
                } catch (SQLException e) {
                    assertThat(e.getErrorCode()).isEqualTo(1040);
                    break;
                }
            }
            assertThat(held.size()).isGreaterThanOrEqualTo(55);
            rounds(12);
            assertNoFailover();
            assertThat(seen).doesNotContain(AnalysisCode.DEAD_PRIMARY, AnalysisCode.DEAD_PRIMARY_AND_SOME_REPLICAS);
        } finally {
            held.forEach(FailoverFixture::closeQuietly);
        }
    }

    @Test
    void primaryHangingShorterThanTheReplicasTimeoutIsUnreachableNotDead() throws Exception {
        seen.clear();
        f.db.primary().pause();
        try {
            // The replicas' slave_net_timeout is 4 s: until then they still hold their connection to
            // it, and Cairn, which cannot reach it after read_timeout (1 s), sees UnreachablePrimary.
            TestHost.await(Duration.ofSeconds(3), "UnreachablePrimary", () -> seen.contains(AnalysisCode.UNREACHABLE_PRIMARY));
        } finally {
            f.db.primary().resume();
        }
        rounds(8);
        assertNoFailover();
        assertThat(EnumSet.copyOf(seen)).doesNotContain(AnalysisCode.DEAD_PRIMARY);
    }

    @Test
    void unsafeReplicaAndSemiSyncSettingsAreWarnedAbout() throws Exception {
        assertThat(f.failover().checkSafety()).isEmpty();
        var node2 = f.db.node("node2");
        node2.exec("SET GLOBAL slave_net_timeout = 60");
        f.db.primary().exec("SET GLOBAL rpl_semi_sync_master_wait_point = AFTER_COMMIT");
        try {
            List<String> w = f.failover().checkSafety();
            assertThat(w).anyMatch(x -> x.startsWith("CAIRN-REPLICATION-0202 node2: slave_net_timeout=60s"))
                    .anyMatch(x -> x.startsWith("CAIRN-REPLICATION-0206 node1") && x.contains("AFTER_COMMIT"));
            assertThat(w).noneMatch(x -> x.contains("node3"));
            assertThat(f.failover().status().get("warnings").toString()).contains("CAIRN-REPLICATION-0202");
        } finally {
            node2.exec("SET GLOBAL slave_net_timeout = 4");
            f.db.primary().exec("SET GLOBAL rpl_semi_sync_master_wait_point = AFTER_SYNC");
        }
    }

    @Test
    void replicaSettingVerdicts() {
        assertThat(SafetyCheck.replica("r", 4, 1, 1)).isEmpty();
        assertThat(SafetyCheck.replica("r", 60, 40, 60)).extracting(x -> x.substring(0, 22))
                .containsExactly("CAIRN-REPLICATION-0202", "CAIRN-REPLICATION-0203", "CAIRN-REPLICATION-0204");
        assertThat(SafetyCheck.replica("r", 4, 0, 1)).singleElement().asString().startsWith("CAIRN-REPLICATION-0203");
        assertThat(SafetyCheck.losslessPrimary("p", "ON", "AFTER_SYNC")).isEmpty();
        assertThat(SafetyCheck.losslessPrimary("p", "OFF", "AFTER_COMMIT")).hasSize(2);
    }
}
