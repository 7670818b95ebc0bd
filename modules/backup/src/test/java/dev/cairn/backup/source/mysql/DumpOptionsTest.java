package dev.cairn.backup.source.mysql;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * MariaDB's dump program gets --gtid; MySQL's mysqldump (not packaged in Debian: a stand-in that
 * prints its --version line) must not, as it refuses the option and exits before dumping.
 */
class DumpOptionsTest {

    @Test
    void mariadbsDumpProgramGetsGtidAndMysqlsDoesNot(@TempDir Path tmp) throws Exception {
        assertThat(MysqlDumpSource.mariadbDumper("mariadb-dump")).isTrue();
        assertThat(MysqlDumpSource.dumpOptions(List.of("app"), true)).contains("--gtid", "--single-transaction", "--master-data=2")
                .endsWith("--databases", "app");

        Path mysqldump = tmp.resolve("mysqldump");
        Files.writeString(mysqldump, "#!/bin/sh\necho 'mysqldump  Ver 8.0.40 for Linux on x86_64 (MySQL Community Server - GPL)'\n");
        mysqldump.toFile().setExecutable(true);
        assertThat(MysqlDumpSource.mariadbDumper(mysqldump.toString())).isFalse();
        assertThat(MysqlDumpSource.dumpOptions(List.of("app"), false)).doesNotContain("--gtid")
                .contains("--single-transaction", "--quick", "--master-data=2").endsWith("--databases", "app");
        assertThat(MysqlDumpSource.mariadbDumper(tmp.resolve("missing").toString())).as("the dump reports it").isTrue();
    }

    @Test
    void underCairnsLockTheDumpTakesNoLockOfItsOwnAndMysqldumpReadsNoGtids() {
        assertThat(MysqlDumpSource.dumpOptions(List.of("app"), true, true)).contains("--single-transaction", "--quick")
                .doesNotContain("--master-data=2", "--gtid", "--set-gtid-purged=OFF").endsWith("--databases", "app");
        assertThat(MysqlDumpSource.dumpOptions(List.of("app"), false, true)).contains("--single-transaction", "--set-gtid-purged=OFF")
                .doesNotContain("--master-data=2", "--gtid", "--lock-all-tables").endsWith("--databases", "app");
    }

    @Test
    void mysqlTakesCairnsLockAndMariadbItsSnapshotUnlessConsistencySaysOtherwise() {
        assertThat(ServerSession.Flavour.of("8.0.40", "MySQL Community Server - GPL")).isEqualTo(ServerSession.Flavour.MYSQL);
        assertThat(ServerSession.Flavour.of("8.4.3-3", "Percona Server (GPL), Release '3', Revision 'x'")).isEqualTo(ServerSession.Flavour.MYSQL);
        assertThat(ServerSession.Flavour.of("10.11.19-MariaDB-0+deb12u1-log", "Debian 12")).isEqualTo(ServerSession.Flavour.MARIADB);
        assertThat(ServerSession.Flavour.of("5.5.5-10.6.12", "mariadb.org binary distribution")).isEqualTo(ServerSession.Flavour.MARIADB);
        var auto = MysqlSourceConfig.Consistency.AUTO;
        assertThat(MysqlDumpSource.cairnLocks(auto, ServerSession.Flavour.MYSQL)).isTrue();
        assertThat(MysqlDumpSource.cairnLocks(auto, ServerSession.Flavour.MARIADB)).isFalse();
        assertThat(MysqlDumpSource.cairnLocks(null, ServerSession.Flavour.MYSQL)).isTrue();
        assertThat(MysqlDumpSource.cairnLocks(MysqlSourceConfig.Consistency.LOCK, ServerSession.Flavour.MARIADB)).isTrue();
        assertThat(MysqlDumpSource.cairnLocks(MysqlSourceConfig.Consistency.SNAPSHOT, ServerSession.Flavour.MYSQL)).isFalse();
    }
}
