package dev.cairn.backup.source;

import dev.cairn.backup.BackupErrors;

import dev.cairn.backup.repo.BackupRun;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Backs up directory trees: regular files, directories, symlinks, hard links (by device and
 * inode), sparse files, modes with setuid/setgid/sticky, owners, mtimes in ns and {@code user.*}
 * xattrs. FIFOs, sockets and devices are skipped and reported. Each root is stored under its own
 * name. A name that is not valid UTF-8 is refused (reported with its inode), never stored mangled.
 */
public final class DirectorySource implements Source {

    private static final int S_IFMT = 0170000;
    private static final int S_IFDIR = 0040000;
    private static final int S_IFREG = 0100000;
    private static final int S_IFLNK = 0120000;
    private static final String ATTRS = "unix:mode,ino,dev,uid,gid,size,lastModifiedTime,ctime,nlink";

    private final List<Path> roots;
    private final List<PathMatcher> nameExcludes = new ArrayList<>();
    private final List<PathMatcher> pathExcludes = new ArrayList<>();
    private final Map<String, String> firstLinkPath = new HashMap<>();
    private final OwnerNames owners = new OwnerNames();
    /** Threads of the walk ({@code backup.workers}): above 1, entries are stat-ed ahead by the others. */
    private int parallelism = 1;
    private java.util.concurrent.ExecutorService statPool;

    /** Entries stat-ed at once by a helper thread. */
    private static final int STAT_BATCH = 64;
    /** Batches stat-ed ahead of the entry being visited, per directory being listed (bounds the look-ahead). */
    private static final int STAT_AHEAD = 4;

    /** What a helper thread read for one entry: its attributes, or the error reading them gave. */
    private record Stat(Map<String, Object> attrs, IOException error) {
    }

    public DirectorySource(List<Path> roots, List<String> excludes) {
        this.roots = List.copyOf(roots);
        for (String e : excludes) {
            PathMatcher m = FileSystems.getDefault().getPathMatcher("glob:" + e);
            (e.contains("/") ? pathExcludes : nameExcludes).add(m);
        }
    }

    /** Refuses to run when the JVM decodes file names in anything but UTF-8 (names would be mangled). */
    public static void checkEncoding() throws IOException {
        String enc = System.getProperty("sun.jnu.encoding", "");
        if (!enc.equalsIgnoreCase("UTF-8") && !enc.equalsIgnoreCase("UTF8")) {
            throw new IOException(BackupErrors.JVM_NOT_UTF8.id() + " the JVM decodes file names as " + enc
                    + ", not UTF-8: names would be stored mangled. Run Cairn with LANG=C.UTF-8 (the launcher sets it)");
        }
    }

    @Override
    public List<String> describe() {
        List<String> out = new ArrayList<>();
        for (Path p : roots) out.add(p.toString());
        return out;
    }

    /**
     * Walks with {@code threads} threads ({@code backup.workers}): the entries of each directory are
     * stat-ed ahead, in batches, by {@code threads - 1} helpers while this thread visits them in
     * order (the manifest's order is the same whatever the number). At most a few hundred entries
     * of each directory being listed are stat-ed ahead of the one visited; a file that changes in
     * between is caught by the stat after its read, as any change while it is read.
     */
    public DirectorySource parallelism(int threads) {
        this.parallelism = Math.max(1, threads);
        return this;
    }

    @Override
    public void emit(EntrySink sink) throws IOException, InterruptedException {
        checkEncoding();
        if (parallelism > 1) {
            AtomicInteger n = new AtomicInteger();
            statPool = java.util.concurrent.Executors.newFixedThreadPool(parallelism - 1, r -> {
                Thread t = new Thread(r, "cairn-backup-stat-" + n.incrementAndGet());
                t.setDaemon(true);
                return t;
            });
        }
        try {
            for (Path root : roots) {
                Path abs = root.toAbsolutePath().normalize();
                String name = abs.getFileName() == null ? "root" : abs.getFileName().toString();
                visit(abs, name, sink, true, null);
            }
        } finally {
            if (statPool != null) {
                statPool.shutdownNow();
                statPool = null;
            }
        }
    }

    private static Stat stat(Path p) {
        try {
            return new Stat(Files.readAttributes(p, ATTRS, LinkOption.NOFOLLOW_LINKS), null);
        } catch (IOException e) {
            return new Stat(null, e);
        }
    }

