package dev.cairn.backup.source.mysql;

import dev.cairn.backup.source.ChildProcess;
import dev.cairn.backup.source.SourceErrors;
import dev.cairn.backup.source.SourceException;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.locks.LockSupport;

/**
 * A global read lock Cairn takes and times itself, in its own {@link ServerSession}, for a dump
 * whose program cannot be timed (MySQL's {@code mysqldump} prints nothing around its own
 * {@code FLUSH TABLES WITH READ LOCK}). The steps are mysqldump's own, split over two sessions:
 *
 * <ol>
 *   <li>{@code FLUSH LOCAL TABLES} first, so that the lock does not wait behind long statements
 *   (writers queue behind a pending lock), then {@code FLUSH TABLES WITH READ LOCK}, both bounded
 *   by the session's {@code lock_wait_timeout} ({@link SourceErrors#READ_LOCK_TIMEOUT});</li>
 *   <li>under the lock nothing commits, so the binlog coordinates read now
 *   ({@code SHOW BINARY LOG STATUS} / {@code SHOW MASTER STATUS}, {@code gtid_executed} on MySQL,
 *   {@code BINLOG_GTID_POS()} on MariaDB) are those of any snapshot taken now;</li>
 *   <li>the dump (started by the caller after {@link #take}, with {@code --single-transaction} and
 *   no lock option of its own) is found by its connection attribute {@code _pid} (its process id,
 *   or a descendant's when the dump command is a wrapper) in
 *   {@code performance_schema.session_account_connect_attrs}, and the lock is released once that
 *   connection's snapshot transaction exists in {@code information_schema.INNODB_TRX} and its
 *   {@code START TRANSACTION WITH CONSISTENT SNAPSHOT} has returned;</li>
 *   <li>if that does not happen within the hold limit, the lock is released, the dump killed and
 *   the run fails ({@link SourceErrors#DUMP_SNAPSHOT_NOT_STARTED}): the lock is never held
 *   longer, and such a dump never passes as a success.</li>
 * </ol>
 *
 * <p>The lock is timed from FLUSH TABLES WITH READ LOCK returning to UNLOCK TABLES returning.
 * Owned by the thread that took it until it hands the lock to the thread that releases it
 * ({@link #releaseWhenSnapshotStarted}); {@link #close()} (after that thread ended) releases a
 * lock still held and ends the session.
 */
final class GlobalReadLock implements AutoCloseable {

    /** How often the dump's connection and transaction are looked for while the lock is held. */
    static final Duration POLL_INTERVAL = Duration.ofMillis(5);

    /** Binlog coordinates read under the lock; {@code file} null when the binary log is off, {@code gtid} null without GTIDs. */
    record Coordinates(String file, long position, String gtid) {
    }

    /** How the wait for the dump's snapshot ended (a dump that never started it is an exception). */
    enum Release {
        SNAPSHOT_STARTED,
        DUMP_EXITED
    }

    private final ServerSession session;
    private final long waitedNanos;
    private final long acquiredAt;
    private final Coordinates coordinates;
    private volatile long releasedAt = -1;

    private GlobalReadLock(ServerSession session, long waitedNanos, long acquiredAt, Coordinates coordinates) {
        this.session = session;
        this.waitedNanos = waitedNanos;
        this.acquiredAt = acquiredAt;
        this.coordinates = coordinates;
    }

    /**
     * Takes the lock in {@code session} and reads the coordinates under it. Refuses before
     * locking anything when the dump's connection or transaction could not be told afterwards
     * (performance_schema off, no PROCESS privilege). On failure nothing is held.
     */
    static GlobalReadLock take(ServerSession session, Duration lockWaitTimeout) throws SourceException {
        String ps = session.query("SELECT @@GLOBAL.performance_schema AS ps", "reading performance_schema").get(0).get("ps");
        if (!"1".equals(ps) && !"ON".equalsIgnoreCase(ps)) {
            throw new SourceException(SourceErrors.READ_LOCK_UNAVAILABLE, "performance_schema is off on " + session.server()
                    + ": Cairn could not tell the dump's connection to release its read lock; nothing was locked (enable"
                    + " performance_schema, or set consistency: snapshot)");
        }
        // What the release reads, tried before anything is locked (INNODB_TRX needs PROCESS).
        session.query("SELECT trx_mysql_thread_id FROM information_schema.INNODB_TRX WHERE trx_mysql_thread_id = 0", "reading INNODB_TRX");
        session.query("SELECT PROCESSLIST_ID FROM performance_schema.session_account_connect_attrs WHERE PROCESSLIST_ID = 0",
                "reading performance_schema.session_account_connect_attrs");
        long seconds = Math.max(1, lockWaitTimeout.toSeconds());
        session.exec("SET SESSION lock_wait_timeout = " + seconds, "setting lock_wait_timeout");
        long t0 = System.nanoTime();
        try {
            // As mysqldump: flushing first means the read lock itself waits only for what started since.
            session.exec("FLUSH LOCAL TABLES", "FLUSH LOCAL TABLES");
            session.exec("FLUSH TABLES WITH READ LOCK", "FLUSH TABLES WITH READ LOCK");
        } catch (SourceException e) {
            if (e.getCause() instanceof java.sql.SQLException s && s.getErrorCode() == 1205) {
                throw new SourceException(SourceErrors.READ_LOCK_TIMEOUT, "no global read lock on " + session.server() + " within"
                        + " lock_wait_timeout " + seconds + "s (a long statement, LOCK TABLES or DDL holds a table; SHOW"
                        + " PROCESSLIST shows it): nothing was dumped, and writers waited at most " + seconds + "s", e);
            }
            throw e;
        }
        long acquired = System.nanoTime();
        try {
            return new GlobalReadLock(session, acquired - t0, acquired, readCoordinates(session));
        } catch (SourceException | RuntimeException e) {
            new GlobalReadLock(session, acquired - t0, acquired, null).unlock();
            throw e;
        }
    }

