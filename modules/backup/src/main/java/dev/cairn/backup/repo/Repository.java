package dev.cairn.backup.repo;

import dev.cairn.backup.BackupErrors;

import com.github.luben.zstd.Zstd;
import dev.cairn.backup.store.Store;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * An open repository: the store, the keys, the repository config and the index of every blob.
 * Reads authenticate before parsing; writes only create objects. Thread-safe.
 */
public final class Repository implements AutoCloseable {

    public static final int VERSION = 1;
    public static final int DEFAULT_MIN = 512 * 1024;
    public static final int DEFAULT_AVG = 1024 * 1024;
    public static final int DEFAULT_MAX = 8 * 1024 * 1024;
    public static final int DEFAULT_PACK = 16 * 1024 * 1024;
    static final String CONFIG_AAD = "cairn-config";
    public static final String INDEX_AAD = "cairn-index";

    private final Store store;
    private final Crypto crypto;
    private final Params params;
    private final byte[] master;
    private volatile BlobIndex index = new BlobIndex(1024);
    private final Set<String> indexFiles = java.util.concurrent.ConcurrentHashMap.newKeySet();
    /** Headers of snapshots read so far: manifests are immutable and named by their hash. */
    private final java.util.Map<String, Snapshot.Header> headers = new java.util.concurrent.ConcurrentHashMap<>();

    /** The repository config: chunker and pack parameters. */
    public record Params(byte[] repoId, int chunkMin, int chunkAvg, int chunkMax, int packTarget) {
        public static Params defaults() {
            return new Params(Crypto.random(16), DEFAULT_MIN, DEFAULT_AVG, DEFAULT_MAX, DEFAULT_PACK);
        }
    }

    private Repository(Store store, byte[] master, Params params) {
        this.store = store;
        this.master = master;
        this.crypto = new Crypto(master);
        this.params = params;
    }

    /** Thrown when a repository cannot be opened (missing, wrong key, newer format). */
    public static final class OpenException extends IOException {
        private static final long serialVersionUID = 1L;

        public OpenException(String message) {
            super(message);
        }
    }

    public static boolean exists(Store store) throws IOException {
        return !store.list("config").isEmpty();
    }

    /** Creates a repository; refuses if one exists there. */
    public static Repository init(Store store, RepoKey key, Params params) throws IOException {
        if (exists(store)) throw new OpenException(BackupErrors.REPOSITORY_EXISTS.id() + " a repository already exists at " + store.describe());
        byte[] master = Crypto.random(32);
        Repository r = new Repository(store, master, params);
        store.putIfAbsent("keys/" + Wire.hex(Crypto.random(16)), key.wrap(master));
        Wire.Out o = new Wire.Out(64);
        o.raw("CAIRNREP".getBytes(java.nio.charset.StandardCharsets.US_ASCII)).u16(VERSION).raw(params.repoId)
                .u32(params.chunkMin).u32(params.chunkAvg).u32(params.chunkMax).u32(params.packTarget).u8(1);
        byte[] config = r.crypto.seal(o.toByteArray(), CONFIG_AAD);
        // false also when a retried PUT finds its own first attempt stored: compare before giving up
        if (!store.putIfAbsent("config", config) && !Arrays.equals(store.get("config"), config)) {
            throw new OpenException(BackupErrors.REPOSITORY_EXISTS.id() + " a repository was created at " + store.describe() + " at the same time");
        }
        return r;
    }

    /** Opens with a key that one of the key slots accepts, and loads the index. */
    public static Repository open(Store store, RepoKey key) throws IOException {
        byte[] sealedConfig;
        try {
            sealedConfig = store.get("config");
        } catch (NoSuchFileException e) {
            throw new OpenException(BackupErrors.NO_REPOSITORY.id() + " no repository at " + store.describe() + " (create it with cairn backup init, or set create: true)");
        }
        List<Store.StoreObject> slots = store.list("keys/");
        byte[] master = null;
        for (Store.StoreObject s : slots) {
            master = key.unwrap(store.get(s.name()));
            if (master != null) break;
        }
        if (master == null) {
            throw new OpenException(BackupErrors.WRONG_KEY.id() + " wrong key: none of the " + slots.size() + " key slots of "
                    + store.describe() + " opens with this " + key.label());
        }
        Crypto c = new Crypto(master);
        Wire.In in = new Wire.In(c.open(sealedConfig, CONFIG_AAD));
        in.magic("CAIRNREP");
        int version = in.u16();
        if (version > VERSION) {
            throw new OpenException(BackupErrors.NEWER_FORMAT.id() + " repository format " + version + " is newer than this Cairn (" + VERSION + ")");
        }
        Params p = new Params(in.raw(16), (int) in.u32(), (int) in.u32(), (int) in.u32(), (int) in.u32());
        Repository r = new Repository(store, master, p);
        r.loadIndex();
        return r;
    }

