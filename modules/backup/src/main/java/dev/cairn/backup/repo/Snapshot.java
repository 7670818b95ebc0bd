package dev.cairn.backup.repo;

import dev.cairn.backup.BackupErrors;

import com.github.luben.zstd.Zstd;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A snapshot manifest: the header (job, time, parent, tags, stats, a source's extra facts) and
 * every entry with all its metadata (docs/backup-format.md, "Snapshot manifests"). Immutable.
 */
public record Snapshot(Header header, List<Node> nodes) {

    public static final String AAD = "cairn-snapshot";
    static final int MAX_PATH = 1 << 16;
    static final int MAX_ENTRIES = 1 << 26;
    static final int MAX_XATTR = 1 << 20;

    /** What a snapshot is, without its entries. */
    public record Header(String job, String host, long timeNs, String parent, boolean partial, List<String> tags,
                         List<String> paths, Map<String, String> extra, List<String> problems,
                         long files, long dirs, long bytes, long addedBytes) {
        public java.time.Instant time() {
            return java.time.Instant.ofEpochSecond(Math.floorDiv(timeNs, 1_000_000_000L), Math.floorMod(timeNs, 1_000_000_000L));
        }
    }

    /** Entry kinds; FIFOs and devices are never stored (the source reports them as skipped). */
    public enum Type {
        DIR(1), FILE(2), SYMLINK(3), HARDLINK(4);

        final int code;

        Type(int code) {
            this.code = code;
        }

        static Type of(int code) {
            for (Type t : values()) if (t.code == code) return t;
            throw new Wire.FormatException("unknown entry type " + code);
        }
    }

    /** File flag: the file changed while it was read (its content may mix two versions). */
    public static final int CHANGED_WHILE_READ = 1;

    /**
     * One entry. {@code holes} are (offset, length) pairs of a sparse file; {@code chunks} the
     * blob ids of the file's bytes; {@code target} a symlink's target bytes or a hard link's
     * earlier path (UTF-8).
     */
    public record Node(Type type, String path, int mode, int uid, int gid, String user, String group, long mtimeNs,
                       long ctimeNs, long inode, long device, long size, Map<String, byte[]> xattrs, int flags,
                       long[] holes, List<byte[]> chunks, byte[] target) {

        public Node withChunks(List<byte[]> c, int newFlags, long[] newHoles) {
            return new Node(type, path, mode, uid, gid, user, group, mtimeNs, ctimeNs, inode, device, size, xattrs, newFlags, newHoles, c, target);
        }
    }

    public byte[] encode() {
        Wire.Out o = new Wire.Out(4096 + nodes.size() * 96);
        for (Node n : nodes) encodeNode(o, n);
        return encode(header, nodes.size(), o);
    }

    /**
     * The compressed manifest of {@code header} and {@code count} entries already encoded into
     * {@code entries} (by {@link #encodeNode} or {@link #encodeEntryStart}), in order.
     */
    public static byte[] encode(Header h, int count, Wire.Out entries) {
        Wire.Out o = new Wire.Out(4096 + entries.size());
        o.raw("CAIRNSNP".getBytes(java.nio.charset.StandardCharsets.US_ASCII)).u16(1);
        o.str(h.job).str(h.host).svarint(h.timeNs).str(h.parent == null ? "" : h.parent).u8(h.partial ? 1 : 0);
        strings(o, h.tags);
        strings(o, h.paths);
        o.varint(h.extra.size());
        h.extra.forEach((k, v) -> o.str(k).str(v));
        strings(o, h.problems);
        o.varint(h.files).varint(h.dirs).varint(h.bytes).varint(h.addedBytes).varint(count);
        entries.writeTo(o);
        // compressed straight from the buffer: no copy of a manifest of many MB
        byte[] dst = new byte[(int) Zstd.compressBound(o.size())];
        long z = Zstd.compressByteArray(dst, 0, dst.length, o.array(), 0, o.size(), 3);
        if (Zstd.isError(z)) throw new IllegalStateException("zstd: " + Zstd.getErrorName(z));
        return java.util.Arrays.copyOf(dst, (int) z);
    }

    /** Appends one entry. */
    public static void encodeNode(Wire.Out o, Node n) {
        encodeEntryStart(o, n.type, n.path, n.mode, n.uid, n.gid, n.user, n.group, n.mtimeNs, n.ctimeNs, n.inode, n.device, n.size, n.xattrs);
        switch (n.type) {
            case FILE -> {
                o.u8(n.flags);
                o.varint(n.holes.length / 2);
                for (long x : n.holes) o.varint(x);
                o.varint(n.chunks.size());
                for (byte[] c : n.chunks) o.raw(c);
            }
            case SYMLINK, HARDLINK -> o.bytes(n.target);
            case DIR -> {
            }
        }
    }

    /** Appends an entry's common fields; the caller appends what its type adds (a file: flags, holes, chunks). */
    public static void encodeEntryStart(Wire.Out o, Type type, String path, int mode, int uid, int gid, String user, String group,
                                        long mtimeNs, long ctimeNs, long inode, long device, long size, Map<String, byte[]> xattrs) {
        o.u8(type.code).str(path).varint(mode & 0xFFFFFFFFL).varint(uid & 0xFFFFFFFFL).varint(gid & 0xFFFFFFFFL)
                .str(user).str(group).svarint(mtimeNs).svarint(ctimeNs).varint(inode).varint(device).varint(size);
        o.varint(xattrs.size());
        xattrs.forEach((k, v) -> o.str(k).bytes(v));
    }

    private static void strings(Wire.Out o, List<String> l) {
        o.varint(l.size());
        for (String s : l) o.str(s);
    }

    private static List<String> strings(Wire.In in) {
        int n = in.count(1 << 16);
        List<String> l = new ArrayList<>(n);
        for (int i = 0; i < n; i++) l.add(in.str(MAX_PATH));
        return l;
    }

    /** Decodes an authenticated manifest; bounded by its own size whatever it claims. */
    public static Snapshot decode(byte[] compressed) {
        return decode(compressed, false);
    }

    /** Only the header (listing snapshots): the entries are not parsed. */
    public static Header decodeHeader(byte[] compressed) {
        return decode(compressed, true).header();
    }

    /** The plaintext of an authenticated manifest (bounded by its frame's stated size). */
    static byte[] decompress(byte[] compressed) {
        long size = Zstd.getFrameContentSize(compressed);
        if (size < 0 || size > (1L << 31) - 16) throw new Wire.FormatException("manifest frame size unknown or too large");
        return Zstd.decompress(compressed, (int) size);
    }

    private static Snapshot decode(byte[] compressed, boolean headerOnly) {
        Wire.In in = new Wire.In(decompress(compressed));
        Header h = decodeHeader(in);
        if (headerOnly) return new Snapshot(h, List.of());
        return new Snapshot(h, decodeEntries(in));
    }

    /** Reads the magic, version and header; {@code in} is left at the entry count. */
    static Header decodeHeader(Wire.In in) {
        in.magic("CAIRNSNP");
        int version = in.u16();
        if (version != 1) throw new Wire.FormatException(BackupErrors.NEWER_FORMAT.id() + " manifest version " + version + " is newer than this Cairn");
        String job = in.str(4096), host = in.str(4096);
        long time = in.svarint();
        String parent = in.str(128);
        boolean partial = in.u8() != 0;
        List<String> tags = strings(in), paths = strings(in);
        int ne = in.count(1 << 16);
        Map<String, String> extra = new LinkedHashMap<>();
        for (int i = 0; i < ne; i++) extra.put(in.str(MAX_PATH), in.str(1 << 20));
        List<String> problems = strings(in);
        return new Header(job, host, time, parent.isEmpty() ? null : parent, partial, tags, paths, extra, problems,
                in.varint(), in.varint(), in.varint(), in.varint());
    }

    private static List<Node> decodeEntries(Wire.In in) {
        int count = in.count(Math.min(MAX_ENTRIES, in.remaining()));
        List<Node> nodes = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            Type t = Type.of(in.u8());
            String path = in.str(MAX_PATH);
            int mode = (int) in.varint(), uid = (int) in.varint(), gid = (int) in.varint();
            String user = in.str(256), group = in.str(256);
            long mtime = in.svarint(), ctime = in.svarint(), inode = in.varint(), dev = in.varint(), sz = in.varint();
            int nx = in.count(1 << 12);
            Map<String, byte[]> xattrs = nx == 0 ? Map.of() : new LinkedHashMap<>();
            for (int k = 0; k < nx; k++) xattrs.put(in.str(256), in.bytes(MAX_XATTR));
            int flags = 0;
            long[] holes = new long[0];
            List<byte[]> chunks = List.of();
            byte[] target = null;
            if (t == Type.FILE) {
                flags = in.u8();
                int nh = in.count(in.remaining());
                holes = new long[nh * 2];
                for (int k = 0; k < holes.length; k++) holes[k] = in.varint();
                int nc = in.count(in.remaining() / 32);
                chunks = new ArrayList<>(nc);
                for (int k = 0; k < nc; k++) chunks.add(in.raw(32));
            } else if (t != Type.DIR) {
                target = in.bytes(MAX_PATH);
            }
            nodes.add(new Node(t, path, mode, uid, gid, user, group, mtime, ctime, inode, dev, sz, xattrs, flags, holes, chunks, target));
        }
        return nodes;
    }
}
