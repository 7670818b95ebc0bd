package dev.cairn.backup.source.mysql;

import dev.cairn.backup.source.ChildProcess;
import dev.cairn.backup.source.EntryMeta;
import dev.cairn.backup.source.EntrySink;
import dev.cairn.backup.source.ScanningInputStream;
import dev.cairn.backup.source.SecretFile;
import dev.cairn.backup.source.SourceErrors;
import dev.cairn.backup.source.SourceException;
import dev.cairn.backup.source.Source;
import dev.cairn.spi.catalog.Catalog;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A consistent logical dump of MySQL/MariaDB databases, streamed into the repository as it is
 * produced. How the data is made consistent with the binlog coordinates recorded for it depends
 * on the server (told by a JDBC session's {@code VERSION()}; {@code consistency} overrides it):
 *
 * <ul>
 *   <li>MariaDB ({@code snapshot}): {@code mariadb-dump --single-transaction --quick
 *   --master-data=2 --gtid} takes no global lock: it reads {@code Binlog_snapshot_file/position}
 *   of its own consistent-snapshot transaction and {@code BINLOG_GTID_POS()} of them, so the
 *   coordinates match the data exactly;</li>
 *   <li>MySQL ({@code lock}): Cairn takes the global read lock itself ({@link GlobalReadLock}),
 *   reads the coordinates under it, starts {@code mysqldump --single-transaction} without lock
 *   options of its own and releases the lock as soon as the dump's snapshot transaction exists,
 *   so the lock is timed ({@code mysql.dump_lock_seconds}, {@code cairn_backup_dump_lock_seconds}).</li>
 * </ul>
 *
 * <p>Success is exit code 0 <em>and</em> the {@code -- Dump completed} trailer. A table
 * altered by another session during the dump makes the server fail the dump
 * ({@link SourceErrors#DDL_DURING_DUMP}); it never passes as a success.
 *
 * <p>Files written: {@code mysql/dump.sql} (the dump) and {@code mysql/tables.tsv} (per table:
 * database, table, rows, SHA-256 of its INSERTs; what a restore test compares). Manifest
 * {@code extra}: {@code mysql.server}, {@code mysql.role}, {@code mysql.consistency},
 * {@code mysql.binlog_file}, {@code mysql.binlog_pos}, {@code mysql.gtid},
 * {@code mysql.server_version}, {@code mysql.databases}, {@code mysql.dump_lock_seconds} (and
 * {@code mysql.dump_lock_wait_seconds} with Cairn's lock), {@code mysql.replica_lag_seconds}.
 */
public final class MysqlDumpSource implements Source {

    public static final String DUMP_FILE = "mysql/dump.sql";
    public static final String TABLES_FILE = "mysql/tables.tsv";

    private final MysqlSourceConfig cfg;
    private final Path configDir;
    private final Catalog catalog;
    private volatile ServerChoice lastChoice;
    private volatile double lockSeconds;
    private volatile LockWindow lastLockWindow;

    /** The JDBC session's statements may wait this much longer than the lock wait it asks the server for. */
    private static final Duration SESSION_READ_MARGIN = Duration.ofSeconds(30);

    public MysqlDumpSource(MysqlSourceConfig cfg, Path configDir, Catalog catalog) {
        this.cfg = cfg;
        this.configDir = configDir;
        this.catalog = catalog;
    }

    @Override
    public List<String> describe() {
        List<String> d = new ArrayList<>();
        for (String db : cfg.databases()) d.add("mysql:" + db);
        return d;
    }

    /** The server the last run dumped. */
    public ServerChoice lastChoice() {
        return lastChoice;
    }

    /** Seconds the last run held a global read lock (0 on MariaDB; NaN when it could not be timed). */
    public double lockSeconds() {
        return lockSeconds;
    }

    /** The dump program's options (after the connection options), the same for a backup and a restore test. */
    static List<String> dumpOptions(List<String> databases) {
        return dumpOptions(databases, true);
    }

    /**
     * The options for MariaDB's dump program ({@code mariadb}: it takes {@code --gtid}) or for MySQL's
     * {@code mysqldump}, which has no {@code --gtid} (it refuses unknown options) and writes the
     * snapshot's {@code GTID_PURGED} by itself.
     */
    static List<String> dumpOptions(List<String> databases, boolean mariadb) {
        return dumpOptions(databases, mariadb, false);
    }

    /**
     * With {@code cairnLocks}, the options for a dump under Cairn's own read lock (or one that
     * needs no coordinates, as a restore test's): {@code --single-transaction} without
     * {@code --master-data}, so the program takes no lock; MySQL's {@code mysqldump} also gets
     * {@code --set-gtid-purged=OFF}, else (8.0.32 and later, GTIDs on) it takes a read lock of its
     * own to read {@code gtid_executed}: Cairn reads it under its lock and records it instead.
     */
    static List<String> dumpOptions(List<String> databases, boolean mariadb, boolean cairnLocks) {
        List<String> o = new ArrayList<>(List.of("--single-transaction", "--quick"));
        if (!cairnLocks) {
            o.add("--master-data=2");
            if (mariadb) o.add("--gtid");
        } else if (!mariadb) {
            o.add("--set-gtid-purged=OFF");
        }
        o.addAll(List.of("--order-by-primary", "--routines", "--events", "--triggers", "--hex-blob",
                "--default-character-set=utf8mb4", "--verbose", "--databases"));
        o.addAll(databases);
        return o;
    }

    /**
     * Whether {@code dumpCommand} is MariaDB's (its {@code --version} line names MariaDB; Debian's
     * {@code mysqldump} is MariaDB's too). When the line cannot be read, MariaDB is assumed.
     */
    static boolean mariadbDumper(String dumpCommand) throws InterruptedException {
        try {
            Process p = new ProcessBuilder(dumpCommand, "--version").redirectErrorStream(true).start();
            byte[] out = p.getInputStream().readNBytes(4096);
            if (!p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return true;
            }
            String line = new String(out, StandardCharsets.UTF_8);
            return p.exitValue() != 0 || line.contains("MariaDB") || !line.contains("MySQL");
        } catch (IOException e) {
            return true; // the dump itself reports a program that cannot start
        }
    }

    /** Whether a dump of a {@code flavour} server takes Cairn's read lock. */
    static boolean cairnLocks(MysqlSourceConfig.Consistency consistency, ServerSession.Flavour flavour) {
        return switch (consistency == null ? MysqlSourceConfig.Consistency.AUTO : consistency) {
            case LOCK -> true;
            case SNAPSHOT -> false;
            case AUTO -> flavour == ServerSession.Flavour.MYSQL;
        };
    }

    /** When the last run's read lock was had and released ({@link System#nanoTime()}); null when it took none. */
    record LockWindow(long acquiredAtNanos, long releasedAtNanos) {
    }

    /** The last run's read lock, for tests that check writers against it. */
    LockWindow lastLockWindow() {
        return lastLockWindow;
    }

    @Override
    public void emit(EntrySink sink) throws IOException, InterruptedException {
        String password = MysqlClient.password(resolve(cfg.passwordFile()));
        MysqlClient client = new MysqlClient(cfg.clientCommand(), cfg.user(), password);
        ServerChoice choice = ServerChoice.choose(cfg, catalog, client);
        lastChoice = choice;
        lastLockWindow = null;
        Duration lockWait = cfg.lockWaitTimeout() != null ? cfg.lockWaitTimeout() : MysqlSourceConfig.DEFAULT_LOCK_WAIT_TIMEOUT;
        Duration holdLimit = cfg.lockHoldLimit() != null ? cfg.lockHoldLimit() : MysqlSourceConfig.DEFAULT_LOCK_HOLD_LIMIT;
        DumpScanner scanner = new DumpScanner();
        LockClock clock = new LockClock();
        boolean mariadbProgram = mariadbDumper(cfg.dumpCommand());
        GlobalReadLock lock = null;
        String sessionVersion;
        Map<String, List<String>> tablesBefore;
        try (ServerSession session = ServerSession.open(choice.server(), cfg.user(), password, lockWait.plus(SESSION_READ_MARGIN))) {
            sessionVersion = session.version();
            // Before the lock (never longer held for it): DDL in between is reported, never missed.
            tablesBefore = SchemaCheck.columns(session, cfg.databases());
            if (cairnLocks(cfg.consistency(), session.flavour())) {
                lock = GlobalReadLock.take(session, lockWait);
                try {
                    runDump(choice, client, dumpOptions(cfg.databases(), mariadbProgram, true), sink, scanner, clock, lock, holdLimit);
                } finally {
                    lock.close();
                }
                lastLockWindow = new LockWindow(lock.acquiredAtNanos(), lock.releasedAtNanos());
            }
        }
        if (lock == null) {
            runDump(choice, client, dumpOptions(cfg.databases(), mariadbProgram, false), sink, scanner, clock, null, holdLimit);
        }
        List<String> altered = SchemaCheck.differences(tablesBefore, scanner.columns());
        if (!altered.isEmpty()) {
            throw new SourceException(SourceErrors.DDL_DURING_DUMP, "tables were altered during the dump of " + choice.server()
                    + " (DDL from another session the server let the dump read past): " + String.join("; ", altered)
                    + "; the dump is discarded");
        }
        sink.stream(EntryMeta.streamed(TABLES_FILE),
                new java.io.ByteArrayInputStream(tablesTsv(scanner.tables().values()).getBytes(StandardCharsets.UTF_8)));
        sink.extra("mysql.server", choice.server().toString());
        sink.extra("mysql.role", choice.role());
        sink.extra("mysql.chosen", choice.why());
        sink.extra("mysql.databases", String.join(",", cfg.databases()));
        sink.extra("mysql.consistency", lock != null ? "lock" : "snapshot");
        if (choice.lagSeconds() >= 0) sink.extra("mysql.replica_lag_seconds", Long.toString(choice.lagSeconds()));
        String version = scanner.serverVersion() != null ? scanner.serverVersion() : sessionVersion;
        if (version != null) sink.extra("mysql.server_version", version);
        String binlogFile = lock != null ? lock.coordinates().file() : scanner.binlogFile();
        long binlogPos = lock != null ? lock.coordinates().position() : scanner.binlogPos();
        String gtid = lock != null ? lock.coordinates().gtid() : scanner.gtid();
        if (binlogFile != null) {
            sink.extra("mysql.binlog_file", binlogFile);
            sink.extra("mysql.binlog_pos", Long.toString(binlogPos));
        }
        if (gtid != null) sink.extra("mysql.gtid", gtid);
        if (binlogFile == null && gtid == null) {
            sink.problem("the dump carries no binlog coordinates (is the binary log off on " + choice.server() + "?)");
        }
        if (lock != null) {
            lockSeconds = lock.heldSeconds();
            sink.extra("mysql.dump_lock_seconds", String.format(Locale.ROOT, "%.3f", lockSeconds));
            sink.extra("mysql.dump_lock_wait_seconds", String.format(Locale.ROOT, "%.3f", lock.waitedSeconds()));
            return;
        }
        lockSeconds = clock.seconds();
        boolean mariadb = version != null && version.contains("MariaDB");
        if (!mariadb && !clock.seen()) {
            // MySQL's mysqldump took its read lock without a progress line we recognise: unknown, not 0.
            lockSeconds = Double.NaN;
            sink.extra("mysql.dump_lock_seconds", "unknown");
        } else {
            sink.extra("mysql.dump_lock_seconds", String.format(Locale.ROOT, "%.3f", lockSeconds));
        }
    }

    /**
     * Runs the dump program into the sink. With {@code lock}, a thread of its own releases the
     * lock once the dump's snapshot transaction exists (or kills the dump past {@code holdLimit})
     * while this thread streams the output.
     */
    private void runDump(ServerChoice choice, MysqlClient client, List<String> options, EntrySink sink, DumpScanner scanner,
                         LockClock clock, GlobalReadLock lock, Duration holdLimit) throws IOException, InterruptedException {
        try (SecretFile defaults = client.defaultsFile()) {
            List<String> argv = new ArrayList<>();
            argv.add(cfg.dumpCommand());
            argv.addAll(MysqlClient.connection(defaults, choice.server()));
            argv.addAll(options);
            try (ChildProcess p = ChildProcess.start(argv, Map.of(), null, cfg.timeout(), clock::line)) {
                LockRelease release = lock == null ? null : LockRelease.start(lock, p, holdLimit);
                try {
                    try (InputStream in = new ScanningInputStream(p.stdout(), scanner::write)) {
                        sink.stream(EntryMeta.streamed(DUMP_FILE), in);
                    } catch (IOException e) {
                        // Killing the dump closes its output under the reader: the release's error is the run's.
                        if (release != null && release.failed()) release.await();
                        throw e;
                    }
                    int rc = p.waitFor();
                    if (release != null) release.await(); // a dump killed for holding the lock fails as that
                    if (rc != 0 || p.timedOut()) {
                        throw MysqlClient.classify(p, rc, choice.server(), "dump of " + String.join(",", cfg.databases()));
                    }
                    if (!scanner.completed()) {
                        throw new SourceException(SourceErrors.INCOMPLETE_DUMP, cfg.dumpCommand() + " exited 0 but the dump of "
                                + choice.server() + " has no '-- Dump completed' trailer (" + scanner.bytes() + " bytes): discarded");
                    }
                } finally {
                    if (release != null) release.stop();
                }
            }
        }
    }

    /** {@code database \t table \t rows \t sha256} lines, the format of {@link #TABLES_FILE}. */
    public static String tablesTsv(Iterable<DumpScanner.TableDigest> tables) {
        StringBuilder b = new StringBuilder("# database\ttable\trows\tsha256_of_inserts\n");
        for (DumpScanner.TableDigest d : tables) {
            b.append(d.database()).append('\t').append(d.table()).append('\t').append(d.rows()).append('\t')
                    .append(d.sha256()).append('\n');
        }
        return b.toString();
    }

    private Path resolve(Path p) {
        return p == null ? null : configDir.resolve(p).normalize();
    }

    /**
     * Times a global read lock from the dump's --verbose progress lines: from the line that
     * announces FLUSH TABLES WITH READ LOCK to the next one (MariaDB's consistent snapshot never
     * prints it, so the lock is 0 there).
     */
    static final class LockClock {
        private long start = -1;
        private long end = -1;

        synchronized void line(String line) {
            long now = System.nanoTime();
            String l = line.toLowerCase(Locale.ROOT);
            if (start < 0 && l.startsWith("--") && l.contains("flush") && l.contains("lock")) {
                start = now;
            } else if (start >= 0 && end < 0) {
                end = now;
            }
        }

        synchronized boolean seen() {
            return start >= 0;
        }

        synchronized double seconds() {
            if (start < 0) return 0;
            return ((end < 0 ? System.nanoTime() : end) - start) / 1e9;
        }
    }

    /**
     * The thread that releases a {@link GlobalReadLock} while the dump streams: started with the
     * dump, stopped (interrupted, which releases the lock) when the dump is over either way.
     */
    private static final class LockRelease {
        private final Thread thread;
        private volatile Throwable error;

        private LockRelease(GlobalReadLock lock, ChildProcess dump, Duration holdLimit) {
            thread = new Thread(() -> {
                try {
                    lock.releaseWhenSnapshotStarted(dump, holdLimit);
                } catch (InterruptedException e) {
                    // stopped: the lock was released on the way out
                } catch (Throwable t) {
                    // Released on the way out, but the snapshot was not seen: stop the dump now, not hours later.
                    error = t;
                    dump.kill();
                }
            }, "mysql-read-lock-" + dump.pid());
            thread.setDaemon(true);
        }

        static LockRelease start(GlobalReadLock lock, ChildProcess dump, Duration holdLimit) {
            LockRelease r = new LockRelease(lock, dump, holdLimit);
            r.thread.start();
            return r;
        }

        /** Whether the release ended with an error (it has killed the dump then). */
        boolean failed() throws InterruptedException {
            thread.join(FAILED_WAIT.toMillis()); // a release that just killed the dump is about to end
            return error != null;
        }

        /** Waits for the release (bounded by the hold limit: it kills the dump then) and throws its failure. */
        void await() throws SourceException, InterruptedException {
            thread.join();
            Throwable t = error;
            if (t instanceof SourceException e) throw e;
            if (t != null) throw new SourceException(SourceErrors.DUMP_FAILED, "releasing the read lock failed: " + t, t);
        }

        void stop() throws InterruptedException {
            thread.interrupt();
            thread.join(STOP_WAIT.toMillis());
        }

        /** The release polls every few milliseconds: an interrupt ends it at once. */
        private static final Duration STOP_WAIT = Duration.ofSeconds(10);
        private static final Duration FAILED_WAIT = Duration.ofSeconds(1);
    }
}
