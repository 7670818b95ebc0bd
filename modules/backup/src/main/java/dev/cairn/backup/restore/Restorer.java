package dev.cairn.backup.restore;

import dev.cairn.backup.BackupErrors;

import dev.cairn.backup.repo.BlobIndex;
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

    public Restorer(Repository repo, Options opts) {
        this.repo = repo;
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
        for (Snapshot.Node d : dirs) makeDir(d.path());
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, opts.workers()), r -> {
            Thread t = new Thread(r, "cairn-restore");
            t.setDaemon(true);
            return t;
        });
        Set<String> restoredFiles = Collections.synchronizedSet(new HashSet<>());
        try {
            List<Future<?>> fs = new ArrayList<>();
            for (Snapshot.Node f : files) {
                fs.add(pool.submit(() -> {
                    if (restoreFile(f)) restoredFiles.add(f.path());
                    return null;
                }));
            }
            for (Future<?> f : fs) {
                try {
                    f.get();
                } catch (java.util.concurrent.ExecutionException e) {
                    Throwable c = e.getCause();
                    if (c instanceof IOException io) throw io;
                    throw new IOException(c);
                }
            }
        } finally {
            pool.shutdownNow();
        }
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
        for (int i = dirs.size() - 1; i >= 0; i--) {
            Snapshot.Node d = dirs.get(i);
            Path p = target.resolve(d.path());
            applyMeta(p, d);
        }
        report(true);
        return new Result(filesDone.get(), bytesDone.get(), List.copyOf(damaged), List.copyOf(problems));
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
            if (Files.isSymbolicLink(p) || (Files.exists(p, LinkOption.NOFOLLOW_LINKS) && !Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS))) {
                throw new IOException(BackupErrors.THROUGH_SYMLINK.id() + " " + p + " exists and is not a directory; refusing to restore through it");
            }
            try {
                Files.createDirectory(p);
            } catch (FileAlreadyExistsException e) {
                // checked above that it is a directory
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

    private boolean restoreFile(Snapshot.Node f) throws IOException {
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
        Path tmp = p.resolveSibling(".cairn-restore-" + UUID.randomUUID());
        boolean ok = false;
        long pos = 0;
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                long[] holes = f.holes();
                byte[] lastId = null;
                byte[] last = null;
                for (byte[] id : f.chunks()) {
                    byte[] data;
                    if (lastId != null && java.util.Arrays.equals(lastId, id)) {
                        data = last;
                    } else {
                        try {
                            data = repo.readBlob(id);
                        } catch (IOException | RuntimeException e) {
                            damaged.add(f.path() + " (blob " + Wire.hex(id).substring(0, 16) + ": " + e.getMessage() + ")");
                            return false;
                        }
                        lastId = id;
                        last = data;
                    }
                    writeSkippingHoles(ch, data, pos, holes);
                    pos += data.length;
                    bytesDone.addAndGet(data.length);
                    report(false);
                }
                ch.truncate(pos);
                pos = ch.size();
            }
            if (pos < f.size()) extendTo(tmp, f.size()); // a trailing hole: not written
            applyMeta(tmp, f);
            Files.move(tmp, p, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            ok = true;
            filesDone.incrementAndGet();
            return true;
        } finally {
            if (!ok) Files.deleteIfExists(tmp);
        }
    }

    private static void extendTo(Path p, long size) throws IOException {
        try (java.io.RandomAccessFile raf = new java.io.RandomAccessFile(p.toFile(), "rw")) {
            if (raf.length() < size) raf.setLength(size);
        }
    }

    private static void writeSkippingHoles(FileChannel ch, byte[] data, long pos, long[] holes) throws IOException {
        long end = pos + data.length;
        long cur = pos;
        for (int i = 0; i + 1 < holes.length && cur < end; i += 2) {
            long hs = holes[i], he = holes[i] + holes[i + 1];
            if (he <= cur || hs >= end) continue;
            if (hs > cur) write(ch, data, cur - pos, hs - cur, cur);
            cur = Math.min(end, he);
        }
        if (cur < end) write(ch, data, cur - pos, end - cur, cur);
    }

    private static void write(FileChannel ch, byte[] data, long off, long len, long at) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(data, (int) off, (int) len);
        while (b.hasRemaining()) ch.write(b, at + (b.position() - off));
    }

    private void applyMeta(Path p, Snapshot.Node n) throws IOException {
        for (Map.Entry<String, byte[]> x : n.xattrs().entrySet()) {
            if (!x.getKey().startsWith("user.")) continue;
            try {
                UserDefinedFileAttributeView v = Files.getFileAttributeView(p, UserDefinedFileAttributeView.class);
                v.write(x.getKey().substring(5), ByteBuffer.wrap(x.getValue()));
            } catch (IOException | UnsupportedOperationException e) {
                problems.add(BackupErrors.XATTR_NOT_RESTORED.id() + " " + n.path() + ": xattr " + x.getKey() + " not restored: " + e.getMessage());
            }
        }
        if (root) chown(p, n);
        Files.setAttribute(p, "unix:mode", n.mode() & 07777, LinkOption.NOFOLLOW_LINKS);
        Files.setLastModifiedTime(p, time(n.mtimeNs()));
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
