package dev.cairn.backup.repo;

import dev.cairn.backup.BackupErrors;

import dev.cairn.backup.source.EntryMeta;
import dev.cairn.backup.source.EntrySink;
import dev.cairn.backup.source.Source;
import dev.cairn.backup.store.Store;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.LinkOption;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One backup: takes a {@link Source}'s entries, cuts file contents into chunks, and stores the
 * new ones — hashing, compressing and sealing on every core while the source thread reads — in
 * packs, then the index, then the manifest. Files unchanged against the parent snapshot (size,
 * mtime, ctime, inode) are not read. Use once; not thread-safe (the source thread drives it).
 */
public final class BackupRun implements EntrySink, AutoCloseable {

    /** How a run is labelled and tuned. */
    public record Options(String job, String host, List<String> tags, int compressionLevel, int workers) {
    }

    /** What a run did. */
    public record Result(String snapshotId, Snapshot.Header header, long filesRead, long filesUnchanged,
                         long newBlobs, long packs, java.time.Duration duration) {
    }

    /** Called now and then from the source thread with the running totals. */
    public interface Progress {
        void update(long bytesDone, long filesDone, long bytesExpected);
    }

    private static final int READ_SIZE = 1024 * 1024;
    private static final int HOLE_BLOCK = 64 * 1024;
    private static final byte[] ZEROS = new byte[HOLE_BLOCK];
    private static final int INDEX_EVERY_PACKS = 4;
    private static final int CHANGE_RETRIES = 2;

    private final Repository repo;
    private final Options opts;
    private final Chunker chunker;
    private final ExecutorService workers;
    private final ExecutorService uploader;
    private final Semaphore inFlight;
    private final int inFlightBytes;
    private final Semaphore uploads = new Semaphore(1);
    private final Map<Key, Boolean> pending = new ConcurrentHashMap<>();
    private final Object packLock = new Object();
    private Store.Pending packSink;
    private Pack.Writer pack;
    private Exception packFailure;
    private final List<Repository.SealBuffers> sealBuffers = new ArrayList<>();
    private final ThreadLocal<Repository.SealBuffers> sealBuffer = ThreadLocal.withInitial(() -> {
        Repository.SealBuffers b = new Repository.SealBuffers();
        synchronized (sealBuffers) {
            sealBuffers.add(b);
        }
        return b;
    });
    private final List<Repository.PackInfo> unindexed = new ArrayList<>();
    private final List<CompletableFuture<Void>> packUploads = new ArrayList<>();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final AtomicLong added = new AtomicLong();
    private final AtomicLong newBlobs = new AtomicLong();
    private final AtomicLong packs = new AtomicLong();

    private final String parentId;
    private final Map<String, Snapshot.Node> parent = new HashMap<>();
    private final long expectedBytes;
    private final Progress progress;
    private final List<Object> nodes = new ArrayList<>();
    private final Map<String, String> extra = new LinkedHashMap<>();
    private final List<String> problems = new ArrayList<>();
    private final List<String> skipped = new ArrayList<>();
    private boolean partial;
    private long files, dirs, bytes, filesRead, filesUnchanged, bytesDone;
    private long lastProgress;
    private byte[] readBuf;

