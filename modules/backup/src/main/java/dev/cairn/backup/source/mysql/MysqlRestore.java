package dev.cairn.backup.source.mysql;

import dev.cairn.backup.source.EntryReader;
import dev.cairn.backup.source.SourceErrors;
import dev.cairn.backup.source.SourceException;
import dev.cairn.spi.config.HostPort;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Loads a {@link MysqlDumpSource} snapshot back into a server ({@code cairn restore JOB
 * --to-database HOST:PORT [--database NAME]}), streaming the dump from the repository into the
 * {@code mariadb} client, optionally under other database names; and checks a loaded copy
 * against the snapshot's {@code mysql/tables.tsv} (the restore test).
 */
public final class MysqlRestore {

    private final MysqlClient client;
    private final String dumpCommand;

    public MysqlRestore(MysqlClient client, String dumpCommand) {
        this.client = client;
        this.dumpCommand = dumpCommand;
    }

    /** The databases of a snapshot, from its manifest. */
    public static List<String> databases(EntryReader snapshot) throws SourceException {
        String dbs = snapshot.extra().get("mysql.databases");
        if (dbs == null || dbs.isBlank()) {
            throw new SourceException(SourceErrors.RESTORE_FAILED, "the snapshot is not a mysql dump (no mysql.databases in its manifest)");
        }
        return List.of(dbs.split(","));
    }

    /**
     * The name mapping for {@code --database NAME}: only a dump of one database may be loaded
     * under another name. {@code rename} null keeps the names.
     */
    public static Map<String, String> mapping(List<String> databases, String rename) throws SourceException {
        Map<String, String> m = new LinkedHashMap<>();
        if (rename == null) {
            for (String d : databases) m.put(d, d);
            return m;
        }
        if (databases.size() != 1) {
            throw new SourceException(SourceErrors.RESTORE_FAILED, "--database renames a dump of one database; this one holds "
                    + String.join(", ", databases) + " (restore without --database, or into a scratch server)");
        }
        m.put(databases.get(0), rename);
        return m;
    }

    /** Streams the snapshot's dump into {@code target}, each database renamed as {@code names} says. */
    public Duration load(EntryReader snapshot, HostPort target, Map<String, String> names, Duration timeout)
            throws SourceException, InterruptedException {
        long t0 = System.nanoTime();
        try (InputStream dump = new DatabaseRenamer(snapshot.open(MysqlDumpSource.DUMP_FILE), names)) {
            client.load(target, null, dump, timeout);
        } catch (SourceException e) {
            throw e;
        } catch (IOException e) {
            throw new SourceException(SourceErrors.RESTORE_FAILED, "cannot read the dump from the repository: " + e.getMessage(), e);
        }
        return Duration.ofNanos(System.nanoTime() - t0);
    }

    /** The per-table digests the backup recorded, keyed {@code database.table}. */
    public static Map<String, DumpScanner.TableDigest> recorded(EntryReader snapshot) throws SourceException {
        Map<String, DumpScanner.TableDigest> out = new LinkedHashMap<>();
        try (InputStream in = snapshot.open(MysqlDumpSource.TABLES_FILE)) {
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                if (line.isBlank() || line.startsWith("#")) continue;
                String[] f = line.split("\t");
                DumpScanner.TableDigest d = new DumpScanner.TableDigest(f[0], f[1], Long.parseLong(f[2]), f[3]);
                out.put(d.key(), d);
            }
        } catch (IOException | RuntimeException e) {
            throw new SourceException(SourceErrors.RESTORE_FAILED, "cannot read " + MysqlDumpSource.TABLES_FILE + ": " + e.getMessage(), e);
        }
        return out;
    }

    /**
     * Compares what is now in {@code server} (databases renamed as {@code names}) with the
     * snapshot's recorded digests: every table present, the same row count
     * ({@code SELECT COUNT(*)}) and the same SHA-256 of its rows (dumped again with the backup's
     * options). Returns the differences, empty when it all matches.
     */
    public List<String> compare(EntryReader snapshot, HostPort server, Map<String, String> names, Duration timeout)
            throws SourceException, InterruptedException {
        Map<String, DumpScanner.TableDigest> want = recorded(snapshot);
        List<String> diffs = new ArrayList<>();
        for (Map.Entry<String, String> db : names.entrySet()) {
            DumpScanner scanner = new DumpScanner();
            dumpInto(server, db.getValue(), scanner, timeout);
            Map<String, DumpScanner.TableDigest> got = new LinkedHashMap<>();
            for (DumpScanner.TableDigest d : scanner.tables().values()) got.put(d.table(), d);
            for (DumpScanner.TableDigest w : want.values()) {
                if (!w.database().equals(db.getKey())) continue;
                DumpScanner.TableDigest g = got.remove(w.table());
                String name = db.getValue() + "." + w.table();
                if (g == null) {
                    diffs.add(name + ": missing");
                    continue;
                }
                String count = client.query(server, "SELECT COUNT(*) AS n FROM `" + db.getValue().replace("`", "``")
                        + "`.`" + w.table().replace("`", "``") + "`").get(0).get("n");
                if (Long.parseLong(count) != w.rows()) {
                    diffs.add(name + ": " + count + " rows, the snapshot has " + w.rows());
                } else if (g.rows() != w.rows() || !g.sha256().equals(w.sha256())) {
                    diffs.add(name + ": rows differ from the snapshot (sha256 " + g.sha256().substring(0, 12) + " vs "
                            + w.sha256().substring(0, 12) + ")");
                }
            }
            for (String extra : got.keySet()) diffs.add(db.getValue() + "." + extra + ": not in the snapshot");
        }
        return diffs;
    }

    private void dumpInto(HostPort server, String database, DumpScanner scanner, Duration timeout)
            throws SourceException, InterruptedException {
        try (dev.cairn.backup.source.SecretFile defaults = client.defaultsFile()) {
            List<String> argv = new ArrayList<>();
            argv.add(dumpCommand);
            argv.addAll(MysqlClient.connection(defaults, server));
            // No --master-data (a scratch server need not log binlogs) and no lock: the rows dump the same.
            argv.addAll(MysqlDumpSource.dumpOptions(List.of(database), MysqlDumpSource.mariadbDumper(dumpCommand), true));
            try (dev.cairn.backup.source.ChildProcess p = dev.cairn.backup.source.ChildProcess.start(argv, Map.of(), null, timeout, null);
                 InputStream in = p.stdout()) {
                byte[] buf = new byte[256 * 1024];
                int n;
                while ((n = in.read(buf)) > 0) scanner.write(buf, 0, n);
                int rc = p.waitFor();
                if (rc != 0) throw MysqlClient.classify(p, rc, server, "verification dump of " + database);
            }
        } catch (SourceException e) {
            throw e;
        } catch (IOException e) {
            throw new SourceException(SourceErrors.RESTORE_FAILED, "verification dump of " + database + " failed: " + e.getMessage(), e);
        }
    }

    /** Drops the databases a restore test created. */
    public void drop(HostPort server, Iterable<String> databases) throws SourceException, InterruptedException {
        for (String d : databases) client.query(server, "DROP DATABASE IF EXISTS `" + d.replace("`", "``") + "`");
    }
}
