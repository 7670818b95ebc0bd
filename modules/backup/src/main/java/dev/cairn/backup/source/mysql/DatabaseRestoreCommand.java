package dev.cairn.backup.source.mysql;

import dev.cairn.backup.repo.Repository;
import dev.cairn.backup.repo.Snapshot;
import dev.cairn.backup.source.SnapshotEntries;
import dev.cairn.backup.source.SourceException;
import dev.cairn.spi.config.HostPort;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * {@code cairn restore JOB --to-database HOST:PORT [--database NAME] [--user U --password-file F]}:
 * streams a mysql job's dump from the repository into a server, then checks every table's row
 * count and digest against what the backup recorded, and prints what it did.
 */
public final class DatabaseRestoreCommand {

    /** Loading a large dump takes a while; a restore an operator started is not cut short early. */
    static final Duration TIMEOUT = Duration.ofHours(24);

    private DatabaseRestoreCommand() {
    }

    /** Returns the exit code: 0 restored and matching, 2 restored with differences, 1 failed. */
    public static int run(Repository repo, String snapshotId, MysqlSourceConfig source, Path configDir, String target,
                          String database, String user, String passwordFile, PrintStream out, PrintStream err)
            throws InterruptedException {
        try {
            HostPort to = HostPort.parse(target);
            Snapshot snap = repo.readSnapshot(snapshotId);
            SnapshotEntries entries = new SnapshotEntries(repo, snap);
            List<String> dbs = MysqlRestore.databases(entries);
            Map<String, String> names = MysqlRestore.mapping(dbs, database);
            String u = user != null ? user : source.user();
            Path pw = passwordFile != null ? Path.of(passwordFile) : source.passwordFile() == null ? null : configDir.resolve(source.passwordFile());
            MysqlRestore restore = new MysqlRestore(new MysqlClient(source.clientCommand(), u, MysqlClient.password(pw)), source.dumpCommand());
            Map<String, String> x = snap.header().extra();
            out.printf("loading %s of %s (gtid %s, binlog %s:%s) into %s%n", String.join(",", dbs), x.getOrDefault("mysql.server", "?"),
                    x.getOrDefault("mysql.gtid", "-"), x.getOrDefault("mysql.binlog_file", "-"), x.getOrDefault("mysql.binlog_pos", "-"), to);
            Duration took = restore.load(entries, to, names, TIMEOUT);
            List<String> diffs = restore.compare(entries, to, names, TIMEOUT);
            int tables = MysqlRestore.recorded(entries).size();
            out.printf("restored %s in %.1f s: %d tables, %s%n", String.join(",", names.values()), took.toMillis() / 1000.0, tables,
                    diffs.isEmpty() ? "row counts and checksums match the snapshot" : diffs.size() + " differ:");
            for (String d : diffs) out.println("  " + d);
            return diffs.isEmpty() ? 0 : 2;
        } catch (SourceException | IllegalArgumentException e) {
            err.println("restore failed: " + e.getMessage());
            return 1;
        } catch (java.io.IOException e) {
            err.println("restore failed: " + e.getMessage());
            return 1;
        }
    }
}