    public Store store() {
        return store;
    }

    public Crypto crypto() {
        return crypto;
    }

    public Params params() {
        return params;
    }

    public BlobIndex index() {
        return index;
    }

    public Chunker chunker() {
        return new Chunker(crypto.gearTable(), params.chunkMin, params.chunkAvg, params.chunkMax);
    }

    // ---- keys ----

    public String addKey(RepoKey key) throws IOException {
        String id = Wire.hex(Crypto.random(16));
        store.putIfAbsent("keys/" + id, key.wrap(master));
        return id;
    }

    public List<String> keySlots() throws IOException {
        List<String> out = new ArrayList<>();
        for (Store.StoreObject o : store.list("keys/")) out.add(o.name().substring(5));
        out.sort(null);
        return out;
    }

    /** Removes a slot; refuses to remove the last one (the repository would be lost). */
    public void removeKey(String slot) throws IOException {
        List<String> slots = keySlots();
        if (!slots.contains(slot)) throw new IOException(BackupErrors.KEY_SLOT.id() + " no key slot " + slot);
        if (slots.size() == 1) throw new IOException(BackupErrors.KEY_SLOT.id() + " refusing to remove the last key slot");
        store.delete("keys/" + slot);
    }

    // ---- index ----

    /**
     * Reloads the index only when the store's index files are not exactly the ones loaded (another
     * writer added some, or one was damaged and skipped): a backup right after {@link #open} reads
     * them once, not twice.
     */
    public synchronized List<String> refreshIndex() throws IOException {
        List<Store.StoreObject> files = store.list("index/");
        Set<String> names = new HashSet<>();
        for (Store.StoreObject f : files) names.add(f.name());
        if (!names.isEmpty() && names.equals(indexFiles)) return List.of();
        return loadIndex(files);
    }

    /** (Re)loads every index file; damaged ones are reported to {@code problems} and skipped. */
    public synchronized List<String> loadIndex() throws IOException {
        return loadIndex(store.list("index/"));
    }

    /**
     * Index files whose checked plaintext is kept between counting and filling the table, up to
     * this share of the heap; files beyond it are read again (a repository of millions of blobs
     * opens in a small heap; a usual one reads each file once).
     */
    private static final long HOLD_HEAP_SHARE = 16;

    private List<String> loadIndex(List<Store.StoreObject> files) throws IOException {
        List<String> problems = new ArrayList<>();
        indexFiles.clear();
        long budget = Runtime.getRuntime().maxMemory() / HOLD_HEAP_SHARE;
        long held = 0, blobs = 0;
        List<IndexFile> parsed = new ArrayList<>();
        List<String> again = new ArrayList<>();
        for (Store.StoreObject f : files) {
            IndexFile x = readIndexFile(f.name(), problems);
            if (x == null) continue;
            blobs += x.blobs();
            if (held + x.bytes() <= budget) {
                parsed.add(x);
                held += x.bytes();
            } else {
                again.add(f.name());
            }
        }
        // sized once from what the files hold: no growth while loading (README: bytes per chunk)
        long expected = 1024 + blobs + blobs / 16;
        if (!parsed.isEmpty() && BlobIndex.bytesFor(expected) + held > Runtime.getRuntime().maxMemory() * 3 / 4) {
            // the table nearly fills the heap: read those files again rather than hold them beside it
            List<String> all = new ArrayList<>();
            for (IndexFile x : parsed) all.add(x.name);
            all.addAll(again);
            again = all;
            parsed = new ArrayList<>();
        }
        BlobIndex fresh = new BlobIndex((int) Math.min(Integer.MAX_VALUE / 8, expected));
        for (IndexFile x : parsed) {
            x.addTo(fresh);
            indexFiles.add(x.name);
        }
        parsed = null;
        for (String name : again) {
            IndexFile x = readIndexFile(name, problems);
            if (x == null) continue;
            x.addTo(fresh);
            indexFiles.add(name);
        }
        index = fresh;
        return problems;
    }

