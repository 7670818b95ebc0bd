package dev.cairn.backup.repo;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The parent snapshot of a backup, kept as its manifest's plaintext with a hash table of entry
 * offsets by path: a few bytes per entry beyond the manifest itself, no object per entry. An
 * unchanged file's holes and chunk ids are copied from here into the new manifest as bytes.
 * Read-only after construction; not thread-safe (the source thread uses it).
 */
final class ParentEntries {

    private final byte[] plain;
    private final Snapshot.Header header;
    private final int[] starts;
    private final int[] table;
    private final int[] byInode;
    private final int mask;

    /** One parsed entry: its metadata, and where its file part lies in the plaintext. */
    record Entry(Snapshot.Type type, long size, long mtimeNs, long ctimeNs, long inode, long device, int xattrsAt, int flags,
                 int tailAt, int tailEnd, int chunksAt, int chunkCount) {
    }

    ParentEntries(byte[] plaintext) {
        this.plain = plaintext;
        Wire.In in = new Wire.In(plaintext);
        header = Snapshot.decodeHeader(in);
        int count = in.count(Math.min(Snapshot.MAX_ENTRIES, in.remaining()));
        starts = new int[count];
        int cap = Integer.highestOneBit(Math.max(16, count * 2 - 1)) << 1;
        table = new int[cap];
        byInode = new int[cap];
        mask = cap - 1;
        for (int i = 0; i < count; i++) {
            starts[i] = in.position();
            int type = in.u8();
            int len = in.count(Snapshot.MAX_PATH);
            int at = in.position();
            in.skip(len);
            int h = hash(plaintext, at, len) & mask;
            while (table[h] != 0) h = (h + 1) & mask;
            table[h] = i + 1;
            Entry e = parse(in, type);
            if (e.type() == Snapshot.Type.FILE && e.inode() != 0) {
                int j = inodeHash(e.device(), e.inode()) & mask;
                while (byInode[j] != 0) j = (j + 1) & mask;
                byInode[j] = i + 1;
            }
        }
    }

    private static int inodeHash(long device, long inode) {
        long x = (inode * 0x9E3779B97F4A7C15L) ^ device;
        return (int) (x ^ (x >>> 32));
    }

    private static int hash(byte[] a, int off, int len) {
        int h = 1;
        for (int i = off; i < off + len; i++) h = 31 * h + a[i];
        return h ^ (h >>> 16);
    }

    Snapshot.Header header() {
        return header;
    }

    /**
     * The file entry with this device and inode whose size, mtime and ctime are also the same, or
     * null: a file whose path changed but not its inode (below a renamed directory: renaming a
     * directory touches neither the inodes nor the ctimes of what is in it).
     */
    Entry sameFile(long device, long inode, long size, long mtimeNs, long ctimeNs) {
        if (inode == 0) return null;
        int j = inodeHash(device, inode) & mask;
        Wire.In in = new Wire.In(plain);
        while (true) {
            int e = byInode[j];
            if (e == 0) return null;
            in.seek(starts[e - 1]);
            int type = in.u8();
            in.skip(in.count(Snapshot.MAX_PATH));
            Entry x = parse(in, type);
            if (x.device() == device && x.inode() == inode && x.size() == size && x.mtimeNs() == mtimeNs && x.ctimeNs() == ctimeNs) return x;
            j = (j + 1) & mask;
        }
    }

    /** The entry at {@code path}, or null. */
    Entry get(String path) {
        byte[] p = path.getBytes(StandardCharsets.UTF_8);
        int h = hash(p, 0, p.length) & mask;
        Wire.In in = new Wire.In(plain);
        while (true) {
            int e = table[h];
            if (e == 0) return null;
            in.seek(starts[e - 1]);
            int type = in.u8();
            int len = in.count(Snapshot.MAX_PATH);
            int at = in.position();
            if (len == p.length && java.util.Arrays.equals(plain, at, at + len, p, 0, len)) {
                in.skip(len);
                return parse(in, type);
            }
            h = (h + 1) & mask;
        }
    }

    private static Entry parse(Wire.In in, int type) {
        for (int k = 0; k < 3; k++) in.varint();
        in.skip(in.count(256));
        in.skip(in.count(256));
        long mtime = in.svarint(), ctime = in.svarint(), inode = in.varint();
        long device = in.varint();
        long size = in.varint();
        int xattrsAt = in.position();
        int nx = in.count(1 << 12);
        for (int k = 0; k < nx; k++) {
            in.skip(in.count(256));
            in.skip(in.count(Snapshot.MAX_XATTR));
        }
        Snapshot.Type t = Snapshot.Type.of(type);
        if (t != Snapshot.Type.FILE) {
            if (t != Snapshot.Type.DIR) in.skip(in.count(Snapshot.MAX_PATH));
            return new Entry(t, size, mtime, ctime, inode, device, xattrsAt, 0, -1, -1, -1, 0);
        }
        int flags = in.u8();
        int tailAt = in.position();
        int nh = in.count(in.remaining());
        for (int k = 0; k < nh * 2; k++) in.varint();
        int nc = in.count(in.remaining() / 32);
        int chunksAt = in.position();
        in.skip(32 * nc);
        return new Entry(t, size, mtime, ctime, inode, device, xattrsAt, flags, tailAt, in.position(), chunksAt, nc);
    }

    /** What {@link #forEachFile} calls per file entry: its path and where its chunk ids are. */
    interface FileChunks {
        void file(String path, byte[] plaintext, int chunksAt, int chunkCount);
    }

    /** Calls {@code v} for every file of a manifest's plaintext, in order, without an object per entry. */
    static void forEachFile(byte[] plaintext, FileChunks v) {
        Wire.In in = new Wire.In(plaintext);
        Snapshot.decodeHeader(in);
        int count = in.count(Math.min(Snapshot.MAX_ENTRIES, in.remaining()));
        for (int i = 0; i < count; i++) {
            int type = in.u8();
            String path = in.str(Snapshot.MAX_PATH);
            Entry e = parse(in, type);
            if (e.type() == Snapshot.Type.FILE) v.file(path, plaintext, e.chunksAt(), e.chunkCount());
        }
    }

    /** The entry's {@code user.*} xattrs. */
    Map<String, byte[]> xattrs(Entry e) {
        Wire.In in = new Wire.In(plain);
        in.seek(e.xattrsAt());
        int nx = in.count(1 << 12);
        if (nx == 0) return Map.of();
        Map<String, byte[]> out = new LinkedHashMap<>();
        for (int k = 0; k < nx; k++) out.put(in.str(256), in.bytes(Snapshot.MAX_XATTR));
        return out;
    }

    /** True when every chunk of the file entry is in {@code index}. */
    boolean allKnown(Entry e, BlobIndex index) {
        for (int k = 0; k < e.chunkCount(); k++) if (!index.contains(plain, e.chunksAt() + 32 * k)) return false;
        return true;
    }

    /** Appends the file entry's holes and chunk ids, as stored, to {@code o}. */
    void copyTail(Entry e, Wire.Out o) {
        o.raw(plain, e.tailAt(), e.tailEnd() - e.tailAt());
    }
}
