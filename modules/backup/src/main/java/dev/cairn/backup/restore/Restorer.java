package dev.cairn.backup.restore;

import dev.cairn.backup.BackupErrors;

import dev.cairn.backup.repo.BlobIndex;
import dev.cairn.backup.repo.BlobReader;
import dev.cairn.backup.repo.Repository;
import dev.cairn.backup.repo.Snapshot;
import dev.cairn.backup.repo.Wire;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Restores a snapshot into a directory, safely: entry paths must be relative without {@code ..};
 * files are written only below directories this restore created or checked (never through a
 * symlink: symlinks are created last); hard links must point at a file of the snapshot; every
 * file is written to a temporary name, each chunk authenticated and hashed against its id, and
 * renamed into place only when complete. A damaged or missing blob skips just the files that use
 * it. Not thread-safe; uses its own worker threads.
 */
public final class Restorer {

    /** What to restore and how. */
    public record Options(Path target, List<String> includes, int workers, Progress progress) {
    }

    /** Called from a worker with the running totals. */
    public interface Progress {
        void update(long bytesDone, long bytesTotal, long filesDone, long filesTotal);
    }

    /** What a restore did; {@code damaged} and {@code problems} non-empty means exit non-zero. */
    public record Result(long files, long bytes, List<String> damaged, List<String> problems) {
        public boolean ok() {
            return damaged.isEmpty() && problems.isEmpty();
        }
    }

    private final Repository repo;
    private final Options opts;
    private final Path target;
    private final Set<Path> safeDirs = Collections.synchronizedSet(new HashSet<>());
    private final List<String> damaged = Collections.synchronizedList(new ArrayList<>());
    private final List<String> problems = Collections.synchronizedList(new ArrayList<>());
    private final AtomicLong bytesDone = new AtomicLong();
    private final AtomicLong filesDone = new AtomicLong();
    private final boolean root;
    private long bytesTotal;
    private long filesTotal;
    private volatile long lastProgress;
    /** Directories this restore created below the target through created ones only: the probe's owner and mode apply in them. */
    private final Set<Path> createdDirs = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final FileTime restoreTime = FileTime.from(Instant.now());
    private int newUid = -1;
    private int newGid = -1;
    private int newDirMode = -1;
    private int umask = 0777;

    public Restorer(Repository repo, Options opts) {
        this.repo = repo;
        this.readers = ThreadLocal.withInitial(repo::blobReader);
        this.opts = opts;
        this.target = opts.target().toAbsolutePath().normalize();
        this.root = "root".equals(System.getProperty("user.name"));
    }

    /** True when {@code p} is a safe relative entry path: no empty, {@code .} or {@code ..} component, not absolute. */
    public static boolean safePath(String p) {
        if (p == null || p.isEmpty() || p.length() > 4096 || p.startsWith("/") || p.indexOf('\0') >= 0) return false;
        for (String c : p.split("/", -1)) {
            if (c.isEmpty() || c.equals(".") || c.equals("..") || c.length() > 255) return false;
        }
        return true;
    }

    private boolean included(String path) {
        if (opts.includes().isEmpty()) return true;
        for (String inc : opts.includes()) {
            String i = inc.endsWith("/") ? inc.substring(0, inc.length() - 1) : inc;
            if (path.equals(i) || path.startsWith(i + "/") || i.startsWith(path + "/")) return true;
        }
        return false;
    }

