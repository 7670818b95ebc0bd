package dev.cairn.replication;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.core.testing.mariadb.MariaDbServer;
import dev.cairn.replication.topology.AnalysisCode;
import dev.cairn.replication.topology.Finding;
import dev.cairn.replication.topology.TopologySnapshot;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Semi-sync on real MariaDB: its status is read, and a primary whose writes wait for an ack nobody sends is locked. */
class SemiSyncTest {

    @TempDir
    static Path dir;
    static ReplicationFixture f;

    @BeforeAll
    static void start() throws Exception {
        f = new ReplicationFixture(dir);
        f.db.primary().exec("SET GLOBAL rpl_semi_sync_master_enabled = ON; SET GLOBAL rpl_semi_sync_master_timeout = 60000");
        for (MariaDbServer r : f.db.replicas()) {
            r.exec("SET GLOBAL rpl_semi_sync_slave_enabled = ON; STOP SLAVE IO_THREAD; START SLAVE IO_THREAD");
        }
        f.startHost("replication:\n  clusters:\n" + f.cluster("main", "monitor.password", ReplicationFixture.MONITOR_USER,
                "      heartbeat: { enabled: false }\n"));
    }

    @AfterAll
    static void stop() {
        if (f != null) f.close();
    }

    @Test
    void primaryWaitingForAnAckNobodySendsIsLockedSemiSync() throws Exception {
        TopologySnapshot s = f.await("main", Duration.ofSeconds(15), "two semi-sync clients", t -> t.primaryNode()
                .map(p -> "2".equals(p.state().semiSyncStatus().get("rpl_semi_sync_master_clients"))).orElse(false));
        assertThat(s.analysis()).isEmpty();
        assertThat(s.primaryNode().orElseThrow().state().semiSyncStatus()).containsEntry("rpl_semi_sync_master_status", "ON");
        assertThat(f.host.metric("mysql_global_status_rpl_semi_sync_master_clients", "cluster", "main", "instance", "node1"))
                .isEqualTo(2);
        for (MariaDbServer r : f.db.replicas()) r.exec("STOP SLAVE IO_THREAD");
        CompletableFuture<Void> write = CompletableFuture.runAsync(() ->
                f.db.primary().exec("CREATE DATABASE IF NOT EXISTS app; CREATE TABLE IF NOT EXISTS app.t (k INT PRIMARY KEY)"));
        try {
            TopologySnapshot locked = f.await("main", Duration.ofSeconds(15), "LockedSemiSyncPrimary",
                    t -> t.has(AnalysisCode.LOCKED_SEMI_SYNC_PRIMARY));
            assertThat(locked.findings("node1")).extracting(Finding::kind).contains(Finding.Kind.SEMI_SYNC_LOCKED);
            assertThat(locked.analysis()).doesNotContain(AnalysisCode.DEAD_PRIMARY);
            assertThat(write).isNotDone();
        } finally {
            for (MariaDbServer r : f.db.replicas()) r.exec("START SLAVE IO_THREAD");
        }
        write.get(30, TimeUnit.SECONDS);
        f.await("main", Duration.ofSeconds(15), "no longer locked", t -> !t.has(AnalysisCode.LOCKED_SEMI_SYNC_PRIMARY));
    }
}
