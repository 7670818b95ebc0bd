package dev.cairn.replication.topology;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.replication.ReplicationConfig.ClusterConfig;
import dev.cairn.replication.ReplicationConfig.HeartbeatConfig;
import dev.cairn.replication.ReplicationConfig.NodeConfig;
import dev.cairn.replication.ReplicationConfig.PublishConfig;
import dev.cairn.replication.flavour.Dialect;
import dev.cairn.replication.flavour.RecordedRows;
import dev.cairn.replication.flavour.ServerVersion;
import dev.cairn.replication.probe.NodeState;
import dev.cairn.replication.probe.Reach;
import dev.cairn.replication.probe.ReplicaChannel;
import dev.cairn.spi.config.HostPort;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The analysis as a pure function, on a MySQL 8.4 cluster built from recorded SHOW REPLICA
 * STATUS rows: db1 (10.0.0.1:3306) with replicas db2 and db3.
 */
class AnalyzerTest {

    static final Instant NOW = Instant.parse("2026-12-03T12:00:00Z");
    static final ServerVersion MYSQL = ServerVersion.parse("8.4.3", "MySQL Community Server - GPL");
    static final Dialect D = Dialect.of(MYSQL);
    static final String A = RecordedRows.SOURCE_UUID;

    static final ClusterConfig CONFIG = new ClusterConfig(List.of(
            new NodeConfig(HostPort.parse("10.0.0.1:3306"), "db1"),
            new NodeConfig(HostPort.parse("10.0.0.2:3306"), "db2"),
            new NodeConfig(HostPort.parse("10.0.0.3:3306"), "db3")),
            "cairn", Path.of("pw"), null, Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofSeconds(2),
            Duration.ofSeconds(10), Duration.ofSeconds(30), new HeartbeatConfig(false, "cairn.heartbeat", Duration.ofSeconds(1)),
            new PublishConfig(null, null));

    static NodeState primary(boolean readOnly) {
        return new NodeState("db1", HostPort.parse("10.0.0.1:3306"), NOW, Reach.UP, null, 0.002, MYSQL, 1L, A, readOnly, true,
                true, A + ":1-105", A + ":1-105", List.of(), true, Map.of(), Map.of(), null, List.of());
    }

    static NodeState replica(String name, long id, Map<String, String> row, String executed) {
        ReplicaChannel ch = D.channel(row);
        return new NodeState(name, HostPort.parse("10.0.0." + id + ":3306"), NOW, Reach.UP, null, 0.002, MYSQL, id,
                "uuid-" + id, true, true, true, executed, executed, List.of(ch), true, Map.of(), Map.of(), null, List.of());
    }

    static NodeState replica(String name, long id, Map<String, String> row) {
        return replica(name, id, row, A + ":1-105");
    }

    static NodeState down(String name, long id) {
        return NodeState.failed(name, HostPort.parse("10.0.0." + id + ":3306"), NOW, Reach.DOWN,
                "CAIRN-REPLICATION-0001 node " + name + " is unreachable: Connection refused", 0.001);
    }

    static TopologySnapshot analyze(TopologySnapshot prev, NodeState... states) {
        return Analyzer.analyze("main", CONFIG, List.of(states), prev, prev == null ? 1 : prev.seq() + 1, NOW);
    }

    static Map<String, String> sqlStopped() {
        Map<String, String> r = RecordedRows.mysql84Replica();
        r.put("Replica_SQL_Running", "No");
        r.put("Seconds_Behind_Source", null);
        return r;
    }

    @Test
    void healthyMysqlClusterHasNoProblem() {
        TopologySnapshot s = analyze(null, primary(false), replica("db2", 2, RecordedRows.mysql84Replica()),
                replica("db3", 3, RecordedRows.mysql84Replica()));
        assertThat(s.primary()).isEqualTo("db1");
        assertThat(s.analysis()).isEmpty();
        assertThat(s.findings()).isEmpty();
        assertThat(s.replicas()).extracting(NodeView::source).containsExactly("db1", "db1");
        assertThat(s.replicas()).allMatch(NodeView::servesReads);
        assertThat(s.node("db2").orElseThrow().lagSeconds()).isEqualTo(0.0);
    }