    private record Key(byte[] id) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && Arrays.equals(id, k.id);
        }

        @Override
        public int hashCode() {
            return (id[0] << 24) | ((id[1] & 0xFF) << 16) | ((id[2] & 0xFF) << 8) | (id[3] & 0xFF);
        }
    }

    /** A file node whose chunk ids are still being computed. */
    private record PendingFile(Snapshot.Node node, List<CompletableFuture<byte[]>> chunks) {
    }

    public BackupRun(Repository repo, Options opts, Repository.SnapshotRef parentRef, Progress progress) throws IOException {
        this.repo = repo;
        this.opts = opts;
        this.chunker = repo.chunker();
        this.progress = progress;
        int n = Math.max(1, opts.workers());
        this.workers = Executors.newFixedThreadPool(n, daemon("cairn-backup-seal"));
        this.uploader = Executors.newFixedThreadPool(1, daemon("cairn-backup-upload"));
        // Chunks read but not yet sealed: enough to keep every worker busy, and one maximum-size chunk.
        this.inFlightBytes = Math.max(chunker.max(), 4 * n * repo.params().chunkAvg());
        this.inFlight = new Semaphore(inFlightBytes);
        if (parentRef != null) {
            Snapshot p = repo.readSnapshot(parentRef.id());
            for (Snapshot.Node node : p.nodes()) parent.put(node.path(), node);
            parentId = parentRef.id();
            expectedBytes = p.header().bytes();
        } else {
            parentId = null;
            expectedBytes = -1;
        }
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        AtomicLong n = new AtomicLong();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /** Runs the source and writes the snapshot; throws (and writes no manifest) on failure. */
    public Result run(Source source) throws IOException, InterruptedException {
        long started = System.nanoTime();
        long startedAt = System.currentTimeMillis() * 1_000_000L;
        source.emit(this);
        List<Snapshot.Node> done = new ArrayList<>(nodes.size());
        for (Object o : nodes) {
            if (o instanceof PendingFile pf) {
                List<byte[]> ids = new ArrayList<>(pf.chunks.size());
                for (CompletableFuture<byte[]> f : pf.chunks) ids.add(join(f));
                done.add(pf.node.withChunks(ids, pf.node.flags(), pf.node.holes()));
            } else {
                done.add((Snapshot.Node) o);
            }
        }
        flushPack();
        List<CompletableFuture<Void>> ups;
        synchronized (packUploads) {
            ups = new ArrayList<>(packUploads);
        }
        for (CompletableFuture<Void> f : ups) join(f);
        checkFailure();
        synchronized (unindexed) {
            if (!unindexed.isEmpty()) {
                repo.writeIndex(new ArrayList<>(unindexed));
                unindexed.clear();
            }
        }
        List<String> allProblems = new ArrayList<>(problems);
        allProblems.addAll(skipped);
        Snapshot.Header h = new Snapshot.Header(opts.job(), opts.host(), startedAt, parentId, partial, opts.tags(),
                source.describe(), extra, allProblems, files, dirs, bytes, added.get());
        Snapshot s = new Snapshot(h, done);
        String id = repo.writeSnapshot(s);
        return new Result(id, h, filesRead, filesUnchanged, newBlobs.get(), packs.get(),
                java.time.Duration.ofNanos(System.nanoTime() - started));
    }

    private <T> T join(CompletableFuture<T> f) throws IOException {
        try {
            return f.join();
        } catch (java.util.concurrent.CompletionException e) {
            Throwable c = e.getCause();
            if (c instanceof IOException io) throw io;
            if (c instanceof RuntimeException re) throw re;
            throw new IOException(c);
        }
    }

    private void checkFailure() throws IOException {
        Throwable t = failure.get();
        if (t == null) return;
        if (t instanceof IOException io) throw new IOException(io.getMessage(), io);
        throw new IOException("backup failed: " + t, t);
    }

    // ---- EntrySink ----

    private Snapshot.Node node(Snapshot.Type type, EntryMeta m, long size, byte[] target) {
        return new Snapshot.Node(type, m.path(), m.mode(), m.uid(), m.gid(), m.user(), m.group(), m.mtimeNs(), m.ctimeNs(),
                m.inode(), m.device(), size, m.xattrs(), 0, new long[0], List.of(), target);
    }

    @Override
    public void directory(EntryMeta meta) {
        dirs++;
        nodes.add(node(Snapshot.Type.DIR, meta, 0, null));
    }

    @Override
    public void symlink(EntryMeta meta, byte[] target) {
        files++;
        nodes.add(node(Snapshot.Type.SYMLINK, meta, target.length, target));
    }

    @Override
    public void hardLink(EntryMeta meta, String targetPath) {
        files++;
        nodes.add(node(Snapshot.Type.HARDLINK, meta, meta.size(), targetPath.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    }

    @Override
    public void extra(String key, String value) {
        extra.put(key, value);
    }

    @Override
    public Map<String, byte[]> unchangedXattrs(EntryMeta m) {
        Snapshot.Node old = parent.get(m.path());
        if (old != null && old.size() == m.size() && old.mtimeNs() == m.mtimeNs() && old.ctimeNs() == m.ctimeNs()
                && old.inode() == m.inode()) {
            return old.xattrs();
        }
        return null;
    }

    @Override
    public void problem(String message) {
        partial = true;
        problems.add(message);
    }

    @Override
    public void skipped(String message) {
        skipped.add(message);
    }

    @Override
    public void file(EntryMeta meta, Path file) throws IOException, InterruptedException {
        checkFailure();
        files++;
        bytes += meta.size();
        Snapshot.Node old = parent.get(meta.path());
        if (old != null && old.type() == Snapshot.Type.FILE && old.flags() == 0 && old.size() == meta.size()
                && old.mtimeNs() == meta.mtimeNs() && old.ctimeNs() == meta.ctimeNs() && old.inode() == meta.inode()
                && allKnown(old.chunks())) {
            filesUnchanged++;
            nodes.add(new Snapshot.Node(Snapshot.Type.FILE, meta.path(), meta.mode(), meta.uid(), meta.gid(), meta.user(),
                    meta.group(), meta.mtimeNs(), meta.ctimeNs(), meta.inode(), meta.device(), meta.size(), meta.xattrs(),
                    0, old.holes(), old.chunks(), null));
            advance(meta.size());
            return;
        }
        EntryMeta current = meta;
        for (int attempt = 0; ; attempt++) {
            List<CompletableFuture<byte[]>> chunks = new ArrayList<>();
            List<Long> holes = new ArrayList<>();
            long read;
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
                read = readChannel(ch, current.size(), chunks, holes);
            }
            Map<String, Object> after = Files.readAttributes(file, "unix:size,lastModifiedTime,ctime,ino", LinkOption.NOFOLLOW_LINKS);
            long size = (Long) after.get("size");
            long mtime = nanos((FileTime) after.get("lastModifiedTime"));
            long ctime = nanos((FileTime) after.get("ctime"));
            boolean changed = size != current.size() || read != size || mtime != current.mtimeNs() || ctime != current.ctimeNs();
            if (!changed || attempt >= CHANGE_RETRIES) {
                int flags = 0;
                if (changed) {
                    flags = Snapshot.CHANGED_WHILE_READ;
                    problem(BackupErrors.CHANGED_WHILE_READ.id() + " " + current.path() + " changed while it was read " + (attempt + 1)
                            + " times; stored as read (" + read + " bytes)");
                }
                long[] h = new long[holes.size()];
                for (int i = 0; i < h.length; i++) h[i] = holes.get(i);
                Snapshot.Node n = new Snapshot.Node(Snapshot.Type.FILE, current.path(), current.mode(), current.uid(), current.gid(),
                        current.user(), current.group(), current.mtimeNs(), current.ctimeNs(), current.inode(), current.device(),
                        read, current.xattrs(), flags, h, List.of(), null);
                nodes.add(new PendingFile(n, chunks));
                bytes += read - meta.size();
                filesRead++;
                return;
            }
            current = new EntryMeta(current.path(), current.mode(), current.uid(), current.gid(), current.user(), current.group(),
                    mtime, ctime, current.inode(), current.device(), size, current.xattrs());
        }
    }

    private boolean allKnown(List<byte[]> ids) {
        BlobIndex idx = repo.index();
        for (byte[] id : ids) if (!idx.contains(id)) return false;
        return true;
    }

    public static long nanos(FileTime t) {
        java.time.Instant i = t.toInstant();
        return i.getEpochSecond() * 1_000_000_000L + i.getNano();
    }

    @Override
    public void stream(EntryMeta meta, InputStream content) throws IOException, InterruptedException {
        checkFailure();
        files++;
        List<CompletableFuture<byte[]>> chunks = new ArrayList<>();
        long n = readStream(content, chunks);
        bytes += n;
        filesRead++;
        Snapshot.Node node = new Snapshot.Node(Snapshot.Type.FILE, meta.path(), meta.mode(), meta.uid(), meta.gid(), meta.user(),
                meta.group(), meta.mtimeNs(), meta.ctimeNs(), meta.inode(), meta.device(), n, meta.xattrs(), 0, new long[0], List.of(), null);
        nodes.add(new PendingFile(node, chunks));
    }

    private byte[] buffer() {
        if (readBuf == null) readBuf = new byte[chunker.max() + READ_SIZE];
        return readBuf;
    }

    /** Reads a file through the chunker; returns the bytes read and records 64 KiB-aligned zero blocks as holes. */
    private long readChannel(FileChannel ch, long expected, List<CompletableFuture<byte[]>> chunks, List<Long> holes)
            throws IOException, InterruptedException {
        if (expected >= 0 && expected < chunker.min()) {
            // Small files: one chunk, read into an array of its own (no copy).
            byte[] b = new byte[(int) expected];
            ByteBuffer bb = ByteBuffer.wrap(b);
            while (bb.hasRemaining() && ch.read(bb) >= 0) {
                // reading
            }
            long extraBytes = 0;
            ByteBuffer probe = ByteBuffer.allocate(1);
            if (ch.read(probe) > 0) extraBytes = 1; // grew while read: reported by the caller's stat
            int n = bb.position();
            if (n > 0 || expected == 0) {
                if (n > 0) chunks.add(submit(n == b.length ? b : Arrays.copyOf(b, n), n));
            }
            advance(n);
            return n + extraBytes;
        }
        byte[] buf = buffer();
        int start = 0, avail = 0;
        long total = 0;
        boolean eof = false;
        long holeStart = -1;
        while (true) {
            while (!eof && avail < chunker.max()) {
                if (start + avail + READ_SIZE > buf.length) {
                    System.arraycopy(buf, start, buf, 0, avail);
                    start = 0;
                }
                ByteBuffer bb = ByteBuffer.wrap(buf, start + avail, Math.min(READ_SIZE, buf.length - start - avail));
                int r = ch.read(bb);
                if (r < 0) {
                    eof = true;
                } else {
                    // Zero blocks at 64 KiB-aligned file offsets become holes (vectorized compare).
                    long fileOff = total + avail;
                    int p = start + avail;
                    int end = p + r;
                    long aligned = (fileOff + HOLE_BLOCK - 1) / HOLE_BLOCK * HOLE_BLOCK;
                    int q = (int) (p + (aligned - fileOff));
                    if (holeStart >= 0 && aligned != fileOff) {
                        holes.add(holeStart);
                        holes.add(fileOff - holeStart);
                        holeStart = -1;
                    }
                    for (; q + HOLE_BLOCK <= end; q += HOLE_BLOCK) {
                        long at = fileOff + (q - p);
                        boolean zero = Arrays.equals(buf, q, q + HOLE_BLOCK, ZEROS, 0, HOLE_BLOCK);
                        if (zero && holeStart < 0) holeStart = at;
                        if (!zero && holeStart >= 0) {
                            holes.add(holeStart);
                            holes.add(at - holeStart);
                            holeStart = -1;
                        }
                    }
                    if (holeStart >= 0 && q != end) {
                        long at = fileOff + (q - p);
                        holes.add(holeStart);
                        holes.add(at - holeStart);
                        holeStart = -1;
                    }
                    avail += r;
                }
            }
            if (avail == 0) break;
            int cut = chunker.cut(buf, start, avail);
            chunks.add(submit(Arrays.copyOfRange(buf, start, start + cut), cut));
            start += cut;
            avail -= cut;
            total += cut;
            advance(cut);
        }
        if (holeStart >= 0) {
            holes.add(holeStart);
            holes.add(total - holeStart);
        }
        return total;
    }

    private long readStream(InputStream in, List<CompletableFuture<byte[]>> chunks) throws IOException, InterruptedException {
        byte[] buf = buffer();
        int start = 0, avail = 0;
        long total = 0;
        boolean eof = false;
        while (true) {
            while (!eof && avail < chunker.max()) {
                if (start + avail + READ_SIZE > buf.length) {
                    System.arraycopy(buf, start, buf, 0, avail);
                    start = 0;
                }
                int r = in.read(buf, start + avail, Math.min(READ_SIZE, buf.length - start - avail));
                if (r < 0) eof = true;
                else avail += r;
            }
            if (avail == 0) break;
            int cut = chunker.cut(buf, start, avail);
            chunks.add(submit(Arrays.copyOfRange(buf, start, start + cut), cut));
            start += cut;
            avail -= cut;
            total += cut;
            advance(cut);
        }
        return total;
    }

    private void advance(long n) {
        bytesDone += n;
        if (progress != null) {
            long now = System.nanoTime();
            if (now - lastProgress > 200_000_000L) {
                lastProgress = now;
                progress.update(bytesDone, files, expectedBytes);
            }
        }
    }

    /** Hands a chunk to the sealing workers; the future yields its blob id. */
    private CompletableFuture<byte[]> submit(byte[] chunk, int len) throws InterruptedException, IOException {
        checkFailure();
        int permits = Math.min(len, inFlightBytes);
        inFlight.acquire(permits);
        try {
            return CompletableFuture.supplyAsync(() -> {
                try {
                    return seal(chunk, len);
                } catch (IOException e) {
                    failure.compareAndSet(null, e);
                    throw new java.util.concurrent.CompletionException(e);
                } catch (RuntimeException e) {
                    failure.compareAndSet(null, e);
                    throw e;
                } finally {
                    inFlight.release(permits);
                }
            }, workers);
        } catch (RuntimeException e) {
            inFlight.release(permits);
            throw e;
        }
    }

    private byte[] seal(byte[] chunk, int len) throws IOException {
        byte[] id = repo.crypto().blobId(chunk, 0, len);
        if (repo.index().contains(id) || pending.putIfAbsent(new Key(id), Boolean.TRUE) != null) return id;
        Repository.SealBuffers buf = sealBuffer.get();
        int sealedLen = repo.sealBlob(id, chunk, 0, len, opts.compressionLevel(), buf);
        added.addAndGet(sealedLen);
        newBlobs.incrementAndGet();
        Store.Pending fullSink = null;
        Pack.Writer full = null;
        synchronized (packLock) {
            if (pack == null) {
                packSink = repo.store().create("data/", repo.params().packTarget() + repo.params().packTarget() / 8);
                pack = new Pack.Writer(packSink);
            }
            // After a failed write (a full disk) the pack stream is closed: report the first cause.
            if (packFailure != null) throw new IOException(packFailure.getMessage(), packFailure);
            try {
                pack.add(id, buf.sealed(), 0, sealedLen, len);
            } catch (IOException | RuntimeException e) {
                packFailure = e;
                throw e;
            }
            if (pack.bytes() >= repo.params().packTarget()) {
                full = pack;
                fullSink = packSink;
                pack = null;
                packSink = null;
            }
        }
        buf.trim();
        if (full != null) upload(full, fullSink);
        return id;
    }

    private void flushPack() throws IOException {
        Pack.Writer last;
        Store.Pending lastSink;
        synchronized (packLock) {
            last = pack;
            lastSink = packSink;
            pack = null;
            packSink = null;
        }
        if (last != null) upload(last, lastSink);
    }

    /** Ends a pack and hands it to the uploader (one at a time: the next pack fills meanwhile). */
    private void upload(Pack.Writer w, Store.Pending sink) throws IOException {
        Pack.Written built;
        try {
            built = w.finish(repo.crypto());
        } catch (IOException | RuntimeException e) {
            sink.close();
            throw e;
        }
        try {
            uploads.acquire();
        } catch (InterruptedException e) {
            sink.close();
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted");
        }
        CompletableFuture<Void> f = CompletableFuture.runAsync(() -> {
            try (sink) {
                sink.commit(built.name());
                packs.incrementAndGet();
                added.addAndGet(built.size() - sumLengths(built.entries()));
                Repository.PackInfo info = new Repository.PackInfo(built.id(), built.size(), built.entries());
                List<Repository.PackInfo> toWrite = null;
                synchronized (unindexed) {
                    unindexed.add(info);
                    if (unindexed.size() >= INDEX_EVERY_PACKS) {
                        toWrite = new ArrayList<>(unindexed);
                        unindexed.clear();
                    }
                }
                repo.addToIndex(info);
                if (toWrite != null) repo.writeIndex(toWrite);
            } catch (IOException e) {
                failure.compareAndSet(null, e);
                throw new java.util.concurrent.CompletionException(e);
            } finally {
                uploads.release();
            }
        }, uploader);
        synchronized (packUploads) {
            packUploads.add(f);
        }
    }

    private static long sumLengths(List<Pack.Entry> entries) {
        long s = 0;
        for (Pack.Entry e : entries) s += e.length();
        return s;
    }

    @Override
    public void close() {
        // Wait for the threads: no write may continue after a failed backup has returned.
        workers.shutdownNow();
        uploader.shutdown();
        try {
            workers.awaitTermination(60, java.util.concurrent.TimeUnit.SECONDS);
            uploader.awaitTermination(120, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        synchronized (packLock) {
            // a failed or interrupted run: the pack being written is discarded, never stored
            if (packSink != null) {
                try {
                    packSink.close();
                } catch (IOException ignored) {
                    // a temporary file left behind is removed by prune
                }
            }
            pack = null;
            packSink = null;
        }
        synchronized (sealBuffers) {
            for (Repository.SealBuffers b : sealBuffers) b.close();
            sealBuffers.clear();
        }
    }
}
