package dev.cairn.backup.repo;

import dev.cairn.backup.BackupErrors;

import dev.cairn.backup.retention.KeepPolicy;
import dev.cairn.backup.store.LocalStore;
import dev.cairn.backup.store.Store;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * check, repair, forget, prune and copy. Each returns what it found or did as plain lines for
 * the CLI; none deletes anything a snapshot still references. Prune's order (new packs, new
 * index, delete old index files, delete packs) leaves a valid repository after a crash at any step.
 */
public final class Maintenance {

    private Maintenance() {
    }

    /** What {@link #check} found. {@code ok()} false: exit non-zero. */
    public record CheckResult(List<String> errors, List<String> notes, Map<String, List<String>> damagedFiles,
                              int packsRead, int blobsRead) {
        public boolean ok() {
            return errors.isEmpty();
        }
    }

    /**
     * Structure: every index readable, every indexed pack present with its size, every snapshot
     * readable, every blob a snapshot uses indexed. With {@code readData}: re-hash the selected
     * packs and authenticate every blob in them.
     *
     * @param subset null for every pack, else {@code "N/M"} (the Nth of M slices) or {@code "P%"}
     *               (a rotating share: a different slice each day)
     */
    public static CheckResult check(Repository repo, boolean readData, String subset) throws IOException {
        List<String> errors = new ArrayList<>(), notes = new ArrayList<>();
        Repository.IndexContents ic = repo.readIndexContents();
        errors.addAll(ic.problems());
        repo.refreshIndex();
        Map<String, Long> stored = new HashMap<>();
        for (Store.StoreObject o : repo.store().list("data/")) if (o.name().endsWith(".tar")) stored.put(Pack.hexOf(o.name()), o.size());
        Set<String> badBlobs = new TreeSet<>();
        Set<String> badPacks = new TreeSet<>();
        for (Map.Entry<String, Repository.IndexedPack> e : ic.packs().entrySet()) {
            Long size = stored.get(e.getKey());
            if (size == null) {
                errors.add(BackupErrors.PACK_MISSING.id() + " pack " + e.getKey() + " is missing");
                badPacks.add(e.getKey());
            } else if (size != e.getValue().size()) {
                errors.add(BackupErrors.PACK_SIZE.id() + " pack " + e.getKey() + " is " + size + " bytes, the index says " + e.getValue().size()
                        + (size == 0 ? " (zero-length)" : size < e.getValue().size() ? " (truncated)" : ""));
                badPacks.add(e.getKey());
            }
        }
        List<String> rejected = new ArrayList<>();
        VerifyRecord.readAll(repo, rejected);
        notes.addAll(rejected);
        for (String hex : stored.keySet()) {
            if (!ic.packs().containsKey(hex)) notes.add("pack " + hex + " is in no index (an interrupted backup; prune removes it, repair indexes it)");
        }
        for (Repository.IndexedPack p : ic.packs().values()) {
            if (badPacks.contains(Wire.hex(p.id()))) for (Pack.Entry en : p.entries()) badBlobs.add(Wire.hex(en.id()));
        }
        int packsRead = 0, blobsRead = 0;
        if (readData) {
            List<String> names = new ArrayList<>(new TreeSet<>(stored.keySet()));
            BlobReader reader = repo.blobReader();
            for (int i = 0; i < names.size(); i++) {
                String hex = names.get(i);
                if (!selected(hex, i, subset)) continue;
                Repository.IndexedPack info = ic.packs().get(hex);
                byte[] b;
                try {
                    b = repo.store().get(Pack.objectName(hex));
                } catch (NoSuchFileException gone) {
                    continue;
                }
                packsRead++;
                if (!Wire.hex(Crypto.sha256(b)).equals(hex)) {
                    errors.add(BackupErrors.PACK_HASH.id() + " pack " + hex + " does not match its hash (damaged)");
                    badPacks.add(hex);
                }
                if (info == null) continue;
                for (Pack.Entry en : info.entries()) {
                    blobsRead++;
                    try {
                        if (en.offset() + en.length() > b.length) throw new IOException("beyond the end of the pack");
                        reader.open(en.id(), b, (int) en.offset(), en.length(), en.rawLength());
                    } catch (IOException | RuntimeException x) {
                        badBlobs.add(Wire.hex(en.id()));
                        errors.add(BackupErrors.BLOB_DAMAGED.id() + " blob " + Wire.hex(en.id()) + " in pack " + hex.substring(0, 16) + " is damaged: " + x.getMessage());
                    }
                }
            }
        }
        Map<String, List<String>> damagedFiles = new TreeMap<>();
        List<String> snapProblems = new ArrayList<>();
        List<Repository.SnapshotRef> snaps = repo.snapshots(snapProblems);
        errors.addAll(snapProblems);
        BlobIndex idx = repo.index();
        for (Repository.SnapshotRef ref : snaps) {
            byte[] plain;
            try {
                plain = repo.readSnapshotPlaintext(ref.id());
            } catch (java.nio.file.NoSuchFileException gone) {
                continue; // forgotten meanwhile
            } catch (RuntimeException | IOException e) {
                // listed from a header read earlier, damaged since
                errors.add(BackupErrors.SNAPSHOT_DAMAGED.id() + " snapshot " + ref.id() + " is damaged: " + e.getMessage());
                continue;
            }
            List<String> files = damagedFiles(plain, ref.id(), idx, badBlobs, errors);
            if (!files.isEmpty()) damagedFiles.put(ref.shortId() + " (" + ref.header().job() + " " + ref.header().time() + ")", files);
        }
        return new CheckResult(errors, notes, damagedFiles, packsRead, blobsRead);
    }