    /** One index file, authenticated and checked, or null when it vanished or is damaged (reported). */
    private IndexFile readIndexFile(String name, List<String> problems) throws IOException {
        try {
            return parseIndexFile(name);
        } catch (NoSuchFileException gone) {
            return null; // removed by a concurrent prune after listing
        } catch (Crypto.AuthenticationException | Wire.FormatException | com.github.luben.zstd.ZstdException e) {
            problems.add(BackupErrors.INDEX_DAMAGED.id() + " index " + name + " is damaged: " + e.getMessage());
            return null;
        }
    }

    /**
     * Every pack named by the index files (merged by pack), and the index files read. The packs'
     * blobs stay in the index files' plaintext (48 bytes each), decoded one pack at a time.
     */
    public record IndexContents(java.util.Map<String, IndexedPack> packs, List<String> files, List<String> problems) {
    }

    public IndexContents readIndexContents() throws IOException {
        java.util.Map<String, IndexedPack> packs = new java.util.LinkedHashMap<>();
        List<String> files = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        for (Store.StoreObject f : store.list("index/")) {
            IndexFile x = readIndexFile(f.name(), problems);
            if (x == null) continue;
            for (int k = 0; k < x.packs(); k++) {
                IndexedPack p = x.pack(k);
                packs.merge(Wire.hex(p.id()), p, (a, b) -> a.count() >= b.count() ? a : b);
            }
            files.add(f.name());
        }
        return new IndexContents(packs, files, problems);
    }

    /** Reads, authenticates, decompresses and checks one index file in full before anything uses it. */
    private IndexFile parseIndexFile(String name) throws IOException {
        byte[] sealed = store.get(name);
        if (!Wire.hex(Crypto.sha256(sealed)).equals(name.substring(name.indexOf('/') + 1))) {
            throw new Wire.FormatException("content does not match its name");
        }
        byte[] z = crypto.open(sealed, INDEX_AAD);
        sealed = null;
        long size = Zstd.getFrameContentSize(z);
        if (size < 0 || size > Integer.MAX_VALUE - 16) throw new Wire.FormatException("bad frame");
        byte[] plain = Zstd.decompress(z, (int) size);
        z = null;
        Wire.In in = new Wire.In(plain);
        in.magic("CAIRNIDX");
        if (in.u16() != 1) throw new Wire.FormatException("unknown index version");
        int packs = u32count(in, in.remaining() / 44);
        int[] at = new int[packs];
        long blobs = 0;
        for (int i = 0; i < packs; i++) {
            at[i] = in.position();
            in.skip(32);
            in.u64();
            int n = u32count(in, in.remaining() / IndexedPack.ENTRY);
            for (int k = 0; k < n; k++) {
                in.skip(32);
                in.u64();
                if (in.u32() > Integer.MAX_VALUE || in.u32() > Integer.MAX_VALUE) throw new Wire.FormatException("blob length out of range");
            }
            blobs += n;
        }
        return new IndexFile(name, plain, at, blobs);
    }

    /** A checked index file's plaintext and where each pack's part starts: no object per blob. */
    private static final class IndexFile {
        final String name;
        private final byte[] plain;
        private final int[] packAt;
        private final long blobs;

        IndexFile(String name, byte[] plain, int[] packAt, long blobs) {
            this.name = name;
            this.plain = plain;
            this.packAt = packAt;
            this.blobs = blobs;
        }

        long blobs() {
            return blobs;
        }

        long bytes() {
            return plain.length + 4L * packAt.length;
        }

        int packs() {
            return packAt.length;
        }

        IndexedPack pack(int k) {
            int a = packAt[k];
            return new IndexedPack(Arrays.copyOfRange(plain, a, a + 32), Wire.readU64(plain, a + 32), plain, a + 44, (int) Wire.readU32(plain, a + 40));
        }