    /** Submits the stat of {@code children[from, from + STAT_BATCH)} to the helpers. */
    private java.util.concurrent.Future<Stat[]> statBatch(List<Path> children, int from) {
        int to = Math.min(children.size(), from + STAT_BATCH);
        return statPool.submit(() -> {
            Stat[] out = new Stat[to - from];
            for (int i = from; i < to; i++) out[i - from] = stat(children.get(i));
            return out;
        });
    }

    private static Stat[] await(java.util.concurrent.Future<Stat[]> f) throws IOException, InterruptedException {
        try {
            return f.get();
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IOException("stat: " + e.getCause(), e.getCause());
        }
    }

    private boolean excluded(String rel, String name) {
        for (PathMatcher m : nameExcludes) if (m.matches(Path.of(name))) return true;
        for (PathMatcher m : pathExcludes) if (m.matches(Path.of(rel))) return true;
        return false;
    }

    /** @param pre the entry's attributes as a helper read them, or null: read them here */
    private void visit(Path path, String rel, EntrySink sink, boolean root, Stat pre) throws IOException, InterruptedException {
        if (Thread.interrupted()) throw new InterruptedException();
        Map<String, Object> a;
        try {
            if (pre == null) {
                a = Files.readAttributes(path, ATTRS, LinkOption.NOFOLLOW_LINKS);
            } else if (pre.error() != null) {
                throw pre.error();
            } else {
                a = pre.attrs();
            }
        } catch (NoSuchFileException e) {
            if (root) throw e;
            return; // deleted since the directory was listed
        }
        int mode = (Integer) a.get("mode");
        int type = mode & S_IFMT;
        int uid = (Integer) a.get("uid"), gid = (Integer) a.get("gid");
        long ino = (Long) a.get("ino"), dev = (Long) a.get("dev"), size = (Long) a.get("size");
        int nlink = (Integer) a.get("nlink");
        EntryMeta meta = new EntryMeta(rel, mode & 07777, uid, gid, owners.user(uid), owners.group(gid),
                BackupRun.nanos((FileTime) a.get("lastModifiedTime")), BackupRun.nanos((FileTime) a.get("ctime")),
                ino, dev, type == S_IFREG ? size : 0, Map.of());
        switch (type) {
            case S_IFDIR -> {
                sink.directory(withXattrs(meta, path, sink));
                TreeMap<String, Path> children = new TreeMap<>();
                try (DirectoryStream<Path> ds = Files.newDirectoryStream(path)) {
                    for (Path c : ds) {
                        String n = c.getFileName().toString();
                        if (n.indexOf('\uFFFD') >= 0 && !sameFile(path.resolve(n), c)) {
                            sink.problem(BackupErrors.NAME_NOT_UTF8.id() + " " + rel + "/: an entry (inode " + inodeOf(c)
                                    + ") has a name that is not valid UTF-8; refused, not stored mangled");
                            continue;
                        }
                        String childRel = rel + "/" + n;
                        if (excluded(childRel, n)) continue;
                        children.put(n, c);
                    }
                } catch (java.nio.file.AccessDeniedException e) {
                    sink.problem(BackupErrors.PERMISSION_DENIED.id() + " " + rel + ": cannot list: permission denied");
                    return;
                }
                if (statPool == null || children.size() < 2) {
                    for (Map.Entry<String, Path> c : children.entrySet()) {
                        visit(c.getValue(), rel + "/" + c.getKey(), sink, false, null);
                    }
                } else {
                    List<String> names = new ArrayList<>(children.keySet());
                    List<Path> paths = new ArrayList<>(children.values());
                    java.util.ArrayDeque<java.util.concurrent.Future<Stat[]>> ahead = new java.util.ArrayDeque<>();
                    int submitted = 0;
                    try {
                        for (int i = 0; i < paths.size(); i += STAT_BATCH) {
                            while (submitted < paths.size() && ahead.size() < STAT_AHEAD) {
                                ahead.add(statBatch(paths, submitted));
                                submitted += STAT_BATCH;
                            }
                            Stat[] batch = await(ahead.poll());
                            for (int k = 0; k < batch.length; k++) {
                                visit(paths.get(i + k), rel + "/" + names.get(i + k), sink, false, batch[k]);
                            }
                        }
                    } finally {
                        for (java.util.concurrent.Future<Stat[]> f : ahead) f.cancel(true);
                    }
                }
            }
            case S_IFREG -> {
                if (nlink > 1) {
                    String key = dev + ":" + ino;
                    String first = firstLinkPath.get(key);
                    if (first != null) {
                        sink.hardLink(meta, first);
                        return;
                    }
                    firstLinkPath.put(key, rel);
                }
                try {
                    sink.file(withXattrs(meta, path, sink), path);
                } catch (NoSuchFileException e) {
                    sink.problem(BackupErrors.VANISHED.id() + " " + rel + " vanished while it was read");
                } catch (java.nio.file.AccessDeniedException e) {
                    sink.problem(BackupErrors.PERMISSION_DENIED.id() + " " + rel + ": cannot read: permission denied");
                }
            }
            case S_IFLNK -> {
                Path target = Files.readSymbolicLink(path);
                sink.symlink(meta, target.toString().getBytes(StandardCharsets.UTF_8));
            }
            default -> sink.skipped(BackupErrors.SKIPPED_SPECIAL.id() + " " + rel + ": skipped " + kind(type) + " (inode " + ino + ")");
        }
    }

