package dev.cairn.replication;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.core.testing.TestHost;
import dev.cairn.core.testing.mariadb.MariaDbServer;
import dev.cairn.replication.probe.IoState;
import dev.cairn.replication.probe.Reach;
import dev.cairn.replication.topology.AnalysisCode;
import dev.cairn.replication.topology.Finding;
import dev.cairn.replication.topology.NodeView;
import dev.cairn.replication.topology.Role;
import dev.cairn.replication.topology.TopologySnapshot;
import dev.cairn.spi.catalog.EndpointView;
import dev.cairn.spi.catalog.Health;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The monitor against a real MariaDB primary and two replicas (one cluster for the class; each
 * test restores what it broke, the destructive ones run last). Timings: interval 250ms,
 * read_timeout 1s; the harness's replicas give up on a silent primary after slave_net_timeout=4s.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ReplicationMonitorTest {

    @TempDir
    static Path dir;
    static ReplicationFixture f;

    static final Duration WAIT = Duration.ofSeconds(15);

    @BeforeAll
    static void start() throws Exception {
        f = new ReplicationFixture(dir);
        f.startHost("replication:\n  clusters:\n"
                + f.cluster("main", "monitor.password", ReplicationFixture.MONITOR_USER,
                "      warn_lag: 1s\n      max_lag: 2s\n"
                        + "      heartbeat: { interval: 250ms }\n"
                        + "      publish: { primary: mysql-primary, replicas: mysql-replicas }\n")
                + f.cluster("limited", "limited.password", "limited", "      heartbeat: { enabled: false }\n")
                + f.cluster("badpw", "wrong.password", ReplicationFixture.MONITOR_USER, "      heartbeat: { enabled: false }\n"));
    }

    @AfterAll
    static void stop() {
        if (f != null) f.close();
    }

    static MariaDbServer primary() {
        return f.db.primary();
    }

    static MariaDbServer node2() {
        return f.db.replicas().get(0);
    }

    static MariaDbServer node3() {
        return f.db.replicas().get(1);
    }

    static boolean healthy(TopologySnapshot s) {
        return "node1".equals(s.primary()) && s.analysis().isEmpty()
                && s.replicas().size() == 2 && s.replicas().stream().allMatch(NodeView::servesReads);
    }

    static List<EndpointView> endpoints(String service) {
        return f.host.host().catalog().service(service).orElseThrow().endpoints();
    }

    @Test
    @Order(1)
    void healthyClusterShowsTopologyLagMetricsAndPublishedServices() throws Exception {
        TopologySnapshot s = f.await("main", WAIT, "a healthy topology with heartbeat lag", t -> healthy(t)
                && t.replicas().stream().allMatch(NodeView::lagFromHeartbeat));
        NodeView p = s.primaryNode().orElseThrow();
        assertThat(p.role()).isEqualTo(Role.PRIMARY);
        assertThat(p.state().version().shortName()).startsWith("MariaDB 10.11");
        assertThat(p.state().readOnly()).isFalse();
        for (NodeView r : s.replicas()) {
            assertThat(r.source()).isEqualTo("node1");
            assertThat(r.state().readOnly()).isTrue();
            assertThat(r.state().channel().io()).isEqualTo(IoState.YES);
            assertThat(r.state().channel().receivedGtid()).isNotEmpty();
            assertThat(r.lagFromHeartbeat()).isTrue();
            assertThat(r.lagSeconds()).isLessThan(1.0);
        }
        assertThat(s.findings()).isEmpty();

        assertThat(f.host.metric("mysql_up", "cluster", "main", "instance", "node1")).isEqualTo(1);
        assertThat(f.host.metric("mysql_global_variables_read_only", "cluster", "main", "instance", "node2")).isEqualTo(1);
        assertThat(f.host.metric("mysql_slave_status_slave_io_running", "cluster", "main", "instance", "node2",
                "channel_name", "", "connection_name", "", "master_host", "127.0.0.1", "master_uuid", "")).isEqualTo(1);
        assertThat(f.host.metric("mysql_slave_status_seconds_behind_master", "cluster", "main", "instance", "node3",
                "channel_name", "", "connection_name", "", "master_host", "127.0.0.1", "master_uuid", "")).isEqualTo(0);
        assertThat(f.host.metric("cairn_replication_role", "cluster", "main", "instance", "node1", "role", "primary")).isEqualTo(1);
        assertThat(f.host.metric("cairn_replication_analysis", "cluster", "main", "code", "DeadPrimary")).isEqualTo(0);
        assertThat(f.host.metric("cairn_replication_lag_seconds", "cluster", "main", "instance", "node2")).isLessThan(1.0);
        assertThat(f.host.metric("cairn_replication_probe_duration_seconds", "cluster", "main", "instance", "node2"))
                .isGreaterThan(0).isLessThan(1.0);

        // The heartbeat (pt-heartbeat's table) is written on the primary and replicated.
        TestHost.await(WAIT, "heartbeat rows on the replicas", () ->
                "1".equals(node3().value("SELECT server_id FROM cairn.heartbeat")));
        assertThat(f.host.metric("mysql_heartbeat_stored_timestamp_seconds", "cluster", "main", "instance", "node2",
                "server_id", "1")).isGreaterThan(Instant.now().getEpochSecond() - 5);

        TestHost.await(WAIT, "published services", () ->
                endpoints("mysql-primary").size() == 1 && endpoints("mysql-replicas").size() == 2
                        && endpoints("mysql-replicas").stream().allMatch(e -> e.health() == Health.UP));
        EndpointView pe = endpoints("mysql-primary").get(0);
        assertThat(pe.name()).isEqualTo("node1");
        assertThat(pe.port()).isEqualTo(primary().port());
        assertThat(pe.health()).isEqualTo(Health.UP);

        // The status verb's data: the tree through the admin API.
        HttpResponse<String> tree = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create(f.host.adminUrl() + "/api/modules/replication/tree?cluster=main")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(tree.statusCode()).isEqualTo(200);
        assertThat(ReplicationCommand.unquote(tree.body())).startsWith("cluster main: primary node1, analysis NoProblem\n")
                .contains("node1 [" + primary().address() + "] primary, MariaDB 10.11")
                .contains("├─ node2 [" + node2().address() + "] replica")
                .contains("└─ node3 [" + node3().address() + "] replica");
        // The status page shows the tree with its lines.
        HttpResponse<String> page = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(f.host.adminUrl() + "/")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(page.body()).contains("<pre>cluster main: primary node1, analysis NoProblem\nnode1 [");
        CliRun cli = cli("status", "main");
        assertThat(cli.code()).as(cli.out()).isEqualTo(0);
        // (contains, not startsWith: the host's log lines share the captured stdout)
        assertThat(cli.out()).contains("cluster main: primary node1, analysis NoProblem\n").contains("├─ node2");
    }

    record CliRun(int code, String out) {
    }

    /** {@code cairn replication ARGS} against the running host, as an operator runs it. */
    static CliRun cli(String... args) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        java.io.PrintStream old = System.out;
        System.setOut(new java.io.PrintStream(out, true, java.nio.charset.StandardCharsets.UTF_8));
        try {
            List<String> all = new java.util.ArrayList<>(List.of("replication", "-c", f.host.configFile().toString(),
                    "--url", f.host.adminUrl()));
            all.addAll(List.of(args));
            int code = dev.cairn.core.cli.Main.execute(dev.cairn.core.config.ModuleRegistry.of(new ReplicationModule()),
                    all.toArray(String[]::new));
            return new CliRun(code, out.toString(java.nio.charset.StandardCharsets.UTF_8));
        } finally {
            System.setOut(old);
        }
    }

    @Test
    @Order(2)
    void stoppedSqlThreadGrowsHeartbeatLagWithNullSecondsBehindAndIsNoDeadPrimary() throws Exception {
        f.await("main", WAIT, "healthy", ReplicationMonitorTest::healthy);
        node3().exec("STOP SLAVE SQL_THREAD");
        Instant stoppedAt = Instant.now();
        try {
        TopologySnapshot s = f.await("main", WAIT, "node3 lag above 3s", t ->
                t.node("node3").map(v -> v.lagSeconds() != null && v.lagSeconds() > 3).orElse(false));
        NodeView n3 = s.node("node3").orElseThrow();
        double trueLag = Duration.between(stoppedAt, n3.state().probedAt()).toNanos() / 1e9;
        // The last heartbeat node3 applied is at most one heartbeat interval (250ms) older than the stop.
        assertThat(n3.lagSeconds()).isBetween(trueLag - 0.3, trueLag + 1.0);
        assertThat(n3.lagFromHeartbeat()).isTrue();
        assertThat(n3.state().channel().secondsBehind()).as("Seconds_Behind_Master reads NULL").isNull();
        assertThat(f.host.metric("mysql_slave_status_seconds_behind_master", "cluster", "main", "instance", "node3",
                "channel_name", "", "connection_name", "", "master_host", "127.0.0.1", "master_uuid", "")).isNaN();
        assertThat(s.analysis()).contains(AnalysisCode.REPLICATION_STOPPED)
                .doesNotContain(AnalysisCode.DEAD_PRIMARY, AnalysisCode.DEAD_PRIMARY_AND_SOME_REPLICAS, AnalysisCode.UNREACHABLE_PRIMARY);
        assertThat(s.findings("node3")).extracting(Finding::kind)
                .contains(Finding.Kind.SQL_THREAD_NOT_RUNNING, Finding.Kind.LAG_ABOVE_MAX);
        TestHost.await(WAIT, "node3 leaves mysql-replicas", () -> endpoints("mysql-replicas").stream()
                .anyMatch(e -> e.name().equals("node3") && e.health() == Health.DOWN));
        } finally {
            node3().exec("START SLAVE SQL_THREAD");
        }
        f.await("main", WAIT, "healthy again", ReplicationMonitorTest::healthy);
    }

    @Test
    @Order(3)
    void stoppedIoThreadIsReplicationStoppedNotDeadPrimary() throws Exception {
        f.await("main", WAIT, "healthy", ReplicationMonitorTest::healthy);
        node2().exec("STOP SLAVE IO_THREAD");
        try {
        TopologySnapshot s = f.await("main", WAIT, "node2 IO thread stopped", t ->
                t.node("node2").map(v -> v.state().up() && v.state().channel().io() == IoState.NO).orElse(false));
        assertThat(s.analysis()).contains(AnalysisCode.REPLICATION_STOPPED).doesNotContain(AnalysisCode.DEAD_PRIMARY);
        assertThat(s.findings("node2")).extracting(Finding::kind).contains(Finding.Kind.IO_THREAD_NOT_RUNNING);
        assertThat(f.host.metric("mysql_slave_status_slave_io_running", "cluster", "main", "instance", "node2",
                "channel_name", "", "connection_name", "", "master_host", "127.0.0.1", "master_uuid", "")).isEqualTo(0);
        } finally {
            node2().exec("START SLAVE IO_THREAD");
        }
        f.await("main", WAIT, "healthy again", ReplicationMonitorTest::healthy);
    }

    @Test
    @Order(4)
    void replicaFollowingAnotherReplicaIsWrongSource() throws Exception {
        f.await("main", WAIT, "healthy", ReplicationMonitorTest::healthy);
        f.db.replicateFrom(node3(), node2());
        try {
        TopologySnapshot s = f.await("main", WAIT, "node3 follows node2", t ->
                t.node("node3").map(v -> "node2".equals(v.source())).orElse(false) && t.has(AnalysisCode.WRONG_SOURCE));
        assertThat(s.primary()).isEqualTo("node1");
        assertThat(s.findings("node3")).anySatisfy(x -> {
            assertThat(x.kind()).isEqualTo(Finding.Kind.WRONG_SOURCE);
            assertThat(x.message()).contains("replicates from node2, not from the primary node1");
        });
        assertThat(s.node("node3").orElseThrow().servesReads()).isFalse();
        } finally {
            f.db.replicateFrom(node3(), primary());
        }
        f.await("main", WAIT, "healthy again", ReplicationMonitorTest::healthy);
    }

    @Test
    @Order(5)
    void missingGrantIsAClearErrorNamingTheGrantAndTheNode() throws Exception {
        TopologySnapshot s = f.await("limited", WAIT, "limited cluster probed", t -> t.nodes().stream().allMatch(v -> v.state().up()));
        assertThat(s.findings()).filteredOn(x -> x.kind() == Finding.Kind.MISSING_GRANT).hasSize(3)
                .allSatisfy(x -> assertThat(x.message()).contains("CAIRN-REPLICATION-0003", "REPLICA MONITOR", "SHOW ALL SLAVES STATUS"));
        assertThat(s.findings("node2")).extracting(Finding::kind).contains(Finding.Kind.MISSING_GRANT);
        assertThat(s.primary()).as("the one writable node").isEqualTo("node1");
        assertThat(s.analysis()).doesNotContain(AnalysisCode.DEAD_PRIMARY, AnalysisCode.DEAD_PRIMARY_AND_SOME_REPLICAS);
    }

    @Test
    @Order(6)
    void wrongPasswordFileIsAccessDeniedNotADeadPrimary() throws Exception {
        TopologySnapshot s = f.await("badpw", WAIT, "badpw cluster probed", t -> t.nodes().stream()
                .allMatch(v -> v.state().reach() == Reach.REFUSING));
        assertThat(s.findings("node1")).singleElement().satisfies(x -> {
            assertThat(x.kind()).isEqualTo(Finding.Kind.ACCESS_DENIED);
            assertThat(x.message()).contains("CAIRN-REPLICATION-0002", "node1", "'cairn'", "password_file");
        });
        assertThat(s.analysis()).doesNotContain(AnalysisCode.DEAD_PRIMARY, AnalysisCode.DEAD_PRIMARY_AND_SOME_REPLICAS,
                AnalysisCode.DEAD_PRIMARY_AND_REPLICAS);
        assertThat(f.host.metric("mysql_up", "cluster", "badpw", "instance", "node1")).isEqualTo(0);
        assertThat(f.host.host().moduleStatus().get("replication").healthy()).isFalse();
    }

    @Test
    @Order(7)
    void exhaustedMaxConnectionsOnThePrimaryIsNotADeadPrimary() throws Exception {
        f.await("main", WAIT, "healthy", ReplicationMonitorTest::healthy);
        primary().exec("CREATE USER IF NOT EXISTS 'filler'@'127.0.0.1' IDENTIFIED BY 'filler'");
        int max = Integer.parseInt(primary().value("SELECT @@max_connections"));
        int used = Integer.parseInt(primary().value("SELECT COUNT(*) FROM information_schema.PROCESSLIST"));
        List<java.sql.Connection> fill = new java.util.ArrayList<>();
        try {
            for (int i = 0; i < max - used + 5 && fill.size() < 200; i++) {
                try {
                    fill.add(new com.mysql.cj.jdbc.Driver().connect(primary().jdbcUrl("mysql") + "?connectTimeout=2000&socketTimeout=2000",
                            props("filler", "filler")));
                } catch (java.sql.SQLException e) {
                    assertThat(e.getErrorCode()).isEqualTo(1040);
                    break;
                }
            }
            // The monitor's own probe connection was open before: node1 stays up, the cluster healthy.
            TopologySnapshot s = f.await("main", WAIT, "a round with max_connections exhausted", t -> true);
            assertThat(s.primaryNode().orElseThrow().state().reach()).isEqualTo(Reach.UP);
            assertThat(s.analysis()).doesNotContain(AnalysisCode.DEAD_PRIMARY, AnalysisCode.UNREACHABLE_PRIMARY);
            // A monitor connecting afresh is refused: the primary is alive, not dead.
            ReplicationConfig.ClusterConfig cfg = f.monitor("main").config();
            try (ClusterMonitor fresh = new ClusterMonitor("fresh", cfg, ReplicationFixture.MONITOR_PASSWORD, java.time.Clock.systemUTC())) {
                TopologySnapshot t = fresh.round();
                assertThat(t.node("node1").orElseThrow().state().reach()).isEqualTo(Reach.REFUSING);
                assertThat(t.findings("node1")).extracting(Finding::kind).containsExactly(Finding.Kind.TOO_MANY_CONNECTIONS);
                assertThat(t.findings("node1").get(0).message()).contains("CAIRN-REPLICATION-0004", "alive");
                assertThat(t.analysis()).contains(AnalysisCode.UNREACHABLE_PRIMARY)
                        .doesNotContain(AnalysisCode.DEAD_PRIMARY, AnalysisCode.DEAD_PRIMARY_AND_SOME_REPLICAS);
            }
        } finally {
            for (java.sql.Connection c : fill) c.close();
        }
        f.await("main", WAIT, "healthy again", ReplicationMonitorTest::healthy);
    }

    @Test
    @Order(71)
    void heartbeatStopsOnAReadOnlyPrimaryAndResumesWhenWritable() throws Exception {
        f.await("main", WAIT, "healthy", ReplicationMonitorTest::healthy);
        primary().exec("SET GLOBAL read_only = 1");
        try {
            f.await("main", WAIT, "NoWritablePrimary", t -> t.has(AnalysisCode.NO_WRITABLE_PRIMARY));
            String gtid = primary().value("SELECT @@gtid_binlog_pos");
            long writes = f.module.heartbeat("main").orElseThrow().writes();
            // Four heartbeat intervals: nothing is written to the read_only node.
            long seq0 = f.monitor("main").latest().seq();
            f.await("main", WAIT, "four more rounds", t -> t.seq() >= seq0 + 4);
            assertThat(primary().value("SELECT @@gtid_binlog_pos")).isEqualTo(gtid);
            assertThat(f.module.heartbeat("main").orElseThrow().writes()).isEqualTo(writes);
            TestHost.await(WAIT, "mysql-primary DOWN while read_only", () -> endpoints("mysql-primary").get(0).health() == Health.DOWN);
        } finally {
            primary().exec("SET GLOBAL read_only = 0");
        }
        f.await("main", WAIT, "healthy again", ReplicationMonitorTest::healthy);
        TestHost.await(WAIT, "heartbeat written again", () -> !primary().value("SELECT @@gtid_binlog_pos").isEmpty()
                && f.module.heartbeat("main").orElseThrow().lastError() == null);
    }

    @Test
    @Order(72)
    void reloadRestartsOnlyTheClusterThatChanged() throws Exception {
        ClusterMonitor main = f.monitor("main");
        ClusterMonitor limited = f.monitor("limited");
        String yaml = java.nio.file.Files.readString(f.host.configFile());
        var r = f.host.reload(yaml.replace("      heartbeat: { enabled: false }\n    badpw:", "      heartbeat: { enabled: false }\n      warn_lag: 5s\n    badpw:"));
        assertThat(r.ok()).as(r.toString()).isTrue();
        assertThat(f.monitor("main")).isSameAs(main);
        assertThat(f.monitor("limited")).isNotSameAs(limited);
        assertThat(f.monitor("limited").config().warnLag()).hasSeconds(5);
        // A bad reload keeps what runs.
        var bad = f.host.reload(yaml.replace("read_timeout: 1s", "read_timeout: 1ms"));
        assertThat(bad.ok()).isFalse();
        assertThat(f.monitor("main")).isSameAs(main);
        f.await("main", WAIT, "still healthy", ReplicationMonitorTest::healthy);
        assertThat(f.host.reload(yaml).ok()).isTrue();
    }

    @Test
    @Order(73)
    void mysqldExporterFamiliesTurnOffAndOnLiveWithCairnsOwnKept() throws Exception {
        ClusterMonitor main = f.monitor("main");
        String yaml = java.nio.file.Files.readString(f.host.configFile());
        var off = f.host.reload(yaml.replace("replication:\n", "replication:\n  mysqld_metrics: false\n"));
        assertThat(off.ok()).as(off.toString()).isTrue();
        assertThat(f.monitor("main")).as("a metrics switch restarts no cluster").isSameAs(main);
        assertThat(f.host.metric("mysql_up", "cluster", "main", "instance", "node1")).isNaN();
        assertThat(f.host.metric("mysql_global_variables_read_only", "cluster", "main", "instance", "node2")).isNaN();
        assertThat(f.host.metric("cairn_replication_role", "cluster", "main", "instance", "node1", "role", "primary")).isEqualTo(1);
        assertThat(f.host.reload(yaml).ok()).isTrue();
        assertThat(f.host.metric("mysql_up", "cluster", "main", "instance", "node1")).isEqualTo(1);
    }

    @Test
    @Order(74)
    void aProbeConnectionTheServerClosedIsReopenedWithoutReportingTheNodeDown() throws Exception {
        f.await("main", WAIT, "healthy", ReplicationMonitorTest::healthy);
        long seq0 = f.monitor("main").latest().seq();
        for (var row : node3().query("SELECT ID FROM information_schema.PROCESSLIST WHERE USER = 'cairn'")) {
            node3().exec("KILL CONNECTION " + row.get("ID"));
        }
        for (long want = seq0 + 1; want <= seq0 + 4; want++) {
            long w = want;
            TopologySnapshot s = f.await("main", WAIT, "round " + w, t -> t.seq() >= w);
            assertThat(s.node("node3").orElseThrow().state().reach()).as("round " + s.seq()).isEqualTo(Reach.UP);
        }
    }

    static java.util.Properties props(String user, String pw) {
        java.util.Properties p = new java.util.Properties();
        p.setProperty("user", user);
        p.setProperty("password", pw);
        return p;
    }

    @Test
    @Order(80)
    void pausedPrimaryIsDownWithinReadTimeoutUnreachableWhileReplicasHoldOnThenDead() throws Exception {
        f.await("main", WAIT, "healthy", ReplicationMonitorTest::healthy);
        primary().pause();
        Instant pausedAt = Instant.now();
        try {
            TopologySnapshot s = f.await("main", WAIT, "node1 down", t -> !t.primaryNode().orElseThrow().state().up());
            // Down within read_timeout (1s) of the first round that started after the pause (interval 250ms).
            assertThat(Duration.between(pausedAt, Instant.now())).isLessThan(Duration.ofMillis(1000 + 250 + 750));
            assertThat(s.primaryNode().orElseThrow().state().error()).contains("CAIRN-REPLICATION-0007");
            // The others were probed in the same round.
            for (String n : List.of("node2", "node3")) {
                NodeView v = s.node(n).orElseThrow();
                assertThat(v.state().up()).isTrue();
                assertThat(v.state().probeSeconds()).as("not stalled by node1").isLessThan(0.9);
            }
            // Replicas still hold their connection (slave_net_timeout 4s): unreachable, not dead.
            assertThat(s.analysis()).contains(AnalysisCode.UNREACHABLE_PRIMARY).doesNotContain(AnalysisCode.DEAD_PRIMARY);
            assertThat(s.replicas()).allSatisfy(r -> assertThat(r.state().channel().io()).isEqualTo(IoState.YES));
            // The IO thread "lags" (it receives nothing) and Seconds_Behind_Master reads 0; the heartbeat tells the truth.
            TopologySnapshot later = f.await("main", WAIT, "replica lag above 1.5s", t ->
                    t.node("node2").map(v -> v.lagSeconds() != null && v.lagSeconds() > 1.5).orElse(false)
                            && t.has(AnalysisCode.UNREACHABLE_PRIMARY));
            NodeView n2 = later.node("node2").orElseThrow();
            assertThat(n2.state().channel().secondsBehind()).isEqualTo(0L);
            double trueLag = Duration.between(pausedAt, n2.state().probedAt()).toNanos() / 1e9;
            assertThat(n2.lagSeconds()).isBetween(trueLag - 0.3, trueLag + 1.0);
            // Once the replicas give up on it (slave_net_timeout), it is dead.
            TopologySnapshot dead = f.await("main", WAIT, "DeadPrimary", t -> t.has(AnalysisCode.DEAD_PRIMARY));
            assertThat(dead.primary()).isEqualTo("node1");
            assertThat(dead.replicas()).allSatisfy(r -> assertThat(r.state().channel().io()).isNotEqualTo(IoState.YES));
            TestHost.await(WAIT, "mysql-primary DOWN", () -> endpoints("mysql-primary").get(0).health() == Health.DOWN);
            // A probe that must connect to the hung server (TCP accepted, no handshake) returns too.
            try (var probe = new dev.cairn.replication.probe.NodeProbe("node1", dev.cairn.spi.config.HostPort.parse(primary().address()),
                    ReplicationFixture.MONITOR_USER, ReplicationFixture.MONITOR_PASSWORD, Duration.ofMillis(500), Duration.ofSeconds(1),
                    null, java.time.Clock.systemUTC())) {
                long t0 = System.nanoTime();
                var st = probe.probe();
                assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(3));
                assertThat(st.reach()).isEqualTo(Reach.DOWN);
                assertThat(st.error()).contains("CAIRN-REPLICATION-0007");
            }
        } finally {
            primary().resume();
        }
        f.await("main", Duration.ofSeconds(30), "healthy after SIGCONT", ReplicationMonitorTest::healthy);
    }

    @Test
    @Order(90)
    void errantTransactionOnAReplicaIsNamed() throws Exception {
        f.await("main", WAIT, "healthy", ReplicationMonitorTest::healthy);
        // root bypasses read_only: a write on the replica, as a careless operator would.
        node2().exec("CREATE DATABASE IF NOT EXISTS oops; CREATE TABLE oops.t (k INT PRIMARY KEY); INSERT INTO oops.t VALUES (1)");
        TopologySnapshot s = f.await("main", WAIT, "ErrantGtid", t -> t.has(AnalysisCode.ERRANT_GTID));
        assertThat(s.findings("node2")).anySatisfy(x -> {
            assertThat(x.kind()).isEqualTo(Finding.Kind.ERRANT_GTID);
            assertThat(x.message()).contains("0-2-", "never had");
        });
        assertThat(s.node("node2").orElseThrow().servesReads()).isFalse();
        assertThat(s.findings("node3")).extracting(Finding::kind).doesNotContain(Finding.Kind.ERRANT_GTID);
    }

    @Test
    @Order(100)
    void killedPrimaryIsDeadOnceTheReplicasLoseIt() throws Exception {
        f.await("main", WAIT, "primary up", t -> t.primaryNode().map(p -> p.state().up()).orElse(false));
        primary().kill();
        TopologySnapshot s = f.await("main", WAIT, "DeadPrimary", t -> t.has(AnalysisCode.DEAD_PRIMARY));
        assertThat(s.primary()).isEqualTo("node1");
        assertThat(s.primaryNode().orElseThrow().state().error()).contains("CAIRN-REPLICATION-0001");
        assertThat(f.host.metric("cairn_replication_analysis", "cluster", "main", "code", "DeadPrimary")).isEqualTo(1);
        assertThat(f.host.metric("mysql_up", "cluster", "main", "instance", "node1")).isEqualTo(0);
        TestHost.await(WAIT, "mysql-primary DOWN", () -> endpoints("mysql-primary").get(0).health() == Health.DOWN);
        assertThat(f.host.host().moduleStatus().get("replication").summary()).contains("main: primary node1", "DeadPrimary");
        Map<String, Object> details = f.host.host().moduleStatus().get("replication").details();
        assertThat(details).containsKey("clusters");
        CliRun cli = cli("status", "main");
        assertThat(cli.code()).as("unhealthy cluster").isEqualTo(2);
        assertThat(cli.out()).contains("cluster main: primary node1, analysis DeadPrimary").contains("node1 [").contains("CAIRN-REPLICATION-0101");
    }
}
