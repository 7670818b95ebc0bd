package dev.cairn.backup.source.mysql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cairn.backup.source.DirectoryEntries;
import dev.cairn.backup.source.SourceErrors;
import dev.cairn.backup.source.SourceException;
import dev.cairn.core.testing.mariadb.MariaDbServer;
import dev.cairn.spi.config.HostPort;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The MySQL source against a real MariaDB (Debian's mariadbd) started for this class. */
class MysqlDumpSourceTest {

    static final String PASSWORD = "s3cr3t-\"pw\\x";
    static final int BIG_ROWS = 60_000;

    @TempDir
    static Path shared;
    static MariaDbServer db;
    static Path passwordFile;

    @BeforeAll
    static void startServer() throws Exception {
        db = MariaDbServer.start(shared, "db", 1, List.of());
        db.exec("SET GLOBAL read_only = 0");
        db.exec("CREATE USER backup@'127.0.0.1' IDENTIFIED BY '" + PASSWORD.replace("\\", "\\\\").replace("'", "\\'") + "';"
                + " GRANT ALL ON *.* TO backup@'127.0.0.1'");
        passwordFile = shared.resolve("backup.password");
        Files.writeString(passwordFile, PASSWORD + "\n");
    }

    @AfterAll
    static void stopServer() {
        if (db != null) db.close();
    }

    static MysqlSourceConfig config(String user, Path password, String... databases) {
        return new MysqlSourceConfig(null, HostPort.parse(db.address()), List.of(databases), user, password,
                MysqlSourceConfig.From.REPLICA, MysqlSourceConfig.DEFAULT_MAX_LAG, false, Duration.ofMinutes(2),
                "mariadb-dump", "mariadb", null, null,
                MysqlSourceConfig.Consistency.AUTO, MysqlSourceConfig.DEFAULT_LOCK_WAIT_TIMEOUT, MysqlSourceConfig.DEFAULT_LOCK_HOLD_LIMIT);
    }

    /** A database with a big table dumped first (so a test can act mid-dump) and a small one after it. */
    static void createApp(String name) {
        db.exec("CREATE DATABASE " + name + "; USE " + name + ";"
                + " CREATE TABLE a_big (id INT PRIMARY KEY AUTO_INCREMENT, payload VARCHAR(200));"
                + " INSERT INTO a_big (payload) SELECT CONCAT('row ', seq, ' ', REPEAT('x', 100)) FROM seq_1_to_" + BIG_ROWS + ";"
                + " CREATE TABLE events (id INT PRIMARY KEY AUTO_INCREMENT, v VARCHAR(40), b BLOB);"
                + " INSERT INTO events (v, b) VALUES ('it''s (quoted); ok', 0x00ff27), (NULL, NULL)");
    }

    static Optional<ProcessHandle> dumpProcess() {
        return ProcessHandle.current().descendants()
                .filter(p -> p.info().command().map(c -> c.endsWith("mariadb-dump")).orElse(false)).findFirst();
    }

    @Test
    void dumpWhileAWriterInsertsRestoresExactlyTheRowsCommittedAtTheRecordedGtid(@TempDir Path tmp) throws Exception {
        createApp("shop");
        Map<Integer, Long> seqOfId = new ConcurrentHashMap<>();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger committed = new AtomicInteger();
        AtomicReference<Throwable> writerError = new AtomicReference<>();
        Thread writer = new Thread(() -> {
            try (SqlSession s = new SqlSession(db.socket(), "shop")) {
                for (int i = 0; i < 200_000 && !stop.get(); i++) {
                    String[] r = s.row("INSERT INTO events (v) VALUES ('w" + i + "'); SELECT LAST_INSERT_ID(), @@last_gtid;").split("\t");
                    String gtid = r[1];
                    seqOfId.put(Integer.parseInt(r[0]), Long.parseLong(gtid.substring(gtid.lastIndexOf('-') + 1)));
                    committed.incrementAndGet();
                }
            } catch (Throwable t) {
                writerError.set(t);
            }
        }, "writer");
        writer.start();
        await(() -> committed.get() > 20, "the writer commits");

        AtomicBoolean acted = new AtomicBoolean();
        AtomicReference<String> childArgs = new AtomicReference<>("");
        DirectoryEntries sink = new DirectoryEntries(tmp.resolve("snap")).onBytes(total -> {
            if (total > 64 * 1024 && acted.compareAndSet(false, true)) {
                childArgs.set(dumpProcess().flatMap(p -> p.info().arguments()).map(a -> String.join(" ", a)).orElse("?"));
                int before = committed.get();
                // The dump is stalled on its pipe, inside its snapshot: commits now must not be in it.
                await(() -> committed.get() > before + 30, "30 more commits during the dump");
            }
        });
        MysqlDumpSource source = new MysqlDumpSource(config("backup", passwordFile, "shop"), tmp, null);
        source.emit(sink);
        stop.set(true);
        writer.join(10_000);
        assertThat(writerError.get()).isNull();
        assertThat(acted).isTrue();
        assertThat(childArgs.get()).contains("--single-transaction").doesNotContain(PASSWORD).doesNotContain("s3cr3t");

        Map<String, String> extra = sink.extra();
        assertThat(extra).containsEntry("mysql.role", "host").containsEntry("mysql.databases", "shop")
                .containsKeys("mysql.binlog_file", "mysql.binlog_pos", "mysql.gtid", "mysql.server_version")
                .containsEntry("mysql.dump_lock_seconds", "0.000").containsEntry("mysql.consistency", "snapshot");
        assertThat(sink.problems()).isEmpty();
        assertThat(sink.paths()).containsExactly(MysqlDumpSource.DUMP_FILE, MysqlDumpSource.TABLES_FILE);
        String gtid = extra.get("mysql.gtid");
        long snapshotSeq = Long.parseLong(gtid.substring(gtid.lastIndexOf('-') + 1));
        List<Integer> expected = new ArrayList<>(List.of(1, 2));
        seqOfId.entrySet().stream().filter(e -> e.getValue() <= snapshotSeq).map(Map.Entry::getKey).sorted().forEach(expected::add);
        assertThat(seqOfId.values()).as("some commits came after the snapshot").anyMatch(s -> s > snapshotSeq);
        assertThat(expected.size()).as("some commits came before it").isGreaterThan(20);

        MysqlRestore restore = new MysqlRestore(new MysqlClient("mariadb", "backup", PASSWORD), "mariadb-dump");
        Map<String, String> names = MysqlRestore.mapping(MysqlRestore.databases(sink), "shop_restored");
        restore.load(sink, HostPort.parse(db.address()), names, Duration.ofMinutes(2));

        List<Integer> restored = db.query("SELECT id FROM shop_restored.events ORDER BY id").stream()
                .map(r -> Integer.parseInt(r.get("id"))).toList();
        assertThat(restored).isEqualTo(expected);
        assertThat(db.value("SELECT COUNT(*) FROM shop_restored.a_big")).isEqualTo(Integer.toString(BIG_ROWS));
        assertThat(db.query("SELECT v, HEX(b) AS b FROM shop_restored.events WHERE id = 1").get(0))
                .containsEntry("v", "it's (quoted); ok").containsEntry("b", "00FF27");
        assertThat(restore.compare(sink, HostPort.parse(db.address()), names, Duration.ofMinutes(1))).isEmpty();
        assertThat(MysqlRestore.recorded(sink).get("shop.events").rows()).isEqualTo(expected.size());

        // The comparison notices a changed row.
        db.exec("UPDATE shop_restored.events SET v = 'changed' WHERE id = 1");
        assertThat(restore.compare(sink, HostPort.parse(db.address()), names, Duration.ofMinutes(1)))
                .singleElement().asString().contains("shop_restored.events").contains("rows differ");
    }

    @Test
    void aTableAlteredDuringTheDumpFailsTheDump(@TempDir Path tmp) throws Exception {
        createApp("ddl");
        AtomicBoolean acted = new AtomicBoolean();
        DirectoryEntries sink = new DirectoryEntries(tmp).onBytes(total -> {
            if (total > 64 * 1024 && acted.compareAndSet(false, true)) {
                db.exec("ALTER TABLE ddl.events ADD COLUMN added INT, ALGORITHM=COPY");
            }
        });
        assertThatThrownBy(() -> new MysqlDumpSource(config("backup", passwordFile, "ddl"), tmp, null).emit(sink))
                .isInstanceOfSatisfying(SourceException.class, e -> assertThat(e.id()).isEqualTo(SourceErrors.DDL_DURING_DUMP))
                .hasMessageContaining("altered during the dump");
        assertThat(acted).isTrue();
    }

    @Test
    void anInstantAlterOfATableNotYetDumpedFailsTheDump(@TempDir Path tmp) throws Exception {
        // An instant ADD COLUMN does not fail the dump's consistent read: the dump would carry the new column.
        createApp("instant");
        AtomicBoolean acted = new AtomicBoolean();
        DirectoryEntries sink = new DirectoryEntries(tmp).onBytes(total -> {
            if (total > 64 * 1024 && acted.compareAndSet(false, true)) {
                db.exec("ALTER TABLE instant.events ADD COLUMN added INT, ALGORITHM=INSTANT");
            }
        });
        assertThatThrownBy(() -> new MysqlDumpSource(config("backup", passwordFile, "instant"), tmp, null).emit(sink))
                .isInstanceOfSatisfying(SourceException.class, e -> assertThat(e.id()).isEqualTo(SourceErrors.DDL_DURING_DUMP))
                .hasMessageContaining("instant.events was altered: columns (id, v, b) before the dump, (id, v, b, added) in it");
        assertThat(acted).isTrue();

        // A table dropped before the dump reached it is missing from it: reported too.
        createApp("dropped");
        AtomicBoolean dropped = new AtomicBoolean();
        DirectoryEntries sink2 = new DirectoryEntries(tmp.resolve("2")).onBytes(total -> {
            if (total > 64 * 1024 && dropped.compareAndSet(false, true)) db.exec("DROP TABLE dropped.events");
        });
        assertThatThrownBy(() -> new MysqlDumpSource(config("backup", passwordFile, "dropped"), tmp, null).emit(sink2))
                .isInstanceOfSatisfying(SourceException.class, e -> assertThat(e.id()).isIn(SourceErrors.DDL_DURING_DUMP, SourceErrors.DUMP_FAILED));
    }

    @Test
    void aKilledDumpFails(@TempDir Path tmp) throws Exception {
        createApp("killed");
        AtomicBoolean acted = new AtomicBoolean();
        DirectoryEntries sink = new DirectoryEntries(tmp).onBytes(total -> {
            if (total > 64 * 1024 && acted.compareAndSet(false, true)) {
                dumpProcess().orElseThrow().destroyForcibly();
            }
        });
        assertThatThrownBy(() -> new MysqlDumpSource(config("backup", passwordFile, "killed"), tmp, null).emit(sink))
                .isInstanceOfSatisfying(SourceException.class, e -> assertThat(e.id()).isEqualTo(SourceErrors.DUMP_FAILED))
                .hasMessageContaining("exited with 137");
        assertThat(acted).isTrue();
    }

    @Test
    void aDumpThatExitsZeroWithoutItsTrailerFails(@TempDir Path tmp) throws Exception {
        // A dump program that is cut short but still exits 0 (a wrapper script that swallows the status).
        Path fake = tmp.resolve("short-dump");
        Files.writeString(fake, "#!/bin/sh\nmariadb-dump \"$@\" | head -c 50000\nexit 0\n");
        fake.toFile().setExecutable(true);
        createApp("cut");
        MysqlSourceConfig c = config("backup", passwordFile, "cut");
        MysqlSourceConfig cut = new MysqlSourceConfig(null, c.host(), c.databases(), c.user(), c.passwordFile(), c.from(),
                c.maxLag(), false, c.timeout(), fake.toString(), "mariadb", null, null, c.consistency(), c.lockWaitTimeout(), c.lockHoldLimit());
        assertThatThrownBy(() -> new MysqlDumpSource(cut, tmp, null).emit(new DirectoryEntries(tmp.resolve("s"))))
                .isInstanceOfSatisfying(SourceException.class, e -> assertThat(e.id()).isEqualTo(SourceErrors.INCOMPLETE_DUMP))
                .hasMessageContaining("no '-- Dump completed' trailer");
    }

    @Test
    void anExpiredPasswordIsReportedAsSuch(@TempDir Path tmp) throws Exception {
        db.exec("CREATE DATABASE IF NOT EXISTS small; CREATE USER expired@'127.0.0.1' IDENTIFIED BY 'old' PASSWORD EXPIRE;"
                + " GRANT ALL ON *.* TO expired@'127.0.0.1'");
        Path pw = tmp.resolve("pw");
        Files.writeString(pw, "old\n");
        assertThatThrownBy(() -> new MysqlDumpSource(config("expired", pw, "small"), tmp, null).emit(new DirectoryEntries(tmp)))
                .isInstanceOfSatisfying(SourceException.class, e -> assertThat(e.id()).isEqualTo(SourceErrors.PASSWORD_EXPIRED))
                .hasMessageContaining("has expired");
    }

    @Test
    void aWrongPasswordIsAccessDenied(@TempDir Path tmp) throws Exception {
        Path pw = tmp.resolve("pw");
        Files.writeString(pw, "not-it\n");
        db.exec("CREATE DATABASE IF NOT EXISTS small");
        assertThatThrownBy(() -> new MysqlDumpSource(config("backup", pw, "small"), tmp, null).emit(new DirectoryEntries(tmp)))
                .isInstanceOfSatisfying(SourceException.class, e -> assertThat(e.id()).isEqualTo(SourceErrors.ACCESS_DENIED));
    }

    @Test
    void theReadLockPathRefusesBeforeLockingAnythingWhenPerformanceSchemaIsOff(@TempDir Path tmp) throws Exception {
        // This server runs without performance_schema (MariaDB's default): the dump's connection could not be told.
        db.exec("CREATE DATABASE IF NOT EXISTS nops; CREATE TABLE IF NOT EXISTS nops.t (id INT PRIMARY KEY)");
        MysqlSourceConfig c = config("backup", passwordFile, "nops");
        MysqlSourceConfig lock = new MysqlSourceConfig(null, c.host(), c.databases(), c.user(), c.passwordFile(), c.from(),
                c.maxLag(), false, c.timeout(), c.dumpCommand(), "mariadb", null, null, MysqlSourceConfig.Consistency.LOCK,
                c.lockWaitTimeout(), c.lockHoldLimit());
        assertThatThrownBy(() -> new MysqlDumpSource(lock, tmp, null).emit(new DirectoryEntries(tmp)))
                .isInstanceOfSatisfying(SourceException.class, e -> assertThat(e.id()).isEqualTo(SourceErrors.READ_LOCK_UNAVAILABLE))
                .hasMessageContaining("performance_schema is off").hasMessageContaining("nothing was locked");
        try (SqlSession s = new SqlSession(db.socket(), "nops")) {
            assertThat(s.row("SET SESSION lock_wait_timeout = 5; INSERT INTO t VALUES (1); SELECT ROW_COUNT();")).isEqualTo("1");
        }
    }

    static void await(java.util.function.BooleanSupplier cond, String what) {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new AssertionError("timed out waiting for: " + what);
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }
}
