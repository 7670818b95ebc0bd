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
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A consistent logical dump of MySQL/MariaDB databases, streamed into the repository as it is
 * produced: {@code mariadb-dump --single-transaction --quick --master-data=2 --gtid}. On MariaDB
 * the dump takes no global lock: it reads {@code Binlog_snapshot_file/position} of its own
 * consistent-snapshot transaction and {@code BINLOG_GTID_POS()} of them, so the coordinates
 * match the data exactly. On MySQL the dump holds a global read lock for a moment; its
 * duration is taken from the dump's progress lines and recorded.
 *
 * <p>Success is exit code 0 <em>and</em> the {@code -- Dump completed} trailer. A table
 * altered by another session during the dump makes the server fail the dump
 * ({@link SourceErrors#DDL_DURING_DUMP}); it never passes as a success.
 *
 * <p>Files written: {@code mysql/dump.sql} (the dump) and {@code mysql/tables.tsv} (per table:
 * database, table, rows, SHA-256 of its INSERTs; what a restore test compares). Manifest
 * {@code extra}: {@code mysql.server}, {@code mysql.role}, {@code mysql.binlog_file},
 * {@code mysql.binlog_pos}, {@code mysql.gtid}, {@code mysql.server_version},
 * {@code mysql.databases}, {@code mysql.dump_lock_seconds}, {@code mysql.replica_lag_seconds}.
 */
public final class MysqlDumpSource implements Source {

    public static final String DUMP_FILE = "mysql/dump.sql";
    public static final String TABLES_FILE = "mysql/tables.tsv";

    private final MysqlSourceConfig cfg;
    private final Path configDir;
    private final Catalog catalog;
    private volatile ServerChoice lastChoice;
    private volatile double lockSeconds;

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
        List<String> o = new ArrayList<>(List.of("--single-transaction", "--quick", "--master-data=2"));
        if (mariadb) o.add("--gtid");
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

    @Override
    public void emit(EntrySink sink) throws IOException, InterruptedException {
        String password = MysqlClient.password(resolve(cfg.passwordFile()));
        MysqlClient client = new MysqlClient(cfg.clientCommand(), cfg.user(), password);
        ServerChoice choice = ServerChoice.choose(cfg, catalog, client);
        lastChoice = choice;
        DumpScanner scanner = new DumpScanner();
        LockClock lock = new LockClock();
        try (SecretFile defaults = client.defaultsFile()) {
            List<String> argv = new ArrayList<>();
            argv.add(cfg.dumpCommand());
            argv.addAll(MysqlClient.connection(defaults, choice.server()));
            argv.addAll(dumpOptions(cfg.databases(), mariadbDumper(cfg.dumpCommand())));
            try (ChildProcess p = ChildProcess.start(argv, Map.of(), null, cfg.timeout(), lock::line)) {
                try (InputStream in = new ScanningInputStream(p.stdout(), scanner::write)) {
                    sink.stream(EntryMeta.streamed(DUMP_FILE), in);
                }
                int rc = p.waitFor();
                if (rc != 0 || p.timedOut()) {
                    throw MysqlClient.classify(p, rc, choice.server(), "dump of " + String.join(",", cfg.databases()));
                }
                if (!scanner.completed()) {
                    throw new SourceException(SourceErrors.INCOMPLETE_DUMP, cfg.dumpCommand() + " exited 0 but the dump of "
                            + choice.server() + " has no '-- Dump completed' trailer (" + scanner.bytes() + " bytes): discarded");
                }
            }
        }
        lockSeconds = lock.seconds();
        sink.stream(EntryMeta.streamed(TABLES_FILE),
                new java.io.ByteArrayInputStream(tablesTsv(scanner.tables().values()).getBytes(StandardCharsets.UTF_8)));
        sink.extra("mysql.server", choice.server().toString());
        sink.extra("mysql.role", choice.role());
        sink.extra("mysql.chosen", choice.why());
        sink.extra("mysql.databases", String.join(",", cfg.databases()));
        if (choice.lagSeconds() >= 0) sink.extra("mysql.replica_lag_seconds", Long.toString(choice.lagSeconds()));
        if (scanner.serverVersion() != null) sink.extra("mysql.server_version", scanner.serverVersion());
        if (scanner.binlogFile() != null) {
            sink.extra("mysql.binlog_file", scanner.binlogFile());
            sink.extra("mysql.binlog_pos", Long.toString(scanner.binlogPos()));
        }
        if (scanner.gtid() != null) sink.extra("mysql.gtid", scanner.gtid());
        if (scanner.binlogFile() == null && scanner.gtid() == null) {
            sink.problem("the dump carries no binlog coordinates (is the binary log off on " + choice.server() + "?)");
        }
        boolean mariadb = scanner.serverVersion() != null && scanner.serverVersion().contains("MariaDB");
        if (!mariadb && !lock.seen()) {
            // MySQL's mysqldump took its read lock without a progress line we recognise: unknown, not 0.
            lockSeconds = Double.NaN;
            sink.extra("mysql.dump_lock_seconds", "unknown");
        } else {
            sink.extra("mysql.dump_lock_seconds", String.format(Locale.ROOT, "%.3f", lockSeconds));
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
}