    @Test
    void deadPrimaryOnlyWhenCairnAndEveryReachableReplicaLostIt() {
        TopologySnapshot healthy = analyze(null, primary(false), replica("db2", 2, RecordedRows.mysql84Replica()),
                replica("db3", 3, RecordedRows.mysql84Replica()));
        Map<String, String> lost = RecordedRows.mysql84ReplicaSourceLost();
        // Cairn lost it, one replica still receives: unreachable, not dead.
        TopologySnapshot one = analyze(healthy, down("db1", 1), replica("db2", 2, lost), replica("db3", 3, RecordedRows.mysql84Replica()));
        assertThat(one.primary()).isEqualTo("db1");
        assertThat(one.analysis()).containsExactly(AnalysisCode.UNREACHABLE_PRIMARY);
        // Both replicas lost it too: dead.
        TopologySnapshot both = analyze(one, down("db1", 1), replica("db2", 2, lost), replica("db3", 3, lost));
        assertThat(both.analysis()).contains(AnalysisCode.DEAD_PRIMARY);
        assertThat(both.has(AnalysisCode.DEAD_PRIMARY) && AnalysisCode.DEAD_PRIMARY.primaryIsDead()).isTrue();
        // One replica down as well, the other lost it: dead and some replicas.
        TopologySnapshot some = analyze(both, down("db1", 1), replica("db2", 2, lost), down("db3", 3));
        assertThat(some.analysis()).contains(AnalysisCode.DEAD_PRIMARY_AND_SOME_REPLICAS).doesNotContain(AnalysisCode.DEAD_PRIMARY);
        // Nothing answers: no evidence either way.
        TopologySnapshot none = analyze(some, down("db1", 1), down("db2", 2), down("db3", 3));
        assertThat(none.analysis()).containsExactly(AnalysisCode.DEAD_PRIMARY_AND_REPLICAS);
        assertThat(none.primary()).as("remembered").isEqualTo("db1");
    }

    @Test
    void stoppedSqlThreadIsNeverEvidenceOfADeadPrimary() {
        TopologySnapshot healthy = analyze(null, primary(false), replica("db2", 2, RecordedRows.mysql84Replica()),
                replica("db3", 3, RecordedRows.mysql84Replica()));
        TopologySnapshot s = analyze(healthy, down("db1", 1), replica("db2", 2, sqlStopped()), replica("db3", 3, sqlStopped()));
        assertThat(s.analysis()).containsExactly(AnalysisCode.UNREACHABLE_PRIMARY);
        assertThat(s.node("db2").orElseThrow().lagSeconds()).as("SBM NULL and no heartbeat: unknown").isNull();
        TopologySnapshot alive = analyze(s, primary(false), replica("db2", 2, sqlStopped()), replica("db3", 3, RecordedRows.mysql84Replica()));
        assertThat(alive.analysis()).containsExactly(AnalysisCode.REPLICATION_STOPPED);
        assertThat(alive.node("db2").orElseThrow().servesReads()).isFalse();
        TopologySnapshot all = analyze(s, primary(false), replica("db2", 2, sqlStopped()), replica("db3", 3, sqlStopped()));
        assertThat(all.analysis()).containsExactly(AnalysisCode.ALL_REPLICAS_NOT_REPLICATING);
    }

    @Test
    void primaryThatRefusesSessionsIsAliveNotDead() {
        NodeState refusing = NodeState.failed("db1", HostPort.parse("10.0.0.1:3306"), NOW, Reach.REFUSING,
                "CAIRN-REPLICATION-0004 node db1 is alive but refuses new sessions: Too many connections", 0.01);
        Map<String, String> lost = RecordedRows.mysql84ReplicaSourceLost();
        TopologySnapshot s = analyze(null, refusing, replica("db2", 2, lost), replica("db3", 3, lost));
        assertThat(s.primary()).isEqualTo("db1");
        assertThat(s.analysis()).contains(AnalysisCode.UNREACHABLE_PRIMARY).doesNotContain(AnalysisCode.DEAD_PRIMARY);
        assertThat(s.findings("db1")).extracting(Finding::kind).containsExactly(Finding.Kind.TOO_MANY_CONNECTIONS);
    }

