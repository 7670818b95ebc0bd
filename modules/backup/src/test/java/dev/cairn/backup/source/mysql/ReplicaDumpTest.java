package dev.cairn.backup.source.mysql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cairn.backup.sla.RestoreTest;
import dev.cairn.backup.sla.SlaConfig;
import dev.cairn.backup.sla.SlaTracker;
import dev.cairn.backup.sla.VerifyConfig;
import dev.cairn.backup.source.DirectoryEntries;
import dev.cairn.backup.source.SourceErrors;
import dev.cairn.backup.source.SourceException;
import dev.cairn.backup.source.StaticCatalog;
import dev.cairn.core.testing.mariadb.MariaDbCluster;
import dev.cairn.core.testing.mariadb.MariaDbServer;
import dev.cairn.spi.catalog.Health;
import dev.cairn.spi.config.HostPort;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code from: replica} against a real MariaDB primary with one replica (GTID replication),
 * the replica chosen from the catalog as the replication module publishes it, and the restore
 * test into a scratch server timed against the RTO.
 */
class ReplicaDumpTest {

    @TempDir
    static Path shared;
    static MariaDbCluster cluster;
    static MariaDbServer scratch;

    @BeforeAll
    static void start() throws Exception {
        cluster = MariaDbCluster.start(shared, 1);
        scratch = MariaDbServer.start(shared, "scratch", 9, List.of("--skip-log-bin"));
        scratch.exec("SET GLOBAL read_only = 0");
        cluster.primary().exec("CREATE DATABASE agama; USE agama; CREATE TABLE tasks (id INT PRIMARY KEY AUTO_INCREMENT,"
                + " worker VARCHAR(40), done DATETIME(6), score DOUBLE);"
                + " INSERT INTO tasks (worker, done, score) SELECT CONCAT('w', seq % 17), '2026-11-30 10:00:00.123456' + INTERVAL seq SECOND,"
                + " seq / 7 FROM seq_1_to_5000");
        cluster.awaitCaughtUp(Duration.ofSeconds(20));
    }

    @AfterAll
    static void stop() {
        if (cluster != null) cluster.close();
        if (scratch != null) scratch.close();
    }

    static StaticCatalog catalog(Health replicaHealth) {
        MariaDbServer p = cluster.primary();
        MariaDbServer r = cluster.replicas().get(0);
        return new StaticCatalog().endpoint("mysql-primary", p.host(), p.port(), Health.UP)
                .endpoint("mysql-replicas", r.host(), r.port(), replicaHealth);
    }

    static MysqlSourceConfig cfg(boolean fallback) {
        return new MysqlSourceConfig("mysql", null, List.of("agama"), "root", null, MysqlSourceConfig.From.REPLICA,
                Duration.ofSeconds(30), fallback, Duration.ofMinutes(2), "mariadb-dump", "mariadb", null, null,
                MysqlSourceConfig.Consistency.AUTO, MysqlSourceConfig.DEFAULT_LOCK_WAIT_TIMEOUT, MysqlSourceConfig.DEFAULT_LOCK_HOLD_LIMIT);
    }

    @Test
    void aHealthyReplicaIsDumpedAndItsSnapshotRecordsTheReplicasGtid(@TempDir Path tmp) throws Exception {
        DirectoryEntries sink = new DirectoryEntries(tmp);
        new MysqlDumpSource(cfg(false), tmp, catalog(Health.UP)).emit(sink);
        MariaDbServer replica = cluster.replicas().get(0);
        assertThat(sink.extra()).containsEntry("mysql.role", "replica").containsEntry("mysql.server", replica.address())
                .containsEntry("mysql.replica_lag_seconds", "0")
                .containsEntry("mysql.gtid", replica.value("SELECT @@gtid_current_pos"));
        assertThat(MysqlRestore.recorded(sink).get("agama.tasks").rows()).isEqualTo(5000);
    }

    @Test
    void aReplicaThatStoppedApplyingIsNotUsedUnlessFallingBackToThePrimaryIsAllowed(@TempDir Path tmp) throws Exception {
        MariaDbServer replica = cluster.replicas().get(0);
        replica.exec("STOP SLAVE SQL_THREAD");
        try {
            assertThatThrownBy(() -> new MysqlDumpSource(cfg(false), tmp, catalog(Health.UP)).emit(new DirectoryEntries(tmp)))
                    .isInstanceOfSatisfying(SourceException.class, e -> assertThat(e.id()).isEqualTo(SourceErrors.NO_REPLICA))
                    .hasMessageContaining(replica.address() + ": not replicating")
                    .hasMessageContaining("fallback_to_primary");
            DirectoryEntries sink = new DirectoryEntries(tmp.resolve("fallback"));
            new MysqlDumpSource(cfg(true), tmp, catalog(Health.UP)).emit(sink);
            assertThat(sink.extra()).containsEntry("mysql.role", "primary").containsEntry("mysql.server", cluster.primary().address());
        } finally {
            replica.exec("START SLAVE SQL_THREAD");
        }
    }