    /**
     * Structure of one snapshot, the verification after each backup: every indexed pack is present
     * with its indexed size, the snapshot's manifest reads back and authenticates, and every blob
     * it uses is indexed. Unlike {@link #check} it reads neither the index files again nor the
     * other snapshots' manifests (their own backups verified them; {@code cairn backup check}
     * reads them all): its cost does not grow with the number of snapshots.
     */
    public static CheckResult checkSnapshot(Repository repo, String id) throws IOException {
        List<String> errors = new ArrayList<>();
        BlobIndex idx = repo.index();
        Map<String, Long> stored = new HashMap<>();
        for (Store.StoreObject o : repo.store().list("data/")) if (o.name().endsWith(".tar")) stored.put(Pack.hexOf(o.name()), o.size());
        for (byte[] p : idx.packs()) {
            String hex = Wire.hex(p);
            Long size = stored.get(hex);
            long want = idx.packSize(hex);
            if (size == null) {
                errors.add(BackupErrors.PACK_MISSING.id() + " pack " + hex + " is missing");
            } else if (size != want) {
                errors.add(BackupErrors.PACK_SIZE.id() + " pack " + hex + " is " + size + " bytes, the index says " + want
                        + (size == 0 ? " (zero-length)" : size < want ? " (truncated)" : ""));
            }
        }
        Map<String, List<String>> damagedFiles = new TreeMap<>();
        String shortId = id.substring(0, Math.min(8, id.length()));
        byte[] plain;
        try {
            plain = repo.readSnapshotPlaintext(id);
        } catch (RuntimeException | IOException e) {
            errors.add(BackupErrors.SNAPSHOT_DAMAGED.id() + " snapshot " + id + " is damaged: " + e.getMessage());
            return new CheckResult(errors, List.of(), damagedFiles, 0, 0);
        }
        List<String> files = damagedFiles(plain, id, idx, Set.of(), errors);
        if (!files.isEmpty()) damagedFiles.put(shortId, files);
        return new CheckResult(errors, List.of(), damagedFiles, 0, 0);
    }

    /**
     * The files of snapshot {@code id} (manifest {@code plain}) that use a blob no index names (each
     * reported to {@code errors}) or one of {@code badBlobs} (hex ids found damaged); read straight
     * over the manifest's bytes, with no object per entry or chunk id.
     */
    private static List<String> damagedFiles(byte[] plain, String id, BlobIndex idx, Set<String> badBlobs, List<String> errors) {
        String shortId = id.substring(0, Math.min(8, id.length()));
        List<String> files = new ArrayList<>();
        try {
            ParentEntries.forEachFile(plain, (path, a, at, nc) -> {
                for (int k = 0; k < nc; k++) {
                    int off = at + 32 * k;
                    if (!idx.contains(a, off)) {
                        errors.add(BackupErrors.BLOB_UNINDEXED.id() + " snapshot " + shortId + ": " + path + " uses blob "
                                + Wire.hex(java.util.Arrays.copyOfRange(a, off, off + 8)) + " which is in no index");
                        files.add(path);
                        return;
                    }
                    if (!badBlobs.isEmpty() && badBlobs.contains(Wire.hex(java.util.Arrays.copyOfRange(a, off, off + 32)))) {
                        files.add(path);
                        return;
                    }
                }
            });
        } catch (RuntimeException e) {
            errors.add(BackupErrors.SNAPSHOT_DAMAGED.id() + " snapshot " + id + " is damaged: " + e.getMessage());
        }
        return files;
    }