        void addTo(BlobIndex idx) {
            for (int k = 0; k < packAt.length; k++) pack(k).addTo(idx);
        }
    }

    /**
     * A pack as the index files name it: its id, size and blobs, the blobs kept as they are
     * stored ({@link #ENTRY} bytes each: id, offset, length, raw length) in a shared array.
     * Immutable.
     */
    public static final class IndexedPack {
        static final int ENTRY = 48;
        private final byte[] id;
        private final long size;
        private final byte[] buf;
        private final int at;
        private final int count;

        IndexedPack(byte[] id, long size, byte[] buf, int at, int count) {
            this.id = id;
            this.size = size;
            this.buf = buf;
            this.at = at;
            this.count = count;
        }

        /** The compact form of {@code p} (its entries encoded once). */
        public static IndexedPack of(PackInfo p) {
            return of(p.id(), p.size(), p.entries());
        }

        public static IndexedPack of(byte[] id, long size, List<Pack.Entry> entries) {
            Wire.Out o = new Wire.Out(entries.size() * ENTRY);
            for (Pack.Entry e : entries) o.raw(e.id()).u64(e.offset()).u32(e.length()).u32(e.rawLength());
            return new IndexedPack(id.clone(), size, o.toByteArray(), 0, entries.size());
        }

        public byte[] id() {
            return id;
        }

        public long size() {
            return size;
        }

        public int count() {
            return count;
        }

        /** The pack's blobs, decoded now (objects for this pack only). */
        public List<Pack.Entry> entries() {
            List<Pack.Entry> out = new ArrayList<>(count);
            for (int k = 0; k < count; k++) out.add(entry(k));
            return out;
        }

        public Pack.Entry entry(int k) {
            int a = at + k * ENTRY;
            return new Pack.Entry(Arrays.copyOfRange(buf, a, a + 32), Wire.readU64(buf, a + 32), (int) Wire.readU32(buf, a + 40), (int) Wire.readU32(buf, a + 44));
        }

        void addTo(BlobIndex idx) {
            int pn = idx.packNumber(id, size);
            for (int k = 0; k < count; k++) {
                int a = at + k * ENTRY;
                idx.add(buf, a, pn, Wire.readU64(buf, a + 32), (int) Wire.readU32(buf, a + 40), (int) Wire.readU32(buf, a + 44));
            }
        }

        void encode(Wire.Out o) {
            o.raw(id).u64(size).u32(count).raw(buf, at, count * ENTRY);
        }
    }

    private static int u32count(Wire.In in, int max) {
        long n = in.u32();
        if (n > max) throw new Wire.FormatException("count " + n + " exceeds what the object holds");
        return (int) n;
    }

    public Set<String> indexFiles() {
        return new HashSet<>(indexFiles);
    }

    /** A pack that is stored and indexed: its id, size and blobs. */
    public record PackInfo(byte[] id, long size, List<Pack.Entry> entries) {
    }

    /** Writes one index file naming {@code packs}, and adds them to the in-memory index. */
    public String writeIndex(List<PackInfo> packs) throws IOException {
        List<IndexedPack> compact = new ArrayList<>(packs.size());
        for (PackInfo p : packs) compact.add(IndexedPack.of(p));
        return writeIndexFile(compact);
    }

    /** At most this many blobs per index file written by {@link #writeIndexes}: each file is read whole. */
    static final int INDEX_FILE_BLOBS = 1 << 18;

    /**
     * Writes index files naming {@code packs}, at most {@link #INDEX_FILE_BLOBS} blobs each (prune
     * and repair name every pack), and adds them to the in-memory index; returns their names.
     */
    public List<String> writeIndexes(List<IndexedPack> packs) throws IOException {
        List<String> names = new ArrayList<>();
        List<IndexedPack> part = new ArrayList<>();
        long blobs = 0;
        for (IndexedPack p : packs) {
            if (!part.isEmpty() && blobs + p.count() > INDEX_FILE_BLOBS) {
                names.add(writeIndexFile(part));
                part = new ArrayList<>();
                blobs = 0;
            }
            part.add(p);
            blobs += p.count();
        }
        if (!part.isEmpty() || names.isEmpty()) names.add(writeIndexFile(part));
        return names;
    }

