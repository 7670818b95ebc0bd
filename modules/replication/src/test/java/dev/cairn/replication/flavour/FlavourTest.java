package dev.cairn.replication.flavour;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cairn.replication.probe.IoState;
import dev.cairn.replication.probe.ReplicaChannel;
import org.junit.jupiter.api.Test;

/** Flavour detection, the dialect tables and GTID arithmetic, from recorded server answers. */
class FlavourTest {

    @Test
    void flavourAndVersionComeFromVersionAndCommentNotTheProtocolPrefix() {
        ServerVersion m = ServerVersion.parse("10.11.19-MariaDB-0+deb12u1-log", "Debian 12");
        assertThat(m.flavour()).isEqualTo(Flavour.MARIADB);
        assertThat(m.shortName()).isEqualTo("MariaDB 10.11.19");
        // What Connector/J's metadata reports for MariaDB 10.x: the replication-protocol prefix.
        assertThat(ServerVersion.parse("5.5.5-10.11.6-MariaDB", "mariadb.org binary distribution").shortName())
                .isEqualTo("MariaDB 10.11.6");
        assertThat(ServerVersion.parse("11.4.2-MariaDB", "MariaDB Server").major()).isEqualTo(11);
        ServerVersion my = ServerVersion.parse("8.4.3", "MySQL Community Server - GPL");
        assertThat(my.flavour()).isEqualTo(Flavour.MYSQL);
        assertThat(my.atLeast(8, 0, 22)).isTrue();
        assertThat(ServerVersion.parse("8.0.36-28", "Percona Server (GPL), Release 28").flavour()).isEqualTo(Flavour.MYSQL);
        assertThatThrownBy(() -> ServerVersion.parse("banana", "")).hasMessageContaining("CAIRN-REPLICATION-0008");
    }

    @Test
    void eachFlavourHasItsOwnStatementsAndWords() {
        Dialect maria = Dialect.of(ServerVersion.parse("10.11.19-MariaDB", ""));
        Dialect my84 = Dialect.of(ServerVersion.parse("8.4.3", "MySQL Community Server - GPL"));
        Dialect my80 = Dialect.of(ServerVersion.parse("8.0.21", "MySQL Community Server - GPL"));
        assertThat(maria.replicaStatusQuery()).isEqualTo("SHOW ALL SLAVES STATUS");
        assertThat(my84.replicaStatusQuery()).isEqualTo("SHOW REPLICA STATUS");
        assertThat(my80.replicaStatusQuery()).isEqualTo("SHOW SLAVE STATUS");
        assertThat(maria.variablesQuery()).contains("@@gtid_binlog_pos", "@@gtid_slave_pos", "@@log_slave_updates");
        assertThat(my84.variablesQuery()).contains("@@gtid_executed", "@@log_replica_updates", "@@super_read_only");
        assertThat(my80.variablesQuery()).contains("@@log_slave_updates");
        assertThat(maria.waitForGtid()).isEqualTo("SELECT MASTER_GTID_WAIT(?, ?)");
        assertThat(my84.waitForGtid()).isEqualTo("SELECT WAIT_FOR_EXECUTED_GTID_SET(?, ?)");
        assertThat(maria.startSqlThreadOnly()).isEqualTo("START SLAVE SQL_THREAD");
        assertThat(my84.startSqlThreadOnly()).isEqualTo("START REPLICA SQL_THREAD");
        assertThat(my84.resetReplicaAll()).isEqualTo("RESET REPLICA ALL");
        assertThat(maria.changeSourceByGtid("10.0.0.2", 3306, "repl", "it's", 1, 1))
                .startsWith("CHANGE MASTER TO MASTER_HOST='10.0.0.2', MASTER_PORT=3306").contains("MASTER_PASSWORD='it''s'")
                .contains("MASTER_USE_GTID=slave_pos");
        assertThat(my84.changeSourceByGtid("10.0.0.2", 3306, "repl", "pw", 1, 1))
                .startsWith("CHANGE REPLICATION SOURCE TO SOURCE_HOST='10.0.0.2'").contains("SOURCE_AUTO_POSITION=1");
        assertThat(my80.changeSourceByGtid("10.0.0.2", 3306, "repl", "pw", 1, 1)).contains("MASTER_AUTO_POSITION=1");
        assertThat(my84.setReadOnly(true)).isEqualTo("SET GLOBAL super_read_only = ON");
        assertThat(maria.setReadOnly(false)).isEqualTo("SET GLOBAL read_only = OFF");
    }

    @Test
    void mysql84ReplicaStatusIsReadByColumnName() {
        Dialect d = Dialect.of(ServerVersion.parse("8.4.3", "MySQL Community Server - GPL"));
        ReplicaChannel ch = d.channel(RecordedRows.mysql84Replica());
        assertThat(ch.sourceHost()).isEqualTo("10.0.0.1");
        assertThat(ch.sourcePort()).isEqualTo(3306);
        assertThat(ch.sourceServerId()).isEqualTo(1L);
        assertThat(ch.sourceUuid()).isEqualTo(RecordedRows.SOURCE_UUID);
        assertThat(ch.io()).isEqualTo(IoState.YES);
        assertThat(ch.sqlRunning()).isTrue();
        assertThat(ch.secondsBehind()).isEqualTo(0L);
        assertThat(ch.receivedGtid()).isEqualTo(RecordedRows.SOURCE_UUID + ":1-105");
        assertThat(ch.appliedGtid()).doesNotContain("\n");
        assertThat(ch.usingGtid()).isEqualTo("1");
        assertThat(ch.filters()).isEmpty();
        // Served under mysqld_exporter's classic names.
        assertThat(ch.numeric()).containsEntry("slave_io_running", 1.0).containsEntry("slave_sql_running", 1.0)
                .containsEntry("seconds_behind_master", 0.0).containsEntry("read_master_log_pos", 1284.0)
                .containsEntry("master_server_id", 1.0).containsEntry("master_ssl_allowed", 1.0)
                .doesNotContainKey("replica_io_running");
    }