    static boolean selected(String hex, int i, String subset) {
        return selected(hex, subset, java.time.LocalDate.now(java.time.ZoneOffset.UTC).toEpochDay());
    }

    /** Whether pack {@code hex} is in {@code subset} on UTC day {@code day} (a "P%" share rotates by day). */
    static boolean selected(String hex, String subset, long day) {
        if (subset == null || subset.isEmpty()) return true;
        if (subset.endsWith("%")) {
            double pct = Double.parseDouble(subset.substring(0, subset.length() - 1));
            if (pct >= 100) return true;
            int slices = (int) Math.max(1, Math.round(100 / Math.max(pct, 0.01)));
            return Math.floorMod(Integer.parseInt(hex.substring(0, 6), 16), slices) == Math.floorMod(day, slices);
        }
        String[] nm = subset.split("/");
        int n = Integer.parseInt(nm[0]), m = Integer.parseInt(nm[1]);
        if (n < 1 || m < 1 || n > m) throw new IllegalArgumentException("subset " + subset + ": write N/M with 1 <= N <= M, or P%");
        return Math.floorMod(Integer.parseInt(hex.substring(0, 6), 16), m) == n - 1;
    }

    /** Rebuilds the index from the packs alone; returns what it did. Takes the exclusive lock. */
    public static List<String> repair(Repository repo) throws IOException {
        List<String> out = new ArrayList<>();
        try (RepoLock lock = RepoLock.acquire(repo, true, "repair")) {
            List<String> oldIndex = new ArrayList<>();
            for (Store.StoreObject o : repo.store().list("index/")) oldIndex.add(o.name());
            List<Repository.IndexedPack> packs = new ArrayList<>();
            for (Store.StoreObject o : repo.store().list("data/")) {
                if (!o.name().endsWith(".tar")) continue;
                String hex = Pack.hexOf(o.name());
                byte[] b = repo.store().get(o.name());
                List<Pack.Entry> entries;
                try {
                    entries = Pack.readIndex(repo.crypto(), b);
                } catch (IOException | RuntimeException e) {
                    entries = Pack.scanSingleBlobs(b);
                    out.add("pack " + hex + ": its index is damaged (" + e.getMessage() + "); salvaging " + entries.size() + " single-blob entries");
                }
                List<Pack.Entry> good = new ArrayList<>();
                for (Pack.Entry en : entries) {
                    try {
                        if (en.offset() + en.length() > b.length) continue;
                        byte[] plain = repo.openBlob(en.id(), b, (int) en.offset(), en.length(), en.rawLength());
                        good.add(new Pack.Entry(en.id(), en.offset(), en.length(), plain.length));
                    } catch (RuntimeException e) {
                        out.add("pack " + hex + ": blob " + Wire.hex(en.id()).substring(0, 16) + " is damaged, not indexed");
                    }
                }
                // kept compact (48 bytes a blob) until written: no object per blob of the whole repository
                if (!good.isEmpty()) packs.add(Repository.IndexedPack.of(Wire.unhex(hex), b.length, good));
            }
            List<String> idx = repo.writeIndexes(packs);
            for (String old : oldIndex) if (!idx.contains(old)) repo.deleteIndexFile(old);
            repo.loadIndex();
            out.add("indexed " + packs.size() + " packs in " + String.join(", ", idx) + "; removed " + oldIndex.size() + " old index files");
        }
        return out;
    }

    /** What forget decided for one snapshot. */
    public record ForgetDecision(Repository.SnapshotRef snapshot, List<String> reasons) {
        public boolean keep() {
            return !reasons.isEmpty();
        }
    }

    /** Applies a keep policy to one job's snapshots (grouped by job only, never by path or host). */
    public static List<ForgetDecision> forget(Repository repo, String job, KeepPolicy policy, ZoneId zone, boolean dryRun) throws IOException {
        List<Repository.SnapshotRef> mine = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        for (Repository.SnapshotRef r : repo.snapshots(problems)) if (r.header().job().equals(job)) mine.add(r);
        List<ForgetDecision> out = new ArrayList<>();
        Set<String> forgotten = new HashSet<>();
        for (Map.Entry<Repository.SnapshotRef, List<String>> e : policy.decide(mine, zone).entrySet()) {
            out.add(new ForgetDecision(e.getKey(), e.getValue()));
            if (!dryRun && e.getValue().isEmpty()) {
                repo.store().delete("snapshots/" + e.getKey().id());
                forgotten.add(e.getKey().id());
            }
        }
        // after the snapshots: a crash in between leaves records of absent snapshots, which nothing reads and prune removes
        VerifyRecord.deleteFor(repo, forgotten);
        return out;
    }