    private String writeIndexFile(List<IndexedPack> packs) throws IOException {
        long bytes = 64;
        for (IndexedPack p : packs) bytes += 44 + (long) p.count() * IndexedPack.ENTRY;
        Wire.Out o = new Wire.Out((int) Math.min(Integer.MAX_VALUE - 16, bytes));
        o.raw("CAIRNIDX".getBytes(java.nio.charset.StandardCharsets.US_ASCII)).u16(1).u32(packs.size());
        for (IndexedPack p : packs) p.encode(o);
        byte[] sealed = crypto.seal(Zstd.compress(o.toByteArray(), 3), INDEX_AAD);
        String name = "index/" + Wire.hex(Crypto.sha256(sealed));
        store.putIfAbsent(name, sealed);
        indexFiles.add(name);
        BlobIndex idx = index;
        for (IndexedPack p : packs) p.addTo(idx);
        return name;
    }

    /** Deletes an index file (prune, repair). */
    public void deleteIndexFile(String name) throws IOException {
        store.delete(name);
        indexFiles.remove(name);
    }

    /**
     * Indexes packs that are stored but named by no index file (a backup killed between its packs
     * and its index), reading each pack's own index, so the next backup reuses them.
     *
     * @return how many packs were adopted
     */
    public int adoptOrphans(int max) throws IOException {
        List<PackInfo> adopted = new ArrayList<>();
        for (Store.StoreObject o : store.list("data/")) {
            if (!o.name().endsWith(".tar")) continue;
            String hex = Pack.hexOf(o.name());
            if (index.hasPack(hex)) continue;
            if (adopted.size() >= max) break;
            try {
                byte[] b = store.get(o.name());
                if (!Wire.hex(Crypto.sha256(b)).equals(hex)) continue; // damaged: left for check and repair
                adopted.add(new PackInfo(Wire.unhex(hex), b.length, Pack.readIndex(crypto, b)));
            } catch (NoSuchFileException | RuntimeException e) {
                // vanished or damaged: not adopted
            }
        }
        if (!adopted.isEmpty()) writeIndex(adopted);
        return adopted.size();
    }

    public void addToIndex(PackInfo p) {
        BlobIndex idx = index;
        int pn = idx.packNumber(p.id, p.size);
        for (Pack.Entry e : p.entries) idx.add(e.id(), pn, e.offset(), e.length(), e.rawLength());
    }

    // ---- blobs ----

    /** Seals a chunk as a blob: zstd when smaller, then AES-GCM with the id as AAD. */
    public byte[] sealBlob(byte[] id, byte[] chunk, int off, int len, int level) {
        byte[] body;
        int enc;
        byte[] src = off == 0 && len == chunk.length ? chunk : Arrays.copyOfRange(chunk, off, off + len);
        byte[] z = level > 0 && len >= 128 ? Zstd.compress(src, level) : null;
        if (z != null && z.length + 1 < len) {
            body = new byte[z.length + 1];
            System.arraycopy(z, 0, body, 1, z.length);
            enc = 1;
        } else {
            body = new byte[len + 1];
            System.arraycopy(chunk, off, body, 1, len);
            enc = 0;
        }
        body[0] = (byte) enc;
        return crypto.seal(body, 0, body.length, id);
    }

    /**
     * One sealing thread's reusable buffers and zstd context, so sealing a chunk allocates nothing
     * of its size. Not thread-safe: one per thread; {@link #close} frees the native context.
     */
    public static final class SealBuffers implements AutoCloseable {
        /** Buffers up to this size are kept between chunks; larger ones (rare maximum-size chunks) are not. */
        private static final int KEEP = 2 * 1024 * 1024 + 4096;
        private byte[] body = new byte[0];
        private byte[] sealed = new byte[0];
        private com.github.luben.zstd.ZstdCompressCtx zstd;
        private int level = -1;

        /** The sealed bytes of the last {@link Repository#sealBlob(byte[], byte[], int, int, int, SealBuffers)}. */
        public byte[] sealed() {
            return sealed;
        }

        byte[] body(int n) {
            if (body.length < n) body = new byte[grown(n)];
            return body;
        }