    public Result restore(Snapshot s) throws IOException, InterruptedException {
        Files.createDirectories(target);
        if (!Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) throw new IOException(BackupErrors.RESTORE_TARGET.id() + " " + target + " is not a directory");
        safeDirs.add(target);
        List<Snapshot.Node> dirs = new ArrayList<>(), files = new ArrayList<>(), links = new ArrayList<>(), symlinks = new ArrayList<>();
        Set<String> filePaths = new HashSet<>();
        for (Snapshot.Node n : s.nodes()) {
            if (!safePath(n.path())) {
                problems.add(BackupErrors.UNSAFE_PATH.id() + " refused entry with unsafe path '" + printable(n.path()) + "'");
                continue;
            }
            if (!included(n.path())) continue;
            switch (n.type()) {
                case DIR -> dirs.add(n);
                case FILE -> {
                    files.add(n);
                    filePaths.add(n.path());
                    bytesTotal += n.size();
                }
                case HARDLINK -> links.add(n);
                case SYMLINK -> symlinks.add(n);
            }
        }
        filesTotal = files.size() + links.size() + symlinks.size();
        probe();
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, opts.workers()), r -> {
            Thread t = new Thread(r, "cairn-restore");
            t.setDaemon(true);
            return t;
        });
        Set<String> restoredFiles = Collections.synchronizedSet(new HashSet<>());
        try {
            // directories first (a worker creates the parents it needs itself: safe in any order)
            runAll(pool, batches(dirs, BATCH_ENTRIES, Long.MAX_VALUE), d -> makeDir(d.path()));
            // files in the order their first chunks are stored: each worker reads runs of a pack
            runAll(pool, batches(inPackOrder(files), BATCH_ENTRIES, BATCH_BYTES), f -> {
                if (restoreFile(f, readers.get())) restoredFiles.add(f.path());
            });
        } catch (IOException | InterruptedException | RuntimeException e) {
            pool.shutdownNow();
            throw e;
        }
        try {
            for (Snapshot.Node l : links) {
                String to = new String(l.target(), StandardCharsets.UTF_8);
                if (!safePath(to) || !filePaths.contains(to)) {
                    problems.add(BackupErrors.UNSAFE_HARD_LINK.id() + " refused hard link " + l.path() + " -> " + printable(to) + ": not a file of this snapshot");
                    continue;
                }
                if (!restoredFiles.contains(to)) {
                    damaged.add(l.path() + " (hard link to damaged " + to + ")");
                    continue;
                }
                Path p = place(l.path());
                if (p == null) continue;
                Files.deleteIfExists(p);
                Files.createLink(p, target.resolve(to));
                filesDone.incrementAndGet();
            }
            for (Snapshot.Node l : symlinks) {
                Path p = place(l.path());
                if (p == null) continue;
                if (Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
                    if (Files.isSymbolicLink(p)) Files.delete(p);
                    else {
                        problems.add(BackupErrors.NOT_A_SYMLINK.id() + " " + l.path() + ": exists and is not a symlink; left as it is");
                        continue;
                    }
                }
                Files.createSymbolicLink(p, Path.of(new String(l.target(), StandardCharsets.UTF_8)));
                if (root) chown(p, l);
                try {
                    Files.getFileAttributeView(p, java.nio.file.attribute.BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                            .setTimes(time(l.mtimeNs()), null, null);
                } catch (IOException e) {
                    // symlink times are best effort
                }
                filesDone.incrementAndGet();
            }
            // a directory's metadata once everything below it is written, deepest first; the
            // directories of one depth do not touch each other, so they go in parallel
            java.util.TreeMap<Integer, List<Snapshot.Node>> byDepth = new java.util.TreeMap<>(Collections.reverseOrder());
            for (Snapshot.Node d : dirs) byDepth.computeIfAbsent(depth(d.path()), k -> new ArrayList<>()).add(d);
            for (List<Snapshot.Node> level : byDepth.values()) {
                runAll(pool, batches(level, BATCH_ENTRIES, Long.MAX_VALUE), d -> {
                    Path p = target.resolve(d.path());
                    applyMeta(p, d, createdDirs.contains(p), false);
                });
            }
        } finally {
            pool.shutdownNow();
        }
        report(true);
        List<String> d = new ArrayList<>(damaged), pr = new ArrayList<>(problems);
        // the workers finish in any order; the lists are reported sorted so a run is repeatable
        d.sort(null);
        pr.sort(null);
        return new Result(filesDone.get(), bytesDone.get(), List.copyOf(d), List.copyOf(pr));
    }

    /** Entries per task, and file bytes per task: enough work per task, enough tasks per worker. */
    private static final int BATCH_ENTRIES = 256;
    private static final long BATCH_BYTES = 8L << 20;

    private interface EntryTask {
        void run(Snapshot.Node n) throws IOException;
    }

    /** One reader (reused buffers) per worker thread. */
    private final ThreadLocal<BlobReader> readers;

    /** Runs {@code task} over every batch on the pool and waits; the first failure is thrown. */
    private static void runAll(ExecutorService pool, List<List<Snapshot.Node>> batches, EntryTask task) throws IOException, InterruptedException {
        List<Future<?>> fs = new ArrayList<>(batches.size());
        for (List<Snapshot.Node> b : batches) {
            fs.add(pool.submit(() -> {
                for (Snapshot.Node n : b) task.run(n);
                return null;
            }));
        }
        for (Future<?> f : fs) {
            try {
                f.get();
            } catch (java.util.concurrent.ExecutionException e) {
                for (Future<?> other : fs) other.cancel(true);
                Throwable c = e.getCause();
                if (c instanceof IOException io) throw io;
                if (c instanceof RuntimeException re) throw re;
                throw new IOException(c);
            }
        }
    }

    private static List<List<Snapshot.Node>> batches(List<Snapshot.Node> nodes, int maxEntries, long maxBytes) {
        List<List<Snapshot.Node>> out = new ArrayList<>();
        List<Snapshot.Node> cur = new ArrayList<>();
        long bytes = 0;
        for (Snapshot.Node n : nodes) {
            cur.add(n);
            bytes += n.size();
            if (cur.size() >= maxEntries || bytes >= maxBytes) {
                out.add(cur);
                cur = new ArrayList<>();
                bytes = 0;
            }
        }
        if (!cur.isEmpty()) out.add(cur);
        return out;
    }

    /** Files sorted by where their first chunk is stored (pack, offset); ties keep snapshot order. */
    private List<Snapshot.Node> inPackOrder(List<Snapshot.Node> files) {
        BlobIndex idx = repo.index();
        long[] keys = new long[files.size()];
        Integer[] order = new Integer[files.size()];
        for (int i = 0; i < keys.length; i++) {
            List<byte[]> c = files.get(i).chunks();
            keys[i] = c.isEmpty() ? -1 : idx.position(c.get(0));
            order[i] = i;
        }
        java.util.Arrays.sort(order, (x, y) -> Long.compare(keys[x], keys[y]));
        List<Snapshot.Node> out = new ArrayList<>(keys.length);
        for (Integer i : order) out.add(files.get(i));
        return out;
    }

    private static int depth(String path) {
        int d = 0;
        for (int i = 0; i < path.length(); i++) if (path.charAt(i) == '/') d++;
        return d;
    }

    /**
     * What a file or directory this restore creates gets without being told (the owner, the group
     * of a set-group-ID target, the umask), read from a probe directory: metadata that already
     * matches is not set again (two to six system calls fewer per entry).
     */
    private void probe() {
        Path p = target.resolve(".cairn-restore-probe-" + UUID.randomUUID());
        try {
            Files.createDirectory(p);
            try {
                Map<String, Object> a = Files.readAttributes(p, "unix:uid,gid,mode", LinkOption.NOFOLLOW_LINKS);
                newUid = (Integer) a.get("uid");
                newGid = (Integer) a.get("gid");
                newDirMode = (Integer) a.get("mode") & 07777;
                umask = 0777 & ~newDirMode;
            } finally {
                Files.delete(p);
            }
        } catch (IOException | RuntimeException e) {
            newDirMode = -1; // unknown: every entry gets all its metadata set
        }
    }

    private static String printable(String s) {
        return s.replaceAll("\\p{Cntrl}", "?");
    }

    /** Creates every component of a directory path as a real directory (never following a symlink). */
    private Path makeDir(String rel) throws IOException {
        Path p = target;
        for (String c : rel.split("/")) {
            p = p.resolve(c);
            if (safeDirs.contains(p)) continue;
            try {
                Files.createDirectory(p);
                // made under the target or a directory made likewise: it has the probe's owner and mode
                if (p.getParent().equals(target) || createdDirs.contains(p.getParent())) createdDirs.add(p);
            } catch (FileAlreadyExistsException e) {
                // mkdir does not follow a symlink: it is in the way, or a file, or a directory
                if (!Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    throw new IOException(BackupErrors.THROUGH_SYMLINK.id() + " " + p + " exists and is not a directory; refusing to restore through it");
                }
            }
            safeDirs.add(p);
        }
        return p;
    }

    /** The final path of an entry whose parent is a safe directory; null (with a problem) otherwise. */
    private Path place(String rel) {
        int slash = rel.lastIndexOf('/');
        try {
            Path parent = slash < 0 ? target : makeDir(rel.substring(0, slash));
            return parent.resolve(rel.substring(slash + 1));
        } catch (IOException e) {
            problems.add(e.getMessage());
            return null;
        }
    }

    private boolean restoreFile(Snapshot.Node f, BlobReader reader) throws IOException {
        Path p = place(f.path());
        if (p == null) return false;
        BlobIndex idx = repo.index();
        long total = 0;
        for (byte[] id : f.chunks()) {
            BlobIndex.Location loc = idx.get(id);
            if (loc == null) {
                damaged.add(f.path() + " (blob " + Wire.hex(id).substring(0, 16) + " missing)");
                return false;
            }
            total += loc.rawLength();
        }
        if (total != f.size()) {
            damaged.add(f.path() + " (chunks add up to " + total + " bytes, not " + f.size() + ")");
            return false;
        }
        Path parent = p.getParent();
        boolean created = parent.equals(target) || createdDirs.contains(parent);
        // the mode given at creation when the umask keeps it whole (no chmod afterwards); not for
        // set-ID/sticky bits (a chown clears them) nor when xattrs are written first
        int mode = f.mode() & 07777;
        boolean modeAtCreate = newDirMode >= 0 && (mode & 07000) == 0 && (mode & umask) == 0 && (mode & 0400) != 0 && f.xattrs().isEmpty();
        Path tmp = p.resolveSibling(".cairn-restore-" + UUID.randomUUID());
        boolean ok = false;
        long pos = 0, end = 0;
        try {
            try (FileChannel ch = modeAtCreate
                    ? FileChannel.open(tmp, CREATE_WRITE, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(permissions(mode)))
                    : FileChannel.open(tmp, CREATE_WRITE)) {
                long[] holes = f.holes();
                byte[] lastId = null;
                for (byte[] id : f.chunks()) {
                    if (lastId == null || !java.util.Arrays.equals(lastId, id)) {
                        try {
                            reader.read(id);
                        } catch (IOException | RuntimeException e) {
                            damaged.add(f.path() + " (blob " + Wire.hex(id).substring(0, 16) + ": " + e.getMessage() + ")");
                            return false;
                        }
                        lastId = id; // the reader still holds it for a repeated chunk
                    }
                    end = Math.max(end, writeSkippingHoles(ch, reader.data(), reader.offset(), reader.length(), pos, holes));
                    pos += reader.length();
                    bytesDone.addAndGet(reader.length());
                    report(false);
                }
            }
            if (end < f.size()) extendTo(tmp, f.size()); // a trailing hole: not written
            applyMeta(tmp, f, created, modeAtCreate);
            Files.move(tmp, p, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            ok = true;
            filesDone.incrementAndGet();
            return true;
        } finally {
            if (!ok) Files.deleteIfExists(tmp);
        }
    }

    private static final Set<StandardOpenOption> CREATE_WRITE = java.util.EnumSet.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);

    private static Set<java.nio.file.attribute.PosixFilePermission> permissions(int mode) {
        Set<java.nio.file.attribute.PosixFilePermission> out = java.util.EnumSet.noneOf(java.nio.file.attribute.PosixFilePermission.class);
        java.nio.file.attribute.PosixFilePermission[] all = java.nio.file.attribute.PosixFilePermission.values(); // OWNER_READ .. OTHERS_EXECUTE
        for (int i = 0; i < 9; i++) {
            if ((mode & (0400 >> i)) != 0) out.add(all[i]);
        }
        return out;
    }

    private static void extendTo(Path p, long size) throws IOException {
        try (java.io.RandomAccessFile raf = new java.io.RandomAccessFile(p.toFile(), "rw")) {
            if (raf.length() < size) raf.setLength(size);
        }
    }

    /** Writes {@code data[off, off+len)} at file position {@code pos} except where holes are; returns the end of the last byte written. */
    private static long writeSkippingHoles(FileChannel ch, byte[] data, int off, int len, long pos, long[] holes) throws IOException {
        long end = pos + len;
        long cur = pos, written = 0;
        for (int i = 0; i + 1 < holes.length && cur < end; i += 2) {
            long hs = holes[i], he = holes[i] + holes[i + 1];
            if (he <= cur || hs >= end) continue;
            if (hs > cur) {
                write(ch, data, off + (int) (cur - pos), (int) (hs - cur), cur);
                written = hs;
            }
            cur = Math.min(end, he);
        }
        if (cur < end) {
            write(ch, data, off + (int) (cur - pos), (int) (end - cur), cur);
            written = end;
        }
        return written;
    }

    private static void write(FileChannel ch, byte[] data, int off, int len, long at) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(data, off, len);
        while (b.hasRemaining()) ch.write(b, at + (b.position() - off));
    }

    /**
     * xattrs, owner (when root), times, mode. {@code created}: made by this restore in a directory
     * it made (or the target), so it has the probe's owner; {@code modeSet}: given at creation.
     */
    private void applyMeta(Path p, Snapshot.Node n, boolean created, boolean modeSet) throws IOException {
        for (Map.Entry<String, byte[]> x : n.xattrs().entrySet()) {
            if (!x.getKey().startsWith("user.")) continue;
            try {
                UserDefinedFileAttributeView v = Files.getFileAttributeView(p, UserDefinedFileAttributeView.class);
                v.write(x.getKey().substring(5), ByteBuffer.wrap(x.getValue()));
            } catch (IOException | UnsupportedOperationException e) {
                problems.add(BackupErrors.XATTR_NOT_RESTORED.id() + " " + n.path() + ": xattr " + x.getKey() + " not restored: " + e.getMessage());
            }
        }
        boolean known = created && newDirMode >= 0;
        // chown before chmod: a chown clears set-user-ID and set-group-ID bits
        if (root && !(known && n.uid() == newUid && n.gid() == newGid)) chown(p, n);
        int mode = n.mode() & 07777;
        boolean dir = n.type() == Snapshot.Type.DIR;
        if (!modeSet && !(dir && known && mode == newDirMode)) Files.setAttribute(p, "unix:mode", mode, LinkOption.NOFOLLOW_LINKS);
        // both times given: no stat to read the access time back (it is the time of the restore)
        Files.getFileAttributeView(p, java.nio.file.attribute.BasicFileAttributeView.class).setTimes(time(n.mtimeNs()), restoreTime, null);
    }

    private static void chown(Path p, Snapshot.Node n) throws IOException {
        Files.setAttribute(p, "unix:uid", n.uid(), LinkOption.NOFOLLOW_LINKS);
        Files.setAttribute(p, "unix:gid", n.gid(), LinkOption.NOFOLLOW_LINKS);
    }

    private static FileTime time(long ns) {
        return FileTime.from(Instant.ofEpochSecond(Math.floorDiv(ns, 1_000_000_000L), Math.floorMod(ns, 1_000_000_000L)));
    }

    private void report(boolean force) {
        Progress pr = opts.progress();
        if (pr == null) return;
        long now = System.nanoTime();
        if (force || now - lastProgress > 200_000_000L) {
            lastProgress = now;
            pr.update(bytesDone.get(), bytesTotal, filesDone.get(), filesTotal);
        }
    }

    /** Files of {@code s} that use any of {@code blobs} (hex ids), for check's report. */
    public static List<String> filesUsing(Snapshot s, Set<String> blobs) {
        List<String> out = new ArrayList<>();
        Map<String, Boolean> memo = new HashMap<>();
        for (Snapshot.Node n : s.nodes()) {
            for (byte[] id : n.chunks()) {
                if (memo.computeIfAbsent(Wire.hex(id), blobs::contains)) {
                    out.add(n.path());
                    break;
                }
            }
        }
        return out;
    }
}