    private static Coordinates readCoordinates(ServerSession session) throws SourceException {
        List<Map<String, String>> st;
        if (session.flavour() == ServerSession.Flavour.MYSQL) {
            try {
                st = session.query("SHOW BINARY LOG STATUS", "reading the binlog position"); // MySQL 8.2+; 8.4 has no other
            } catch (SourceException e) {
                if (!(e.getCause() instanceof java.sql.SQLException s && s.getErrorCode() == 1064)) throw e;
                st = session.query("SHOW MASTER STATUS", "reading the binlog position");
            }
        } else {
            st = session.query("SHOW MASTER STATUS", "reading the binlog position");
        }
        String file = st.isEmpty() ? null : st.get(0).get("File");
        long pos = st.isEmpty() ? -1 : Long.parseLong(st.get(0).get("Position"));
        String gtid;
        if (session.flavour() == ServerSession.Flavour.MYSQL) {
            gtid = !st.isEmpty() && st.get(0).containsKey("Executed_Gtid_Set") ? st.get(0).get("Executed_Gtid_Set")
                    : session.query("SELECT @@GLOBAL.gtid_executed AS g", "reading gtid_executed").get(0).get("g");
        } else if (file != null) {
            gtid = session.query("SELECT BINLOG_GTID_POS(?, ?) AS g", "reading the GTID position", file, pos).get(0).get("g");
        } else {
            gtid = session.query("SELECT @@GLOBAL.gtid_binlog_pos AS g", "reading the GTID position").get(0).get("g");
        }
        if (gtid != null) gtid = gtid.replaceAll("\\s", "");
        return new Coordinates(file, pos, gtid == null || gtid.isEmpty() ? null : gtid);
    }

    Coordinates coordinates() {
        return coordinates;
    }

    /** How long FLUSH TABLES WITH READ LOCK waited before it had the lock. */
    double waitedSeconds() {
        return waitedNanos / 1e9;
    }

    /** How long the lock was held (so far, while it still is). */
    double heldSeconds() {
        long end = releasedAt;
        return ((end < 0 ? System.nanoTime() : end) - acquiredAt) / 1e9;
    }

    /** The {@link System#nanoTime()} at which the lock was had, and released (-1 while held). */
    long acquiredAtNanos() {
        return acquiredAt;
    }

    long releasedAtNanos() {
        return releasedAt;
    }

    /**
     * Waits until the dump's snapshot transaction exists, then releases the lock. Releases it
     * too when the dump exits first (its own error is then the run's). Past {@code holdLimit}
     * after the lock was had, releases it, kills the dump and throws.
     */
    Release releaseWhenSnapshotStarted(ChildProcess dump, Duration holdLimit) throws SourceException, InterruptedException {
        long deadline = acquiredAt + holdLimit.toNanos();
        long thread = -1;
        try {
            while (true) {
                if (Thread.interrupted()) throw new InterruptedException();
                Optional<ProcessHandle> h = ProcessHandle.of(dump.pid());
                if (thread < 0) thread = dumpConnection(h);
                if (thread >= 0 && snapshotStarted(thread)) {
                    unlock();
                    return Release.SNAPSHOT_STARTED;
                }
                if (h.isEmpty() || !h.get().isAlive()) {
                    unlock();
                    return Release.DUMP_EXITED;
                }
                if (System.nanoTime() > deadline) {
                    String seen = thread < 0 ? "no connection of its process was seen"
                            : "its connection " + thread + " has no transaction that started: " + describe(thread);
                    unlock();
                    dump.kill();
                    throw new SourceException(SourceErrors.DUMP_SNAPSHOT_NOT_STARTED, "the dump did not start its snapshot"
                            + " transaction on " + session.server() + " within lock_hold_limit " + holdLimit.toMillis() / 1000.0 + "s ("
                            + seen
                            + "): the read lock was released after " + String.format(Locale.ROOT, "%.3f", heldSeconds())
                            + " s, the dump killed, nothing is kept");
                }
                LockSupport.parkNanos(POLL_INTERVAL.toNanos());
            }
        } finally {
            if (releasedAt < 0) unlock(); // an error or an interrupt: the lock is never left behind
        }
    }