        byte[] sealedFor(int n) {
            if (sealed.length < n) sealed = new byte[grown(n)];
            return sealed;
        }

        /** Rounded up to 256 KiB (and at least the kept size once past it): few re-allocations. */
        private static int grown(int n) {
            int r = (n + (256 * 1024 - 1)) & ~(256 * 1024 - 1);
            return n <= KEEP ? Math.min(Math.max(r, n), KEEP) : r;
        }

        com.github.luben.zstd.ZstdCompressCtx zstd(int lvl) {
            if (zstd == null) zstd = new com.github.luben.zstd.ZstdCompressCtx();
            if (level != lvl) {
                zstd.setLevel(lvl);
                level = lvl;
            }
            return zstd;
        }

        /** Drops buffers grown beyond the usual chunk size. */
        void trim() {
            if (body.length > KEEP) body = new byte[0];
            if (sealed.length > KEEP) sealed = new byte[0];
        }

        @Override
        public void close() {
            if (zstd != null) zstd.close();
            zstd = null;
        }
    }

    /** Below this a chunk is compressed whole; above, samples decide whether it is worth it. */
    private static final int SAMPLE_FROM = 256 * 1024;
    private static final int SAMPLE = 16 * 1024;

    /**
     * Seals a chunk as {@link #sealBlob(byte[], byte[], int, int, int)} does, into {@code buf}'s
     * reusable buffers ({@link SealBuffers#sealed()}); returns the sealed length. A large chunk
     * whose three 16 KiB samples (start, middle, end) do not compress by 2 % is stored raw
     * without compressing it whole (random data: media, archives, encrypted files).
     */
    public int sealBlob(byte[] id, byte[] chunk, int off, int len, int level, SealBuffers buf) {
        int enc = 0;
        int bodyLen = 0;
        if (level > 0 && len >= 128 && (len < SAMPLE_FROM || worthCompressing(chunk, off, len, level, buf))) {
            byte[] body = buf.body(len);
            try {
                // capacity len - 1: output that is not smaller than the chunk fails fast, stored raw
                int z = buf.zstd(level).compressByteArray(body, 1, len - 1, chunk, off, len);
                if (z + 1 < len) {
                    enc = 1;
                    bodyLen = z + 1;
                }
            } catch (com.github.luben.zstd.ZstdException e) {
                // destination too small: not compressible
            }
        }
        byte[] body;
        if (enc == 0) {
            body = buf.body(len + 1);
            System.arraycopy(chunk, off, body, 1, len);
            bodyLen = len + 1;
        } else {
            body = buf.body(0);
        }
        body[0] = (byte) enc;
        byte[] out = buf.sealedFor(bodyLen + Crypto.OVERHEAD);
        int n = crypto.sealInto(body, 0, bodyLen, id, out);
        return n;
    }

    private static boolean worthCompressing(byte[] chunk, int off, int len, int level, SealBuffers buf) {
        byte[] tmp = buf.body(2 * SAMPLE);
        long in = 0, out = 0;
        for (int at : new int[] {0, len / 2 - SAMPLE / 2, len - SAMPLE}) {
            in += SAMPLE;
            try {
                out += buf.zstd(level).compressByteArray(tmp, 0, tmp.length, chunk, off + at, SAMPLE);
            } catch (com.github.luben.zstd.ZstdException e) {
                out += SAMPLE;
            }
        }
        return out < in * 98 / 100;
    }

    /** Opens a sealed blob and checks that its content hashes to its id (a fresh array). */
    public byte[] openBlob(byte[] id, byte[] sealed, int off, int len, int rawLength) {
        BlobReader r = new BlobReader(this, false);
        r.open(id, sealed, off, len, rawLength);
        return Arrays.copyOfRange(r.data(), r.offset(), r.offset() + r.length());
    }

    /** A blob's plaintext, read from its pack; throws when missing or damaged. */
    public byte[] readBlob(byte[] id) throws IOException {
        BlobReader r = new BlobReader(this, false);
        r.read(id);
        return Arrays.copyOfRange(r.data(), r.offset(), r.offset() + r.length());
    }

    /** A reader with reusable buffers for one thread, for many blobs in pack order (restore workers, check). */
    public BlobReader blobReader() {
        return new BlobReader(this, true);
    }