    private static String kind(int type) {
        return switch (type) {
            case 0010000 -> "FIFO";
            case 0020000 -> "character device";
            case 0060000 -> "block device";
            case 0140000 -> "socket";
            default -> "entry of type " + Integer.toOctalString(type);
        };
    }

    private static boolean sameFile(Path byName, Path listed) {
        try {
            Object a = Files.readAttributes(byName, "unix:ino,dev", LinkOption.NOFOLLOW_LINKS);
            Object b = Files.readAttributes(listed, "unix:ino,dev", LinkOption.NOFOLLOW_LINKS);
            return a.equals(b);
        } catch (IOException e) {
            return false;
        }
    }

    private static String inodeOf(Path p) {
        try {
            return String.valueOf(Files.getAttribute(p, "unix:ino", LinkOption.NOFOLLOW_LINKS));
        } catch (IOException e) {
            return "?";
        }
    }

    private static EntryMeta withXattrs(EntryMeta meta, Path path, EntrySink sink) {
        Map<String, byte[]> known = sink.unchangedXattrs(meta);
        Map<String, byte[]> x = known != null ? known : readXattrs(path);
        if (x.isEmpty()) return meta;
        return new EntryMeta(meta.path(), meta.mode(), meta.uid(), meta.gid(), meta.user(), meta.group(), meta.mtimeNs(),
                meta.ctimeNs(), meta.inode(), meta.device(), meta.size(), x);
    }

    static Map<String, byte[]> readXattrs(Path path) {
        UserDefinedFileAttributeView v = Files.getFileAttributeView(path, UserDefinedFileAttributeView.class);
        if (v == null) return Map.of();
        try {
            List<String> names = v.list();
            if (names.isEmpty()) return Map.of();
            Map<String, byte[]> out = new TreeMap<>();
            for (String n : names) {
                ByteBuffer b = ByteBuffer.allocate(v.size(n));
                v.read(n, b);
                out.put("user." + n, java.util.Arrays.copyOf(b.array(), b.position()));
            }
            return out;
        } catch (IOException | UnsupportedOperationException e) {
            return Map.of();
        }
    }

    /** uid/gid to names from /etc/passwd and /etc/group, read once. */
    static final class OwnerNames {
        private Map<Integer, String> users;
        private Map<Integer, String> groups;

        String user(int uid) {
            if (users == null) users = read(Path.of("/etc/passwd"));
            return users.getOrDefault(uid, "");
        }

        String group(int gid) {
            if (groups == null) groups = read(Path.of("/etc/group"));
            return groups.getOrDefault(gid, "");
        }

        private static Map<Integer, String> read(Path file) {
            Map<Integer, String> m = new HashMap<>();
            try {
                for (String line : Files.readAllLines(file)) {
                    String[] f = line.split(":");
                    if (f.length > 2) {
                        try {
                            m.putIfAbsent(Integer.parseInt(f[2]), f[0]);
                        } catch (NumberFormatException ignored) {
                            // a comment or a malformed line
                        }
                    }
                }
            } catch (IOException e) {
                // no names: numeric ids only
            }
            return m;
        }
    }
}