    @Test
    void aReplicaLaggingOverMaxLagIsNotUsed(@TempDir Path tmp) throws Exception {
        MariaDbServer replica = cluster.replicas().get(0);
        // a replica that applies each event an hour late: Seconds_Behind_Master grows from the next write on
        replica.exec("STOP SLAVE; CHANGE MASTER TO MASTER_DELAY = 3600; START SLAVE");
        try {
            cluster.primary().exec("CREATE DATABASE IF NOT EXISTS lag_probe; CREATE TABLE IF NOT EXISTS lag_probe.t (id INT);"
                    + " INSERT INTO lag_probe.t VALUES (1)");
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            String behind = null;
            while (System.nanoTime() < deadline) {
                behind = replica.query("SHOW SLAVE STATUS").get(0).get("Seconds_Behind_Master");
                if (behind != null && !behind.equals("NULL") && Long.parseLong(behind) >= 3) break;
                Thread.sleep(100);
            }
            assertThat(Long.parseLong(behind)).as("the replica lags").isGreaterThanOrEqualTo(3);
            MysqlSourceConfig c = cfg(false);
            MysqlSourceConfig strict = new MysqlSourceConfig(c.cluster(), c.host(), c.databases(), c.user(), c.passwordFile(), c.from(),
                    Duration.ofSeconds(2), false, c.timeout(), c.dumpCommand(), c.clientCommand(), null, null, c.consistency(),
                    c.lockWaitTimeout(), c.lockHoldLimit());
            assertThatThrownBy(() -> new MysqlDumpSource(strict, tmp, catalog(Health.UP)).emit(new DirectoryEntries(tmp)))
                    .isInstanceOfSatisfying(SourceException.class, e -> assertThat(e.id()).isEqualTo(SourceErrors.NO_REPLICA))
                    .hasMessageContaining(replica.address() + ": lag ").hasMessageContaining("s over max_lag 2s");
        } finally {
            replica.exec("STOP SLAVE; CHANGE MASTER TO MASTER_DELAY = 0; START SLAVE");
            cluster.awaitCaughtUp(Duration.ofSeconds(60));
        }
    }

    @Test
    void aReplicaTheCatalogMarksDownIsSkipped(@TempDir Path tmp) {
        assertThatThrownBy(() -> new MysqlDumpSource(cfg(false), tmp, catalog(Health.DOWN)).emit(new DirectoryEntries(tmp)))
                .isInstanceOfSatisfying(SourceException.class, e -> assertThat(e.id()).isEqualTo(SourceErrors.NO_REPLICA))
                .hasMessageContaining(": down");
    }

    @Test
    void aRestoreTestLoadsTheDumpIntoScratchComparesEveryTableAndIsTimedAgainstTheRto(@TempDir Path tmp) throws Exception {
        DirectoryEntries sink = new DirectoryEntries(tmp);
        new MysqlDumpSource(cfg(false), tmp, catalog(Health.UP)).emit(sink);
        MysqlRestore restore = new MysqlRestore(new MysqlClient("mariadb", "root", null), "mariadb-dump");
        HostPort scratchAt = HostPort.parse(scratch.address());

        RestoreTest.Outcome ok = RestoreTest.mysql(sink, restore, scratchAt, Duration.ofMinutes(2));
        assertThat(ok.differences()).isEmpty();
        assertThat(ok.ok()).isTrue();
        assertThat(ok.restoreTime()).isPositive().isLessThan(Duration.ofMinutes(1));
        assertThat(scratch.value("SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE 'cairn_restore_test_%'"))
                .as("the scratch copy is dropped").isEqualTo("0");

        SlaConfig sla = new SlaConfig(Duration.ofDays(1), 1, new VerifyConfig(VerifyConfig.Mode.RESTORE_TEST, 10, 1, scratchAt, null, null),
                Duration.ofMinutes(5));
        SlaTracker tracker = new SlaTracker("mysql", sla, null, Clock.systemUTC());
        tracker.backedUp("snap1", java.time.Instant.now(), 0);
        RestoreTest.record(tracker, "snap1", ok);
        assertThat(tracker.met()).isTrue();
        assertThat(tracker.verifiedVersions()).isEqualTo(1);

        // The same restore measured against an RTO it cannot meet.
        SlaTracker strict = new SlaTracker("mysql", new SlaConfig(null, 1, sla.verify(), Duration.ofNanos(1000)), null, Clock.systemUTC());
        strict.backedUp("snap1", java.time.Instant.now(), 0);
        RestoreTest.record(strict, "snap1", ok);
        assertThat(strict.breaches()).extracting(SlaTracker.Breach::reason).containsExactly(SlaTracker.Reason.RTO);

        // A damaged dump (one row changed in the stored file) fails the restore test and the verification.
        Path dump = tmp.resolve(MysqlDumpSource.DUMP_FILE);
        String text = java.nio.file.Files.readString(dump);
        java.nio.file.Files.writeString(dump, text.replaceFirst("\\(1,'w1',", "(1,'w9',"));
        RestoreTest.Outcome bad = RestoreTest.mysql(sink, restore, scratchAt, Duration.ofMinutes(2));
        assertThat(bad.ok()).isFalse();
        assertThat(bad.differences()).singleElement().asString().contains("cairn_restore_test_agama.tasks: rows differ");
        RestoreTest.record(tracker, "snap1", bad);
        assertThat(tracker.breaches()).extracting(SlaTracker.Breach::reason)
                .containsExactly(SlaTracker.Reason.VERSIONS, SlaTracker.Reason.VERIFY);
    }
}
