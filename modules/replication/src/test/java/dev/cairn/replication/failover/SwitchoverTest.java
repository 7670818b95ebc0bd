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

/** Planned switchover on real MariaDB under a continuous write load: nothing lost, the old primary follows. */
class SwitchoverTest {

    @TempDir
    Path dir;

    @Test
    void switchoverUnderLoadLosesNoWriteAndTheOldPrimaryFollowsTheNewOne() throws Exception {
        try (FailoverFixture f = FailoverFixture.start(dir, 2, "mode: manual\ndurability: lossless\n")) {
            // --dry-run: the plan, nothing changes.
            Map<String, Object> dry = f.failover().switchover("node3", false, true);
            assertThat(String.valueOf(dry.get("plan"))).as(dry.toString()).contains("switchover of node1").contains("candidate 1: node3");
            assertThat(f.publishedEpoch()).isZero();
            assertThat(f.db.node("node3").value("SELECT @@read_only")).isEqualTo("1");

            FailoverFixture.Writers w = f.new Writers(3);
            w.awaitAcks(300, Duration.ofSeconds(20));
            Map<String, Object> r = f.failover().switchover("node3", false, false);
            assertThat(r.get("ok")).as(r.toString()).isEqualTo(true);
            assertThat(r.get("new_primary")).isEqualTo("node3");
            assertThat(r.get("epoch")).isEqualTo(1L);
            f.awaitPrimary("node3", Duration.ofSeconds(5));
            w.awaitAcks(300, Duration.ofSeconds(20));
            w.stop();
            long unavailable = (Long) r.get("write_unavailable_ms");
            System.out.println("switchover: writes unavailable " + unavailable + " ms, took " + r.get("duration_ms") + " ms");
            assertThat(unavailable).isLessThan(5000);

            MariaDbServer node1 = f.db.node("node1");
            MariaDbServer node3 = f.db.node("node3");
            assertThat(node1.value("SELECT @@read_only")).isEqualTo("1");
            assertThat(node1.slaveStatus().get("Master_Port")).isEqualTo(Integer.toString(node3.port()));
            for (MariaDbServer n : List.of(node1, f.db.node("node2"))) {
                FailoverFixture.awaitCaughtUp(node3, n, Duration.ofSeconds(20));
                assertThat(FailoverFixture.keys(n)).as(n.name()).containsAll(w.acked);
            }
            assertThat(FailoverFixture.keys(node3)).containsAll(w.acked);
            assertThat((List<?>) r.get("audit")).extracting(Object::toString)
                    .anyMatch(a -> a.contains("demote: node1: read_only=ON"))
                    .anyMatch(a -> a.contains("MASTER_DEMOTE_TO_SLAVE=1"));

            // And back, from the CLI: the old primary, now a caught-up replica, is a valid target.
            String[] dryCli = cli(f, "switchover", "main", "--to", "node1", "--dry-run");
            assertThat(dryCli[0]).isEqualTo("0");
            assertThat(dryCli[1]).contains("plan (dry run, nothing changed)").contains("candidate 1: node1");
            String[] back = cli(f, "switchover", "main", "--to", "node1");
            assertThat(back[0]).as(back[1]).isEqualTo("0");
            assertThat(back[1]).contains("node1 promoted under epoch 2").contains("writes unavailable").contains("audit log:");
            f.awaitPrimary("node1", Duration.ofSeconds(5));
            assertThat(cli(f, "ack", "main")[1]).contains("enabled again");
            String[] badTarget = cli(f, "switchover", "main", "--to", "node9");
            assertThat(badTarget[0]).isEqualTo("1");
            assertThat(cli(f, "switchover")[0]).isEqualTo("64");
            TestHost.await(Duration.ofSeconds(10), "node3 replicating from node1",
                    () -> "Yes".equals(node3.slaveStatus().get("Slave_IO_Running"))
                            && Integer.toString(node1.port()).equals(node3.slaveStatus().get("Master_Port")));
            // status shows the last switchover with its audit log
            String[] status = cli(f, "status", "main");
            assertThat(status[1]).contains("failover of cluster main: mode manual").contains("epoch 2")
                    .contains("last failover: node1 promoted under epoch 2").contains("publish: mysql-primary -> node1");
        }
    }

    /** Runs {@code cairn replication ARGS} against the fixture's daemon: {exit code, stdout + stderr}. */
    static String[] cli(FailoverFixture f, String... args) throws Exception {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        java.io.PrintStream oldOut = System.out;
        java.io.PrintStream oldErr = System.err;
        java.io.PrintStream p = new java.io.PrintStream(out, true, java.nio.charset.StandardCharsets.UTF_8);
        System.setOut(p);
        System.setErr(p);
        int code;
        try {
            java.util.List<String> all = new java.util.ArrayList<>(List.of("replication", "-c", f.host.configFile().toString(),
                    "--url", f.host.adminUrl()));
            all.addAll(List.of(args));
            code = dev.cairn.core.cli.Main.execute(dev.cairn.core.config.ModuleRegistry.of(new dev.cairn.replication.ReplicationModule()),
                    all.toArray(String[]::new));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
        return new String[] {Integer.toString(code), out.toString(java.nio.charset.StandardCharsets.UTF_8)};
    }
}