    // ---- snapshots ----

    public String writeSnapshot(Snapshot s) throws IOException {
        byte[] sealed = crypto.seal(s.encode(), Snapshot.AAD);
        String id = Wire.hex(Crypto.sha256(sealed));
        store.putIfAbsent("snapshots/" + id, sealed);
        headers.put(id, s.header());
        return id;
    }

    /** Stores a manifest already encoded by {@link Snapshot#encode(Snapshot.Header, int, Wire.Out)}; returns its id. */
    public String writeSnapshot(byte[] encoded, Snapshot.Header header) throws IOException {
        byte[] sealed = crypto.seal(encoded, Snapshot.AAD);
        String id = Wire.hex(Crypto.sha256(sealed));
        store.putIfAbsent("snapshots/" + id, sealed);
        headers.put(id, header);
        return id;
    }

    /** A manifest's plaintext (authenticated and decompressed, not parsed). */
    byte[] readSnapshotPlaintext(String id) throws IOException {
        byte[] sealed = store.get("snapshots/" + id);
        if (!Wire.hex(Crypto.sha256(sealed)).equals(id)) {
            throw new Crypto.AuthenticationException("snapshot " + id + " does not match its name");
        }
        return Snapshot.decompress(crypto.open(sealed, Snapshot.AAD));
    }

    public Snapshot readSnapshot(String id) throws IOException {
        byte[] sealed = store.get("snapshots/" + id);
        if (!Wire.hex(Crypto.sha256(sealed)).equals(id)) {
            throw new Crypto.AuthenticationException("snapshot " + id + " does not match its name");
        }
        return Snapshot.decode(crypto.open(sealed, Snapshot.AAD));
    }

    /** A snapshot's header: known since this repository wrote or listed it, else read (and authenticated). */
    public Snapshot.Header snapshotHeader(String id) throws IOException {
        return readHeader(id);
    }

    private Snapshot.Header readHeader(String id) throws IOException {
        Snapshot.Header known = headers.get(id);
        if (known != null) return known;
        byte[] sealed = store.get("snapshots/" + id);
        if (!Wire.hex(Crypto.sha256(sealed)).equals(id)) {
            throw new Crypto.AuthenticationException("snapshot " + id + " does not match its name");
        }
        Snapshot.Header h = Snapshot.decodeHeader(crypto.open(sealed, Snapshot.AAD));
        headers.put(id, h);
        return h;
    }

    /** A snapshot's id and header. */
    public record SnapshotRef(String id, Snapshot.Header header) {
        public String shortId() {
            return id.substring(0, 8);
        }
    }

    /**
     * Every snapshot (oldest first); damaged manifests are reported to {@code problems}, never
     * silently dropped.
     */
    public List<SnapshotRef> snapshots(List<String> problems) throws IOException {
        List<SnapshotRef> out = new ArrayList<>();
        for (Store.StoreObject o : store.list("snapshots/")) {
            String id = o.name().substring("snapshots/".length());
            try {
                out.add(new SnapshotRef(id, readHeader(id)));
            } catch (NoSuchFileException gone) {
                // forgotten meanwhile
            } catch (RuntimeException e) {
                if (problems != null) problems.add(BackupErrors.SNAPSHOT_DAMAGED.id() + " snapshot " + id + " is damaged: " + e.getMessage());
            }
        }
        out.sort(Comparator.comparingLong((SnapshotRef r) -> r.header.timeNs()).thenComparing(SnapshotRef::id));
        return out;
    }

    /** Resolves a snapshot id or unique prefix. */
    public String resolveSnapshot(String prefix) throws IOException {
        List<String> hits = new ArrayList<>();
        for (Store.StoreObject o : store.list("snapshots/")) {
            String id = o.name().substring("snapshots/".length());
            if (id.startsWith(prefix)) hits.add(id);
        }
        if (hits.size() == 1) return hits.get(0);
        throw new IOException(hits.isEmpty() ? BackupErrors.NO_SNAPSHOT.id() + " no snapshot " + prefix : "snapshot prefix " + prefix + " is ambiguous");
    }

    @Override
    public void close() throws IOException {
        store.close();
    }
}
