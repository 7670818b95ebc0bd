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
}
