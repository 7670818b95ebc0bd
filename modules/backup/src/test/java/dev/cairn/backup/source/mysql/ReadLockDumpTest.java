package dev.cairn.backup.source.mysql;

import static dev.cairn.backup.source.mysql.MysqlDumpSourceTest.await;
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
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The read-lock path MySQL servers take ({@code consistency: lock}: Cairn's own FLUSH TABLES
 * WITH READ LOCK, timed, released once the dump's snapshot transaction exists), run here on a
 * real MariaDB (no MySQL server is packaged in Debian) with performance_schema on, as MySQL has
 * it by default. A second, fresh MariaDB receives the restores.
 */
class ReadLockDumpTest {

    static final String PASSWORD = "lock-pw";
    static final int BIG_ROWS = 60_000;

    @TempDir
    static Path shared;
    static MariaDbServer db;
    static MariaDbServer fresh;
    static Path passwordFile;

    @BeforeAll
    static void startServers() throws Exception {
        db = MariaDbServer.start(shared, "db", 1, List.of("--performance-schema=ON"));
        db.exec("SET GLOBAL read_only = 0");
        db.exec("CREATE USER backup@'127.0.0.1' IDENTIFIED BY '" + PASSWORD + "'; GRANT ALL ON *.* TO backup@'127.0.0.1'");
        fresh = MariaDbServer.start(shared, "fresh", 2, List.of());
        fresh.exec("SET GLOBAL read_only = 0");
        fresh.exec("CREATE USER backup@'127.0.0.1' IDENTIFIED BY '" + PASSWORD + "'; GRANT ALL ON *.* TO backup@'127.0.0.1'");
        passwordFile = shared.resolve("backup.password");
        Files.writeString(passwordFile, PASSWORD + "\n");
    }

    @AfterAll
    static void stopServers() {
        if (db != null) db.close();
        if (fresh != null) fresh.close();
    }

    static MysqlSourceConfig config(String dumpCommand, Duration lockWait, Duration holdLimit, String... databases) {
        return new MysqlSourceConfig(null, HostPort.parse(db.address()), List.of(databases), "backup", passwordFile,
                MysqlSourceConfig.From.REPLICA, MysqlSourceConfig.DEFAULT_MAX_LAG, false, Duration.ofMinutes(2),
                dumpCommand, "mariadb", null, null, MysqlSourceConfig.Consistency.LOCK, lockWait, holdLimit);
    }

    /** A database with a big table dumped first (so a test can act mid-dump) and a small one the writers insert into. */
    static void createApp(String name) {
        db.exec("CREATE DATABASE " + name + "; USE " + name + ";"
                + " CREATE TABLE a_big (id INT PRIMARY KEY AUTO_INCREMENT, payload VARCHAR(200));"
                + " INSERT INTO a_big (payload) SELECT CONCAT('row ', seq, ' ', REPEAT('x', 100)) FROM seq_1_to_" + BIG_ROWS + ";"
                + " CREATE TABLE events (id INT PRIMARY KEY AUTO_INCREMENT, v VARCHAR(40))");
    }

    /**
     * A dump command that touches {@code locked} when it starts (Cairn holds the lock by then),
     * waits (bounded) for {@code go} to exist, then runs mariadb-dump, or without {@code thenDump}
     * exits without dumping. Its {@code --version} is mariadb-dump's.
     */
    static Path gatedDump(Path dir, boolean thenDump) throws Exception {
        Path script = dir.resolve("gated-dump");
        Files.writeString(script, "#!/bin/sh\n"
                + "[ \"$1\" = --version ] && exec mariadb-dump --version\n"
                + "touch '" + dir.resolve("locked") + "'\n"
                + "i=0\n"
                + "while [ ! -e '" + dir.resolve("go") + "' ] && [ $i -lt 1200 ]; do sleep 0.05; i=$((i+1)); done\n"
                + (thenDump ? "exec mariadb-dump \"$@\"\n" : "exit 3\n"));
        script.toFile().setExecutable(true);
        return script;
    }

    static long seq(String gtid) {
        return Long.parseLong(gtid.substring(gtid.lastIndexOf('-') + 1));
    }

    /** One INSERT from another session, bounded by its own lock_wait_timeout: proves writes go through. */
    static void writeProceeds(String database) throws Exception {
        try (SqlSession s = new SqlSession(db.socket(), database)) {
            assertThat(s.row("SET SESSION lock_wait_timeout = 5; INSERT INTO events (v) VALUES ('after'); SELECT ROW_COUNT();"))
                    .isEqualTo("1");
        }
    }

    @Test
    void aLockedDumpWhileAWriterInsertsRestoresIntoAFreshServerExactlyTheRowsAtTheRecordedGtid(@TempDir Path tmp) throws Exception {
        createApp("shop");
        Map<Integer, Long> seqOfId = new ConcurrentHashMap<>();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger committed = new AtomicInteger();
        AtomicLong longestWriteNanos = new AtomicLong();
        AtomicReference<Throwable> writerError = new AtomicReference<>();
        Thread writer = new Thread(() -> {
            try (SqlSession s = new SqlSession(db.socket(), "shop")) {
                for (int i = 0; i < 200_000 && !stop.get(); i++) {
                    long t0 = System.nanoTime();
                    String[] r = s.row("INSERT INTO events (v) VALUES ('w" + i + "'); SELECT LAST_INSERT_ID(), @@last_gtid;").split("\t");
                    longestWriteNanos.accumulateAndGet(System.nanoTime() - t0, Math::max);
                    seqOfId.put(Integer.parseInt(r[0]), seq(r[1]));
                    committed.incrementAndGet();
                }
            } catch (Throwable t) {
                writerError.set(t);
            }
        }, "writer");
        writer.start();
        await(() -> committed.get() > 20, "the writer commits");

        AtomicBoolean acted = new AtomicBoolean();
        DirectoryEntries sink = new DirectoryEntries(tmp.resolve("snap")).onBytes(total -> {
            if (total > 64 * 1024 && acted.compareAndSet(false, true)) {
                int before = committed.get();
                // The dump is stalled on its pipe, inside its snapshot: the lock must be gone, commits go on.
                await(() -> committed.get() > before + 30, "30 more commits while the dump runs");
            }
        });
        // A generous hold limit on a loaded machine: what is asserted is the lock actually held.
        MysqlDumpSource source = new MysqlDumpSource(config("mariadb-dump", MysqlSourceConfig.DEFAULT_LOCK_WAIT_TIMEOUT,
                Duration.ofSeconds(30), "shop"), tmp, null);
        source.emit(sink);
        stop.set(true);
        writer.join(10_000);
        assertThat(writerError.get()).isNull();
        assertThat(acted).isTrue();

        Map<String, String> extra = sink.extra();
        assertThat(extra).containsEntry("mysql.consistency", "lock").containsEntry("mysql.databases", "shop")
                .containsKeys("mysql.binlog_file", "mysql.binlog_pos", "mysql.gtid", "mysql.server_version", "mysql.dump_lock_wait_seconds");
        assertThat(sink.problems()).isEmpty();
        double lockSeconds = Double.parseDouble(extra.get("mysql.dump_lock_seconds"));
        assertThat(lockSeconds).as("the lock is timed, and brief").isPositive().isLessThan(10);
        assertThat(source.lockSeconds()).isEqualTo(lockSeconds, org.assertj.core.data.Offset.offset(0.0005));
        MysqlDumpSource.LockWindow w = source.lastLockWindow();
        assertThat(w.releasedAtNanos()).isGreaterThan(w.acquiredAtNanos());
        // Writers waited for the lock at most: no write took much longer than the lock was held.
        assertThat(longestWriteNanos.get() / 1e9).isLessThan(lockSeconds + 5);

        // The coordinates are one position: the GTID is the binlog position's.
        assertThat(db.value("SELECT BINLOG_GTID_POS('" + extra.get("mysql.binlog_file") + "', " + extra.get("mysql.binlog_pos") + ")"))
                .isEqualTo(extra.get("mysql.gtid"));
        long snapshotSeq = seq(extra.get("mysql.gtid"));
        List<Integer> expected = new ArrayList<>();
        seqOfId.entrySet().stream().filter(e -> e.getValue() <= snapshotSeq).map(Map.Entry::getKey).sorted().forEach(expected::add);
        assertThat(seqOfId.values()).as("some commits came after the snapshot").anyMatch(s -> s > snapshotSeq);
        assertThat(expected.size()).as("some commits came before it").isGreaterThan(20);

        MysqlRestore restore = new MysqlRestore(new MysqlClient("mariadb", "backup", PASSWORD), "mariadb-dump");
        Map<String, String> names = MysqlRestore.mapping(MysqlRestore.databases(sink), null);
        restore.load(sink, HostPort.parse(fresh.address()), names, Duration.ofMinutes(2));
        List<Integer> restored = fresh.query("SELECT id FROM shop.events ORDER BY id").stream()
                .map(r -> Integer.parseInt(r.get("id"))).toList();
        assertThat(restored).as("exactly the rows committed at the recorded GTID").isEqualTo(expected);
        assertThat(fresh.value("SELECT COUNT(*) FROM shop.a_big")).isEqualTo(Integer.toString(BIG_ROWS));
        assertThat(restore.compare(sink, HostPort.parse(fresh.address()), names, Duration.ofMinutes(1))).isEmpty();

        // Rolled forward from the recorded binlog position, the fresh server holds what the source holds now:
        // a position one transaction early would insert a row twice (duplicate key), one late would miss it.
        Path binlog = db.dataDir().resolve(extra.get("mysql.binlog_file"));
        Process replay = new ProcessBuilder("sh", "-c", "( echo 'SET SESSION sql_log_bin = 0;'; mariadb-binlog --no-defaults"
                + " --start-position=" + extra.get("mysql.binlog_pos") + " --database=shop '" + binlog + "' ) | mariadb --no-defaults"
                + " -uroot --socket='" + fresh.socket() + "'").redirectErrorStream(true).start();
        String replayOut = new String(replay.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(replay.waitFor(2, java.util.concurrent.TimeUnit.MINUTES)).isTrue();
        assertThat(replay.exitValue()).as(replayOut).isZero();
        assertThat(fresh.query("SELECT id, v FROM shop.events ORDER BY id")).isEqualTo(db.query("SELECT id, v FROM shop.events ORDER BY id"));
        writeProceeds("shop");
    }

    @Test
    void aWriterWaitsWhileTheLockIsHeldAndGoesOnOnceTheDumpsSnapshotExists(@TempDir Path tmp) throws Exception {
        createApp("gate");
        Path script = gatedDump(tmp, true);
        MysqlDumpSource source = new MysqlDumpSource(config(script.toString(), Duration.ofSeconds(5), Duration.ofSeconds(60), "gate"), tmp, null);
        DirectoryEntries sink = new DirectoryEntries(tmp.resolve("snap"));
        AtomicReference<Throwable> backupError = new AtomicReference<>();
        Thread backup = new Thread(() -> {
            try {
                source.emit(sink);
            } catch (Throwable t) {
                backupError.set(t);
            }
        }, "backup");
        backup.start();
        await(() -> Files.exists(tmp.resolve("locked")), "the dump command starts (under the lock)");

        AtomicReference<String> insertGtid = new AtomicReference<>();
        AtomicLong insertReturned = new AtomicLong(-1);
        Thread insert = new Thread(() -> {
            try (SqlSession s = new SqlSession(db.socket(), "gate")) {
                insertGtid.set(s.row("INSERT INTO events (v) VALUES ('blocked'); SELECT @@last_gtid;"));
                insertReturned.set(System.nanoTime());
            } catch (Throwable t) {
                insertGtid.set("failed: " + t);
            }
        }, "insert");
        insert.start();
        await(() -> !db.query("SELECT ID FROM information_schema.PROCESSLIST WHERE INFO LIKE 'INSERT INTO events%'"
                + " AND STATE LIKE 'Waiting for%lock%'").isEmpty(), "the INSERT waits for the read lock");
        assertThat(insertGtid.get()).as("nothing commits under the lock").isNull();

        long goAt = System.nanoTime();
        Files.createFile(tmp.resolve("go"));
        backup.join(120_000);
        insert.join(30_000);
        assertThat(backupError.get()).isNull();
        assertThat(insertReturned.get()).as("the INSERT returned only once the dump could start").isGreaterThan(goAt);
        assertThat(seq(insertGtid.get())).as("and is not in the dump").isGreaterThan(seq(sink.extra().get("mysql.gtid")));
        assertThat(Double.parseDouble(sink.extra().get("mysql.dump_lock_seconds"))).as("the lock covered the wait").isGreaterThan(0.05);
        assertThat(MysqlRestore.recorded(sink).get("gate.events").rows()).isZero();
    }

    @Test
    void aDumpThatNeverStartsItsSnapshotFailsTheRunAndReleasesTheLock(@TempDir Path tmp) throws Exception {
        createApp("stuck");
        Path script = gatedDump(tmp, false);
        MysqlDumpSource source = new MysqlDumpSource(config(script.toString(), Duration.ofSeconds(5), Duration.ofSeconds(2), "stuck"), tmp, null);
        assertThatThrownBy(() -> source.emit(new DirectoryEntries(tmp.resolve("snap"))))
                .isInstanceOfSatisfying(SourceException.class, e -> assertThat(e.id()).isEqualTo(SourceErrors.DUMP_SNAPSHOT_NOT_STARTED))
                .hasMessageContaining("within lock_hold_limit 2.0s").hasMessageContaining("the read lock was released");
        assertThat(Files.exists(tmp.resolve("locked"))).isTrue();
        await(() -> ProcessHandle.current().descendants().noneMatch(p -> p.info().arguments()
                .map(a -> String.join(" ", a).contains(script.toString())).orElse(false)), "the dump command is killed");
        writeProceeds("stuck");
    }

    @Test
    void anAccountThatCannotReadTheDumpsTransactionIsRefusedBeforeAnythingIsLocked(@TempDir Path tmp) throws Exception {
        createApp("noproc");
        db.exec("CREATE USER noproc@'127.0.0.1' IDENTIFIED BY '" + PASSWORD + "';"
                + " GRANT SELECT, RELOAD, SHOW VIEW, TRIGGER, EVENT, LOCK TABLES, BINLOG MONITOR ON *.* TO noproc@'127.0.0.1'");
        Path script = gatedDump(tmp, true);
        MysqlSourceConfig c = config(script.toString(), Duration.ofSeconds(5), Duration.ofSeconds(10), "noproc");
        MysqlSourceConfig noProcess = new MysqlSourceConfig(null, c.host(), c.databases(), "noproc", c.passwordFile(), c.from(),
                c.maxLag(), false, c.timeout(), c.dumpCommand(), "mariadb", null, null, c.consistency(), c.lockWaitTimeout(), c.lockHoldLimit());
        assertThatThrownBy(() -> new MysqlDumpSource(noProcess, tmp, null).emit(new DirectoryEntries(tmp.resolve("snap"))))
                .isInstanceOfSatisfying(SourceException.class, e -> assertThat(e.id()).isEqualTo(SourceErrors.ACCESS_DENIED))
                .hasMessageContaining("reading INNODB_TRX").hasMessageContaining("PROCESS");
        assertThat(Files.exists(tmp.resolve("locked"))).as("no dump was started").isFalse();
        writeProceeds("noproc");
    }

    @Test
    void aLockThatCannotBeHadInTimeFailsTheRunBeforeAnythingIsDumped(@TempDir Path tmp) throws Exception {
        createApp("held");
        Path script = gatedDump(tmp, true);
        db.exec("INSERT INTO held.events (v) VALUES ('x')");
        // A write statement in progress: the read lock cannot be had until it ends (8 s from now).
        Thread holder = new Thread(() -> db.exec("UPDATE held.events SET v = 'y' WHERE SLEEP(8) = 0"), "long-update");
        holder.start();
        try {
            await(() -> !db.query("SELECT ID FROM information_schema.PROCESSLIST WHERE INFO LIKE 'UPDATE held.events%'"
                    + " AND STATE = 'User sleep'").isEmpty(), "the UPDATE runs");
            MysqlDumpSource source = new MysqlDumpSource(config(script.toString(), Duration.ofSeconds(1), Duration.ofSeconds(10), "held"), tmp, null);
            assertThatThrownBy(() -> source.emit(new DirectoryEntries(tmp.resolve("snap"))))
                    .isInstanceOfSatisfying(SourceException.class, e -> assertThat(e.id()).isEqualTo(SourceErrors.READ_LOCK_TIMEOUT))
                    .hasMessageContaining("within lock_wait_timeout 1s");
            assertThat(Files.exists(tmp.resolve("locked"))).as("no dump was started").isFalse();
        } finally {
            holder.join(30_000);
        }
        writeProceeds("held");
    }
}
