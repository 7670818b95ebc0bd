package dev.cairn.backup.repo;

import dev.cairn.backup.BackupErrors;
import dev.cairn.backup.store.Store;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;

/**
 * One verification of one snapshot, stored in the repository as an immutable, encrypted object
 * {@code verify/<id>} (docs/backup-format.md), so that what was proven survives a restart and is
 * seen by every node sharing the repository. Written after the check; removed with its snapshot
 * by forget, and by prune when its snapshot is gone.
 *
 * @param snapshot     the snapshot id (hex) the check was about
 * @param job          the snapshot's job
 * @param kind         what was checked
 * @param time         when the check finished
 * @param ok           whether it passed
 * @param detail       one line: what was checked, or what failed
 * @param restoreTime  a restore test's restore time (null for other kinds)
 * @param rto          the job's rto at the time of the test (null: none)
 */
public record VerifyRecord(String snapshot, String job, Kind kind, Instant time, boolean ok, String detail,
                           Duration restoreTime, Duration rto) {

    public static final String PREFIX = "verify/";
    public static final String AAD = "cairn-verify";
    public static final int VERSION = 1;
    private static final int MAX_DETAIL = 64 * 1024;

    /** What a record proves; the codes are the format's. */
    public enum Kind {
        STRUCTURE(1), READ_DATA(2), RESTORE_TEST(3);

        final int code;

        Kind(int code) {
            this.code = code;
        }

        static Kind of(int code) {
            for (Kind k : values()) if (k.code == code) return k;
            throw new Wire.FormatException("unknown verify kind " + code);
        }

        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
        }
    }

    byte[] encode() {
        Wire.Out o = new Wire.Out(128 + detail.length());
        o.raw("CAIRNVFY".getBytes(StandardCharsets.US_ASCII)).u16(VERSION).raw(Wire.unhex(snapshot)).str(job).u8(kind.code)
                .svarint(time.getEpochSecond() * 1_000_000_000L + time.getNano()).u8(ok ? 1 : 0).str(detail)
                .svarint(restoreTime == null ? -1 : restoreTime.toNanos()).svarint(rto == null ? -1 : rto.toNanos());
        return o.toByteArray();
    }

    static VerifyRecord decode(byte[] plain) {
        Wire.In in = new Wire.In(plain);
        in.magic("CAIRNVFY");
        int v = in.u16();
        if (v > VERSION) {
            throw new Wire.FormatException(BackupErrors.NEWER_FORMAT.id() + " verify record version " + v + " is newer than this Cairn (" + VERSION + ")");
        }
        String snap = Wire.hex(in.raw(32));
        String job = in.str(4096);
        Kind kind = Kind.of(in.u8());
        long ns = in.svarint();
        boolean ok = in.u8() == 1;
        String detail = in.str(MAX_DETAIL);
        long restore = in.svarint();
        long rto = in.svarint();
        // fields appended by later versions of the same major format are ignored
        return new VerifyRecord(snap, job, kind, Instant.ofEpochSecond(Math.floorDiv(ns, 1_000_000_000L), Math.floorMod(ns, 1_000_000_000L)),
                ok, detail, restore < 0 ? null : Duration.ofNanos(restore), rto < 0 ? null : Duration.ofNanos(rto));
    }

    /** Seals and stores the record (put-if-absent: named by the hash of its sealed bytes); returns its object name. */
    public String write(Repository repo) throws IOException {
        String d = detail.length() > MAX_DETAIL / 4 ? detail.substring(0, MAX_DETAIL / 4) : detail;
        byte[] sealed = repo.crypto().seal(new VerifyRecord(snapshot, job, kind, time, ok, d, restoreTime, rto).encode(), AAD);
        String name = PREFIX + Wire.hex(Crypto.sha256(sealed));
        repo.store().putIfAbsent(name, sealed);
        return name;
    }

    /** Every record that reads; a record that does not authenticate, match its name or parse goes to {@code rejected}, never used. */
    public static List<VerifyRecord> readAll(Repository repo, List<String> rejected) throws IOException {
        List<VerifyRecord> out = new ArrayList<>();
        for (Store.StoreObject o : repo.store().list(PREFIX)) {
            try {
                out.add(read(repo, o.name()));
            } catch (NoSuchFileException gone) {
                // pruned meanwhile
            } catch (RuntimeException e) {
                if (rejected != null) {
                    rejected.add(BackupErrors.VERIFY_RECORD_DAMAGED.id() + " verify record " + o.name().substring(PREFIX.length()) + " rejected: " + e.getMessage());
                }
            }
        }
        out.sort(Comparator.comparing(VerifyRecord::time).thenComparing(VerifyRecord::snapshot));
        return out;
    }

    /** One record by its object name; throws when it does not authenticate, match its name or parse. */
    public static VerifyRecord read(Repository repo, String name) throws IOException {
        byte[] sealed = repo.store().get(name);
        if (!Wire.hex(Crypto.sha256(sealed)).equals(name.substring(PREFIX.length()))) {
            throw new Crypto.AuthenticationException("content does not match its name");
        }
        return decode(repo.crypto().open(sealed, AAD));
    }

    /**
     * Deletes the records of snapshots not in {@code snapshots} (prune, after forget); a record
     * that does not read is left for check to report.
     *
     * @return how many were deleted
     */
    public static int deleteOrphans(Repository repo, Set<String> snapshots) throws IOException {
        int n = 0;
        for (Store.StoreObject o : repo.store().list(PREFIX)) {
            VerifyRecord r;
            try {
                r = read(repo, o.name());
            } catch (NoSuchFileException gone) {
                continue;
            } catch (RuntimeException damaged) {
                continue;
            }
            if (!snapshots.contains(r.snapshot())) {
                repo.store().delete(o.name());
                n++;
            }
        }
        return n;
    }

    /** Deletes the records about {@code snapshotIds} (forget). */
    public static void deleteFor(Repository repo, Set<String> snapshotIds) throws IOException {
        if (snapshotIds.isEmpty()) return;
        for (Store.StoreObject o : repo.store().list(PREFIX)) {
            try {
                if (snapshotIds.contains(read(repo, o.name()).snapshot())) repo.store().delete(o.name());
            } catch (NoSuchFileException | RuntimeException e) {
                // gone, or damaged: prune and check deal with it
            }
        }
    }
}