    @Test
    void errantTransactionsOfAMysqlReplicaAreNamedButThePrimarysNewerOnesAreNot() {
        String b = RecordedRows.REPLICA_UUID;
        // db2 ran two transactions of its own; db3 has one the primary committed after its probe.
        TopologySnapshot s = analyze(null, primary(false),
                replica("db2", 2, RecordedRows.mysql84Replica(), A + ":1-105," + b + ":1-2"),
                replica("db3", 3, RecordedRows.mysql84Replica(), A + ":1-106"));
        assertThat(s.analysis()).containsExactly(AnalysisCode.ERRANT_GTID);
        assertThat(s.findings("db2")).singleElement().satisfies(f -> {
            assertThat(f.kind()).isEqualTo(Finding.Kind.ERRANT_GTID);
            assertThat(f.message()).contains(b + ":1-2");
        });
        assertThat(s.findings("db3")).isEmpty();
        assertThat(s.node("db2").orElseThrow().servesReads()).isFalse();
    }

    @Test
    void wrongSourceTwoWritableNodesFiltersAndBinlogOffAreFindings() {
        Map<String, String> followsDb2 = RecordedRows.mysql84Replica();
        followsDb2.put("Source_Host", "10.0.0.2");
        Map<String, String> filtered = RecordedRows.mysql84Replica();
        filtered.put("Replicate_Wild_Ignore_Table", "tmp.%");
        NodeState db2 = replica("db2", 2, filtered);
        NodeState db2Writable = new NodeState(db2.node(), db2.address(), NOW, Reach.UP, null, 0.002, MYSQL, 2L, "uuid-2", false,
                false, true, db2.gtidBinlog(), db2.gtidApplied(), db2.channels(), true, Map.of(), Map.of(), null, List.of());
        TopologySnapshot s = analyze(null, primary(false), db2Writable, replica("db3", 3, followsDb2));
        assertThat(s.primary()).isEqualTo("db1");
        assertThat(s.analysis()).contains(AnalysisCode.WRONG_SOURCE, AnalysisCode.MULTIPLE_WRITABLE_NODES);
        List<Finding.Kind> kinds = new ArrayList<>();
        s.findings().forEach(f -> kinds.add(f.kind()));
        assertThat(kinds).contains(Finding.Kind.WRONG_SOURCE, Finding.Kind.MULTIPLE_WRITABLE, Finding.Kind.REPLICATION_FILTERS,
                Finding.Kind.BINLOG_OFF, Finding.Kind.REPLICA_WRITABLE);
        assertThat(s.findings("db3")).anySatisfy(f -> assertThat(f.message()).contains("replicates from db2"));
    }

    @Test
    void readOnlyPrimaryIsNoWritablePrimary() {
        TopologySnapshot s = analyze(null, primary(true), replica("db2", 2, RecordedRows.mysql84Replica()),
                replica("db3", 3, RecordedRows.mysql84Replica()));
        assertThat(s.primary()).isEqualTo("db1");
        assertThat(s.analysis()).containsExactly(AnalysisCode.NO_WRITABLE_PRIMARY);
        assertThat(s.findings("db1")).extracting(Finding::kind).containsExactly(Finding.Kind.PRIMARY_READ_ONLY);
    }

    @Test
    void lockedSemiSyncPrimaryIsReported() {
        NodeState p = primary(false);
        NodeState locked = new NodeState(p.node(), p.address(), NOW, Reach.UP, null, 0.002, MYSQL, 1L, A, false, true, true,
                p.gtidBinlog(), p.gtidApplied(), List.of(), true,
                Map.of("rpl_semi_sync_source_status", "ON", "rpl_semi_sync_source_clients", "0", "rpl_semi_sync_source_wait_sessions", "3"),
                Map.of("rpl_semi_sync_source_enabled", "ON"), null, List.of());
        TopologySnapshot s = analyze(null, locked, replica("db2", 2, RecordedRows.mysql84ReplicaSourceLost()),
                replica("db3", 3, RecordedRows.mysql84ReplicaSourceLost()));
        assertThat(s.analysis()).contains(AnalysisCode.LOCKED_SEMI_SYNC_PRIMARY);
    }
}
