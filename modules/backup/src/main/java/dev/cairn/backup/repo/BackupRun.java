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

    private static final int READ_SIZE = 512 * 1024;
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
    private final int[] poolSizes;
    private final List<java.util.concurrent.ConcurrentLinkedQueue<byte[]>> pools = new ArrayList<>();
    private final java.util.concurrent.atomic.AtomicLongArray pooledBytes;
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
    private final ParentEntries parent;
    private String lastLookup;
    private ParentEntries.Entry lastEntry;
    private final long expectedBytes;
    private final Progress progress;
    // The new manifest's entries, encoded as they become final: in source order, a file once its
    // chunk ids are known (the queue holds what waits behind a file still being sealed).
    // Sized from the parent's manifest (most runs write about as many entries): no doubling copies of a large buffer.
    private final Wire.Out entries;
    private int entryCount;
    private final java.util.ArrayDeque<Object> queue = new java.util.ArrayDeque<>();
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
        boolean done() {
            for (CompletableFuture<byte[]> f : chunks) if (!f.isDone()) return false;
            return true;
        }
    }

    /** A file unchanged against the parent: its new metadata, and the parent's holes and chunks. */
    private record Unchanged(EntryMeta meta, ParentEntries.Entry old) {
    }

    public BackupRun(Repository repo, Options opts, Repository.SnapshotRef parentRef, Progress progress) throws IOException {
        this.repo = repo;
        this.opts = opts;
        this.chunker = repo.chunker();
        this.progress = progress;
        int n = Math.max(1, opts.workers());
        this.workers = Executors.newFixedThreadPool(n, daemon("cairn-backup-seal"));
        this.uploader = Executors.newFixedThreadPool(1, daemon("cairn-backup-upload"));
        // Chunks read but not yet sealed: enough to keep every worker busy. A chunk larger than this
        // takes all permits (it waits until the others are sealed).
        this.inFlightBytes = Math.max(4 * repo.params().chunkAvg(), 2 * n * repo.params().chunkAvg());
        this.inFlight = new Semaphore(inFlightBytes);
        this.poolSizes = java.util.stream.IntStream.of(64 * 1024, chunker.min(), 2 * repo.params().chunkAvg())
                .filter(x -> x <= inFlightBytes).distinct().sorted().toArray();
        for (int i = 0; i < poolSizes.length; i++) pools.add(new java.util.concurrent.ConcurrentLinkedQueue<>());
        this.pooledBytes = new java.util.concurrent.atomic.AtomicLongArray(poolSizes.length);
        if (parentRef != null) {
            byte[] plain = repo.readSnapshotPlaintext(parentRef.id());
            parent = new ParentEntries(plain);
            parentId = parentRef.id();
            expectedBytes = parent.header().bytes();
            entries = new Wire.Out((int) Math.min(plain.length + plain.length / 16L + 64 * 1024, 1 << 30));
        } else {
            parent = null;
            parentId = null;
            expectedBytes = -1;
            entries = new Wire.Out(64 * 1024);
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
        readBuf = null;
        drain(true);
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
        String id = repo.writeSnapshot(Snapshot.encode(h, entryCount, entries), h);
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

    /** Queues an entry and encodes what is final at the head of the queue ({@code all}: everything, waiting). */
    private void add(Object item) throws IOException {
        queue.add(item);
        drain(false);
    }

    private void drain(boolean all) throws IOException {
        while (!queue.isEmpty()) {
            Object o = queue.peek();
            if (o instanceof PendingFile pf) {
                if (!all && !pf.done()) return;
                List<byte[]> ids = new ArrayList<>(pf.chunks.size());
                for (CompletableFuture<byte[]> f : pf.chunks) ids.add(join(f));
                Snapshot.encodeNode(entries, pf.node.withChunks(ids, pf.node.flags(), pf.node.holes()));
            } else if (o instanceof Unchanged u) {
                EntryMeta m = u.meta;
                Snapshot.encodeEntryStart(entries, Snapshot.Type.FILE, m.path(), m.mode(), m.uid(), m.gid(), m.user(), m.group(),
                        m.mtimeNs(), m.ctimeNs(), m.inode(), m.device(), m.size(), m.xattrs());
                entries.u8(0);
                parent.copyTail(u.old, entries);
            } else {
                Snapshot.encodeNode(entries, (Snapshot.Node) o);
            }
            entryCount++;
            queue.poll();
        }
    }

    /** The parent's entry at {@code path} (the last lookup is kept: xattrs and file ask in turn). */
    private ParentEntries.Entry lookup(String path) {
        if (parent == null) return null;
        if (!path.equals(lastLookup)) {
            lastLookup = path;
            lastEntry = parent.get(path);
        }
        return lastEntry;
    }

    // ---- EntrySink ----

    private Snapshot.Node node(Snapshot.Type type, EntryMeta m, long size, byte[] target) {
        return new Snapshot.Node(type, m.path(), m.mode(), m.uid(), m.gid(), m.user(), m.group(), m.mtimeNs(), m.ctimeNs(),
                m.inode(), m.device(), size, m.xattrs(), 0, new long[0], List.of(), target);
    }

    @Override
    public void directory(EntryMeta meta) throws IOException {
        dirs++;
        add(node(Snapshot.Type.DIR, meta, 0, null));
    }

    @Override
    public void symlink(EntryMeta meta, byte[] target) throws IOException {
        files++;
        add(node(Snapshot.Type.SYMLINK, meta, target.length, target));
    }

    @Override
    public void hardLink(EntryMeta meta, String targetPath) throws IOException {
        files++;
        add(node(Snapshot.Type.HARDLINK, meta, meta.size(), targetPath.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    }

    @Override
    public void extra(String key, String value) {
        extra.put(key, value);
    }

    @Override
    public Map<String, byte[]> unchangedXattrs(EntryMeta m) {
        ParentEntries.Entry old = lookup(m.path());
        if (old != null && old.size() == m.size() && old.mtimeNs() == m.mtimeNs() && old.ctimeNs() == m.ctimeNs()
                && old.inode() == m.inode()) {
            return parent.xattrs(old);
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
        ParentEntries.Entry old = lookup(meta.path());
        if (old == null && parent != null) {
            // not at this path in the parent: the same file moved (its directory renamed)?
            old = parent.sameFile(meta.device(), meta.inode(), meta.size(), meta.mtimeNs(), meta.ctimeNs());
        }
        if (old != null && old.type() == Snapshot.Type.FILE && old.flags() == 0 && old.size() == meta.size()
                && old.mtimeNs() == meta.mtimeNs() && old.ctimeNs() == meta.ctimeNs() && old.inode() == meta.inode()
                && parent.allKnown(old, repo.index())) {
            filesUnchanged++;
            add(new Unchanged(meta, old));
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
                add(new PendingFile(n, chunks));
                bytes += read - meta.size();
                filesRead++;
                return;
            }
            current = new EntryMeta(current.path(), current.mode(), current.uid(), current.gid(), current.user(), current.group(),
                    mtime, ctime, current.inode(), current.device(), size, current.xattrs());
        }
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
        add(new PendingFile(node, chunks));
    }

    /**
     * The read buffer: room for {@code want} bytes of look-ahead plus one read. It starts at twice
     * the average chunk (most cuts fall there) and grows towards the maximum chunk only while a
     * long chunk needs it; {@link #shrinkBuffer} drops a grown one after the file.
     */
    private byte[] buffer(byte[] buf, int start, int avail, int want) {
        int need = want + READ_SIZE;
        if (buf != null && buf.length >= need) return buf;
        byte[] b = new byte[Math.max(need, lookahead() + READ_SIZE)];
        if (buf != null) System.arraycopy(buf, start, b, 0, avail);
        readBuf = b;
        return b;
    }

    private int lookahead() {
        return Math.min(chunker.max(), 2 * repo.params().chunkAvg());
    }

    private void shrinkBuffer() {
        if (readBuf != null && readBuf.length > lookahead() + READ_SIZE) readBuf = null;
    }

    /** Reads a file through the chunker; returns the bytes read and records 64 KiB-aligned zero blocks as holes. */
    private long readChannel(FileChannel ch, long expected, List<CompletableFuture<byte[]>> chunks, List<Long> holes)
            throws IOException, InterruptedException {
        if (expected >= 0 && expected < chunker.min()) {
            // Small files: one chunk, read into a pooled buffer of its own (no copy).
            byte[] b = pooled((int) expected);
            ByteBuffer bb = ByteBuffer.wrap(b, 0, (int) expected);
            while (bb.hasRemaining() && ch.read(bb) >= 0) {
                // reading
            }
            long extraBytes = 0;
            ByteBuffer probe = ByteBuffer.allocate(1);
            if (ch.read(probe) > 0) extraBytes = 1; // grew while read: reported by the caller's stat
            int n = bb.position();
            if (n > 0) chunks.add(submit(b, n));
            else recycle(b);
            advance(n);
            return n + extraBytes;
        }
        int want = lookahead();
        byte[] buf = buffer(readBuf, 0, 0, want);
        int start = 0, avail = 0;
        long total = 0;
        boolean eof = false;
        long holeStart = -1;
        while (true) {
            while (!eof && avail < want) {
                if (buf.length < want + READ_SIZE) {
                    buf = buffer(buf, start, avail, want);
                    start = 0;
                } else if (start + avail + READ_SIZE > buf.length) {
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
            if (cut == avail && !eof && avail < chunker.max()) {
                // no cut in what is buffered: the chunk is longer, look further (rare: cuts depend only on the bytes before them)
                want = Math.min(chunker.max(), want * 2);
                continue;
            }
            chunks.add(submit(copyChunk(buf, start, cut), cut));
            start += cut;
            avail -= cut;
            total += cut;
            advance(cut);
            want = lookahead();
        }
        shrinkBuffer();
        if (holeStart >= 0) {
            holes.add(holeStart);
            holes.add(total - holeStart);
        }
        return total;
    }

    private long readStream(InputStream in, List<CompletableFuture<byte[]>> chunks) throws IOException, InterruptedException {
        int want = lookahead();
        byte[] buf = buffer(readBuf, 0, 0, want);
        int start = 0, avail = 0;
        long total = 0;
        boolean eof = false;
        while (true) {
            while (!eof && avail < want) {
                if (buf.length < want + READ_SIZE) {
                    buf = buffer(buf, start, avail, want);
                    start = 0;
                } else if (start + avail + READ_SIZE > buf.length) {
                    System.arraycopy(buf, start, buf, 0, avail);
                    start = 0;
                }
                int r = in.read(buf, start + avail, Math.min(READ_SIZE, buf.length - start - avail));
                if (r < 0) eof = true;
                else avail += r;
            }
            if (avail == 0) break;
            int cut = chunker.cut(buf, start, avail);
            if (cut == avail && !eof && avail < chunker.max()) {
                want = Math.min(chunker.max(), want * 2);
                continue;
            }
            chunks.add(submit(copyChunk(buf, start, cut), cut));
            start += cut;
            avail -= cut;
            total += cut;
            advance(cut);
            want = lookahead();
        }
        shrinkBuffer();
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
    /**
     * A copy of a chunk for the sealing workers, in a pooled buffer when it fits one (chunks are
     * mostly near the average size): a backup then allocates no chunk-sized garbage.
     */
    private byte[] copyChunk(byte[] buf, int start, int len) {
        byte[] b = pooled(len);
        System.arraycopy(buf, start, b, 0, len);
        return b;
    }

    /** A buffer of at least {@code len} bytes: pooled in size classes (64 KiB, the chunk minimum, twice the average), or new. */
    private byte[] pooled(int len) {
        for (int c = 0; c < poolSizes.length; c++) {
            if (len <= poolSizes[c]) {
                byte[] b = pools.get(c).poll();
                if (b == null) return new byte[poolSizes[c]];
                pooledBytes.addAndGet(c, -b.length);
                return b;
            }
        }
        return new byte[len];
    }

    private int poolClass(byte[] b) {
        for (int c = 0; c < poolSizes.length; c++) if (b.length == poolSizes[c]) return c;
        return -1;
    }

    private void recycle(byte[] chunk) {
        int c = poolClass(chunk);
        // each class keeps at most what the in-flight bound lets be in use at once
        if (c < 0) return;
        if (pooledBytes.addAndGet(c, chunk.length) > inFlightBytes) {
            pooledBytes.addAndGet(c, -chunk.length);
            return;
        }
        pools.get(c).offer(chunk);
    }

    private CompletableFuture<byte[]> submit(byte[] chunk, int len) throws InterruptedException, IOException {
        checkFailure();
        // a pooled buffer holds its whole size in flight, not only the chunk's length
        int permits = Math.min(poolClass(chunk) >= 0 ? chunk.length : len, inFlightBytes);
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
                    recycle(chunk);
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