    /** What prune did. */
    public record PruneResult(int packsDeleted, int packsRepacked, int packsWritten, long bytesFreed, List<String> lines) {
    }

    /** Test hook: called with a step name before each step, may throw to simulate a crash. */
    public interface Steps {
        void at(String step) throws IOException;

        Steps NONE = s -> { };
    }

    public static PruneResult prune(Repository repo, double maxUnused, Steps steps) throws IOException {
        List<String> lines = new ArrayList<>();
        try (RepoLock lock = RepoLock.acquire(repo, true, "prune")) {
            List<String> problems = new ArrayList<>();
            List<Repository.SnapshotRef> snaps = repo.snapshots(problems);
            if (!problems.isEmpty()) {
                throw new IOException(BackupErrors.PRUNE_SNAPSHOT_UNREADABLE.id() + " prune refused: a snapshot cannot be read, so what it uses is unknown: " + problems.get(0));
            }
            Repository.IndexContents ic = repo.readIndexContents();
            // sets of ids as hash tables in one array each (BlobIndex), read straight over the manifests' bytes
            long indexed = 0;
            for (Repository.IndexedPack p : ic.packs().values()) indexed += p.count();
            int expected = (int) Math.min(Integer.MAX_VALUE / 8, indexed + 1024);
            BlobIndex used = new BlobIndex(expected);
            for (Repository.SnapshotRef r : snaps) {
                ParentEntries.forEachFile(repo.readSnapshotPlaintext(r.id()), (path, a, at, nc) -> {
                    for (int k = 0; k < nc; k++) used.add(a, at + 32 * k, 0, 0, 0, 0);
                });
            }
            if (!ic.problems().isEmpty()) throw new IOException(BackupErrors.PRUNE_INDEX_DAMAGED.id() + " prune refused: " + ic.problems().get(0) + " (run cairn backup repair)");
            Map<String, Long> stored = new HashMap<>();
            for (Store.StoreObject o : repo.store().list("data/")) if (o.name().endsWith(".tar")) stored.put(Pack.hexOf(o.name()), o.size());
            BlobIndex kept = new BlobIndex(expected);
            List<Repository.IndexedPack> keepPacks = new ArrayList<>();
            List<String> delete = new ArrayList<>();
            Map<String, List<Pack.Entry>> repack = new LinkedHashMap<>();
            long freed = 0;
            for (Map.Entry<String, Repository.IndexedPack> e : ic.packs().entrySet()) {
                Repository.IndexedPack p = e.getValue();
                if (!stored.containsKey(e.getKey())) continue; // missing: nothing to free; check reports it
                List<Pack.Entry> live = new ArrayList<>();
                long liveBytes = 0, all = 0;
                for (Pack.Entry en : p.entries()) {
                    all += en.length();
                    if (used.contains(en.id()) && !kept.contains(en.id())) {
                        live.add(en);
                        liveBytes += en.length();
                    }
                }
                if (live.isEmpty()) {
                    delete.add(e.getKey());
                    freed += p.size();
                } else if (all > 0 && (all - liveBytes) > maxUnused * all) {
                    repack.put(e.getKey(), live);
                    for (Pack.Entry en : live) kept.add(en.id(), 0, 0, 0, 0);
                } else {
                    for (Pack.Entry en : live) kept.add(en.id(), 0, 0, 0, 0);
                    keepPacks.add(p);
                }
            }
            for (String hex : stored.keySet()) {
                if (!ic.packs().containsKey(hex)) {
                    delete.add(hex);
                    freed += stored.get(hex);
                }
            }
            // 1. new packs with the live blobs of mostly-unused packs
            steps.at("repack");
            List<Repository.IndexedPack> written = new ArrayList<>();
            Pack.Builder b = new Pack.Builder();
            for (Map.Entry<String, List<Pack.Entry>> e : repack.entrySet()) {
                byte[] pack = repo.store().get(Pack.objectName(e.getKey()));
                for (Pack.Entry en : e.getValue()) {
                    byte[] sealed = java.util.Arrays.copyOfRange(pack, (int) en.offset(), (int) en.offset() + en.length());
                    repo.openBlob(en.id(), sealed, 0, sealed.length, en.rawLength()); // never copy a damaged blob silently
                    b.add(en.id(), sealed, en.rawLength());
                    if (b.bytes() >= repo.params().packTarget()) {
                        written.add(putPack(repo, b));
                        b = new Pack.Builder();
                    }
                }
                freed += ic.packs().get(e.getKey()).size();
                delete.add(e.getKey());
            }
            if (b.count() > 0) written.add(putPack(repo, b));
            for (Repository.IndexedPack w : written) freed -= w.size();
            // 2. new index files naming everything that stays
            steps.at("index");
            List<Repository.IndexedPack> all = new ArrayList<>(keepPacks);
            all.addAll(written);
            List<String> newIndex = repo.writeIndexes(all);
            // 3. old index files, then the packs nothing names any more
            steps.at("delete-index");
            for (String f : ic.files()) if (!newIndex.contains(f)) repo.deleteIndexFile(f);
            steps.at("delete-packs");
            for (String hex : delete) repo.store().delete(Pack.objectName(hex));
            steps.at("delete-verify");
            Set<String> present = new HashSet<>();
            for (Repository.SnapshotRef r : repo.snapshots(null)) present.add(r.id());
            int records = VerifyRecord.deleteOrphans(repo, present);
            if (repo.store() instanceof LocalStore ls) ls.removeTemporaries();
            repo.loadIndex();
            lines.add("deleted " + delete.size() + " packs (" + repack.size() + " repacked into " + written.size() + "), freed " + freed + " bytes"
                    + (records > 0 ? "; removed " + records + " verify records of forgotten snapshots" : ""));
            return new PruneResult(delete.size() - repack.size(), repack.size(), written.size(), freed, lines);
        }
    }