    /** The processlist id of the dump's connection (its {@code _pid} attribute is the dump's or a descendant's), or -1. */
    private long dumpConnection(Optional<ProcessHandle> dump) throws SourceException {
        if (dump.isEmpty()) return -1;
        Set<String> pids = new HashSet<>();
        pids.add(Long.toString(dump.get().pid()));
        dump.get().descendants().forEach(d -> pids.add(Long.toString(d.pid())));
        // Connection ids only grow: the dump's connection is newer than this session.
        for (Map<String, String> r : session.query("SELECT PROCESSLIST_ID AS id, ATTR_VALUE AS pid"
                + " FROM performance_schema.session_account_connect_attrs WHERE ATTR_NAME = '_pid' AND PROCESSLIST_ID > ?",
                "looking for the dump's connection", session.connectionId())) {
            if (pids.contains(r.get("pid"))) return Long.parseLong(r.get("id"));
        }
        return -1;
    }

    /**
     * Statements a dump sends only once its START TRANSACTION WITH CONSISTENT SNAPSHOT has
     * returned (mysqldump and mariadb-dump dump tables after it): seeing one proves the snapshot.
     */
    private static final List<String> AFTER_SNAPSHOT = List.of("SAVEPOINT", "ROLLBACK TO SAVEPOINT", "SHOW CREATE",
            "SHOW TABLES", "SHOW TABLE STATUS", "SHOW FIELDS", "SHOW COLUMNS", "SHOW TRIGGERS", "SELECT /*!40001 SQL_NO_CACHE */");

    /**
     * Whether connection {@code thread} has its consistent-snapshot transaction: INNODB_TRX lists
     * a transaction for it that is not an autocommit read and whose START TRANSACTION has returned
     * (the read view is made inside it; a connection idle between statements has had it return),
     * or the connection runs a statement that a dump sends only after its snapshot. The second
     * signal is needed on MariaDB, whose INNODB_TRX may not list a read-only transaction at all
     * (seen on 10.11: a dump reading its first table under a snapshot, no row for it).
     */
    private boolean snapshotStarted(long thread) throws SourceException {
        List<Map<String, String>> trx = session.query("SELECT trx_query AS q FROM information_schema.INNODB_TRX"
                + " WHERE trx_mysql_thread_id = ? AND trx_autocommit_non_locking = 0", "reading the dump's transaction", thread);
        if (!trx.isEmpty()) {
            String q = trx.get(0).get("q");
            if (q == null || !q.strip().toUpperCase(Locale.ROOT).startsWith("START TRANSACTION")) return true;
        }
        List<Map<String, String>> p = session.query("SELECT COMMAND AS c, LEFT(INFO, 64) AS i FROM information_schema.PROCESSLIST WHERE ID = ?",
                "reading the dump's connection", thread);
        if (p.isEmpty()) return false;
        if (!trx.isEmpty() && "Sleep".equalsIgnoreCase(p.get(0).get("c"))) return true;
        String info = p.get(0).get("i");
        if (info == null) return false;
        String stmt = info.strip().toUpperCase(Locale.ROOT);
        for (String s : AFTER_SNAPSHOT) if (stmt.startsWith(s)) return true;
        return false;
    }

    /** What connection {@code thread} is doing, for the error when its snapshot never started. */
    private String describe(long thread) {
        try {
            List<Map<String, String>> p = session.query("SELECT COMMAND AS c, STATE AS s, LEFT(INFO, 80) AS i"
                    + " FROM information_schema.PROCESSLIST WHERE ID = ?", "reading the dump's connection", thread);
            if (p.isEmpty()) return "gone from the processlist";
            return "command " + p.get(0).get("c") + ", state '" + p.get(0).get("s") + "', statement '" + p.get(0).get("i") + "'";
        } catch (SourceException e) {
            return "its processlist row unreadable: " + e.getMessage();
        }
    }

    /** UNLOCK TABLES; if that fails the session is closed, which releases the lock as well. */
    synchronized void unlock() {
        if (releasedAt >= 0) return;
        try {
            session.exec("UNLOCK TABLES", "UNLOCK TABLES");
        } catch (SourceException e) {
            session.close();
        }
        releasedAt = System.nanoTime();
    }

    @Override
    public void close() {
        unlock();
    }
}
