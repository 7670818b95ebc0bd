package dev.cairn.backup.sla;

import dev.cairn.backup.source.EntryReader;
import dev.cairn.backup.source.SourceException;
import dev.cairn.backup.source.mysql.MysqlRestore;
import dev.cairn.spi.config.HostPort;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code verify: restore-test} for a mysql snapshot: loads the dump into a scratch server under
 * {@code cairn_restore_test_<database>} names, times the load (the restore time held against the
 * RTO), compares row counts and row digests with what the backup recorded, and drops the copies.
 */
public final class RestoreTest {

    /** Prefix of the databases a restore test creates on the scratch server. */
    public static final String PREFIX = "cairn_restore_test_";

    /**
     * @param ok true when everything restored and matched
     * @param restoreTime how long the restore itself took
     * @param differences what did not match (empty when ok)
     */
    public record Outcome(boolean ok, Duration restoreTime, List<String> differences) {
        public String summary() {
            return ok ? "restored and matched in " + restoreTime.toMillis() + " ms" : String.join("; ", differences);
        }
    }

    private RestoreTest() {
    }

    public static Outcome mysql(EntryReader snapshot, MysqlRestore restore, HostPort scratch, Duration timeout)
            throws InterruptedException {
        Map<String, String> names = new LinkedHashMap<>();
        Duration took = Duration.ZERO;
        try {
            for (String db : MysqlRestore.databases(snapshot)) names.put(db, PREFIX + db.replaceAll("[^A-Za-z0-9_]", "_"));
            restore.drop(scratch, names.values());
            took = restore.load(snapshot, scratch, names, timeout);
            List<String> diffs = restore.compare(snapshot, scratch, names, timeout);
            return new Outcome(diffs.isEmpty(), took, diffs);
        } catch (SourceException e) {
            return new Outcome(false, took, List.of(e.getMessage()));
        } finally {
            try {
                restore.drop(scratch, names.values());
            } catch (SourceException e) {
                // The next test drops them first.
            }
        }
    }

    /** Records the outcome: a good restore verifies the snapshot; its time is held against the RTO by the tracker. */
    public static void record(SlaTracker tracker, String snapshotId, Outcome o) {
        tracker.restoreTested(snapshotId, o.ok(), o.restoreTime(), o.summary());
    }

    /** As {@link #record(SlaTracker, String, Outcome)}, for a test that finished {@code at}. */
    public static void record(SlaTracker tracker, String snapshotId, Outcome o, Instant at) {
        tracker.restoreTested(snapshotId, o.ok(), o.restoreTime(), o.summary(), at);
    }
}