    @Test
    void lostSourceOnMysqlIsConnectingWithUnknownLag() {
        Dialect d = Dialect.of(ServerVersion.parse("8.4.3", ""));
        ReplicaChannel ch = d.channel(RecordedRows.mysql84ReplicaSourceLost());
        assertThat(ch.io()).isEqualTo(IoState.CONNECTING);
        assertThat(ch.secondsBehind()).isNull();
        assertThat(ch.lastIoErrno()).isEqualTo(2003);
        assertThat(ch.numeric()).containsEntry("slave_io_running", 0.0).doesNotContainKey("seconds_behind_master");
    }

    @Test
    void oldMysqlSlaveStatusColumnsMapToTheSameChannel() {
        Dialect d = Dialect.of(ServerVersion.parse("8.0.21", ""));
        ReplicaChannel old = d.channel(RecordedRows.mysql80Slave());
        ReplicaChannel now = Dialect.of(ServerVersion.parse("8.4.3", "")).channel(RecordedRows.mysql84Replica());
        assertThat(old).isEqualTo(now);
    }

    @Test
    void filtersAreFound() {
        Dialect d = Dialect.of(ServerVersion.parse("8.4.3", ""));
        var row = RecordedRows.mysql84Replica();
        row.put("Replicate_Ignore_DB", "audit");
        assertThat(d.channel(row).filters()).containsEntry("Replicate_Ignore_DB", "audit");
    }

    @Test
    void exporterNamesMapReplicaAndSourceWordsOnly() {
        assertThat(Dialect.exporterName("Replica_IO_Running")).isEqualTo("slave_io_running");
        assertThat(Dialect.exporterName("Seconds_Behind_Source")).isEqualTo("seconds_behind_master");
        assertThat(Dialect.exporterName("Replicate_Do_DB")).isEqualTo("replicate_do_db");
        assertThat(Dialect.exporterName("Exec_Source_Log_Pos")).isEqualTo("exec_master_log_pos");
    }

    @Test
    void mariadbPositionsCompareByDomainAndNameDivergedHistories() {
        GtidSet primary = GtidSet.parse(Flavour.MARIADB, "0-1-100,1-5-7");
        assertThat(GtidSet.parse(Flavour.MARIADB, "0-1-99").subtract(primary).isEmpty()).isTrue();
        assertThat(primary.containsAll(GtidSet.parse(Flavour.MARIADB, "0-1-99,1-5-7"))).isTrue();
        assertThat(GtidSet.parse(Flavour.MARIADB, "0-2-101").subtract(primary).toString()).isEqualTo("0-2-101");
        assertThat(GtidSet.parse(Flavour.MARIADB, "0-2-100").subtract(primary).toString()).as("same seq, other server").isEqualTo("0-2-100");
        assertThat(GtidSet.parse(Flavour.MARIADB, "2-3-1").subtract(primary).toString()).as("a domain the primary lacks").isEqualTo("2-3-1");
        assertThat(GtidSet.parse(Flavour.MARIADB, "0-1-105").progressOver(GtidSet.parse(Flavour.MARIADB, "0-1-100"))).isEqualTo(5);
        assertThatThrownBy(() -> GtidSet.parse(Flavour.MARIADB, "0-1")).hasMessageContaining("domain-server-seq");
    }

    @Test
    void mysqlSetsSubtractIntervalsIncludingTags() {
        String a = RecordedRows.SOURCE_UUID;
        String b = RecordedRows.REPLICA_UUID;
        GtidSet primary = GtidSet.parse(Flavour.MYSQL, a + ":1-105");
        GtidSet replica = GtidSet.parse(Flavour.MYSQL, a + ":1-103,\n" + b + ":1-2");
        assertThat(replica.subtract(primary).toString()).isEqualTo(b + ":1-2");
        assertThat(primary.subtract(replica).toString()).isEqualTo(a + ":104-105");
        assertThat(GtidSet.parse(Flavour.MYSQL, a + ":1-3:5-9").subtract(GtidSet.parse(Flavour.MYSQL, a + ":2-6")).toString())
                .isEqualTo(a + ":1:7-9");
        assertThat(GtidSet.parse(Flavour.MYSQL, a + ":1-5,").containsAll(GtidSet.parse(Flavour.MYSQL, a + ":2-3"))).isTrue();
        GtidSet tagged = GtidSet.parse(Flavour.MYSQL, a + ":1-5:etl:1-3");
        assertThat(tagged.toString()).isEqualTo(a + ":1-5," + a + ":etl:1-3");
        assertThat(tagged.subtract(GtidSet.parse(Flavour.MYSQL, a + ":1-5")).toString()).isEqualTo(a + ":etl:1-3");
        assertThat(((MySqlGtidSet) primary).count()).isEqualTo(105);
        assertThat(primary.progressOver(replica)).isEqualTo(0);
    }
}