    private static Repository.IndexedPack putPack(Repository repo, Pack.Builder b) throws IOException {
        Pack.Built built = b.build(repo.crypto());
        repo.store().putIfAbsent(built.name(), built.bytes(), 0, built.size());
        return Repository.IndexedPack.of(built.id(), built.size(), built.entries());
    }

    /**
     * Copies every object {@code to} lacks (3-2-1), re-hashing content-named objects (packs,
     * index files, snapshots) before and after; keys and config are copied as they are, so the copy
     * opens with the source's keys. Refuses a destination that holds another repository.
     */
    public static List<String> copy(Store from, Store to) throws IOException {
        List<String> out = new ArrayList<>();
        Set<String> have = new HashSet<>();
        for (Store.StoreObject o : to.list("")) have.add(o.name());
        // A copy is the same repository object by object: objects sealed under the source's master key
        // added to a repository with another one would be unreadable there (and look damaged).
        if (have.contains("config") && !java.util.Arrays.equals(to.get("config"), from.get("config"))) {
            throw new IOException(BackupErrors.COPY_FOREIGN.id() + " " + to.describe() + " holds another repository than "
                    + from.describe() + " (its config differs): nothing copied; copy into an empty store or an earlier copy");
        }
        int copied = 0;
        long bytes = 0;
        // packs first, then index files, then snapshots: the copy is consistent at every moment
        for (String prefix : List.of("keys/", "config", "data/", "index/", "snapshots/")) {
            for (Store.StoreObject o : from.list(prefix)) {
                if (have.contains(o.name())) continue;
                byte[] b = from.get(o.name());
                String hash = Wire.hex(Crypto.sha256(b));
                String expect = o.name().startsWith("data/") ? Pack.hexOf(o.name())
                        : o.name().startsWith("index/") || o.name().startsWith("snapshots/") ? o.name().substring(o.name().indexOf('/') + 1) : null;
                if (expect != null && !expect.equals(hash)) {
                    out.add(BackupErrors.COPY_SOURCE_DAMAGED.id() + " " + o.name() + " is damaged in the source; not copied");
                    continue;
                }
                to.putIfAbsent(o.name(), b);
                if (expect != null && !Wire.hex(Crypto.sha256(to.get(o.name()))).equals(hash)) {
                    throw new IOException(BackupErrors.COPY_MISMATCH.id() + " " + o.name() + " does not read back identically from " + to.describe());
                }
                copied++;
                bytes += b.length;
            }
        }
        out.add("copied " + copied + " objects (" + bytes + " bytes) to " + to.describe());
        return out;
    }
}
