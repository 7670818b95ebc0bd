package dev.cairn.backup.repo;

import dev.cairn.backup.store.Store;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * Pack files: PAX tar archives of sealed blobs ending with their own sealed index
 * (docs/backup-format.md, "Packs"). {@link Builder} collects blobs in memory and writes the tar in
 * one go so every entry's size is known before its header; {@link #readIndex} rebuilds a pack's
 * index from the pack alone.
 */
public final class Pack {

    public static final String INDEX_AAD = "cairn-pack-index";
    static final int SMALL_BLOB = 64 * 1024;
    static final int GROUP_TARGET = 1 << 20;

    private Pack() {
    }

    /** One blob of a pack: where its sealed bytes are in the pack file. */
    public record Entry(byte[] id, long offset, int length, int rawLength) {
    }

    /** A finished pack: its id (SHA-256 of the bytes), the bytes, and its blobs. */
    public record Built(byte[] id, byte[] bytes, int size, List<Entry> entries) {
        public String name() {
            return objectName(Wire.hex(id));
        }
    }

    public static String objectName(String hex) {
        return "data/" + hex.substring(0, 2) + "/" + hex + ".tar";
    }

    public static String hexOf(String objectName) {
        String n = objectName.substring(objectName.lastIndexOf('/') + 1);
        return n.endsWith(".tar") ? n.substring(0, n.length() - 4) : n;
    }

    /**
     * Collects sealed blobs in memory and writes the pack in one go (prune's repacking); the same
     * layout as {@link Writer}. Not thread-safe.
     */
    public static final class Builder {
        private final List<byte[]> ids = new ArrayList<>();
        private final List<byte[]> sealed = new ArrayList<>();
        private final List<Integer> raw = new ArrayList<>();
        private long bytes;

        public void add(byte[] id, byte[] sealedBlob, int rawLength) {
            ids.add(id);
            sealed.add(sealedBlob);
            raw.add(rawLength);
            bytes += sealedBlob.length + 64;
        }

        public long bytes() {
            return bytes;
        }

        public int count() {
            return ids.size();
        }

        public Built build(Crypto crypto) throws IOException {
            Store.InMemory mem = new Store.InMemory(null, (int) Math.min(Integer.MAX_VALUE - 16, bytes + bytes / 16 + 8192));
            Writer w = new Writer(mem);
            for (int i = 0; i < ids.size(); i++) w.add(ids.get(i), sealed.get(i), 0, sealed.get(i).length, raw.get(i));
            Written done = w.finish(crypto);
            return new Built(done.id(), mem.buffer(), mem.size(), done.entries());
        }
    }

    /** A pack whose bytes went to a {@link Store.Pending}: its id, size and blobs. */
    public record Written(byte[] id, long size, List<Entry> entries) {
        public String name() {
            return objectName(Wire.hex(id));
        }
    }

    /**
     * Writes a pack as blobs arrive, straight into a {@link Store.Pending} (a local repository's
     * temporary file): no pack is held in memory, only the current group of small blobs (at most
     * about 1 MiB). Large blobs are entries of their own; consecutive small ones are grouped.
     * Not thread-safe (the caller serializes appends).
     */
    public static final class Writer {
        private final Hashing out;
        private final TarArchiveOutputStream tar;
        private final List<Entry> entries = new ArrayList<>();
        private byte[] group = new byte[0];
        private int groupBytes;
        private final List<byte[]> groupIds = new ArrayList<>();
        private final List<int[]> groupLens = new ArrayList<>();
        private long bytes;

        public Writer(Store.Pending sink) {
            out = new Hashing(sink);
            tar = new TarArchiveOutputStream(out, 512, StandardCharsets.UTF_8.name());
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
        }

        /** Appends {@code sealed[off, off+len)}, the sealed blob {@code id} of a {@code rawLength}-byte chunk. */
        public void add(byte[] id, byte[] sealed, int off, int len, int rawLength) throws IOException {
            bytes += len + 64;
            if (len >= SMALL_BLOB) {
                flushGroup();
                put(tar, Wire.hex(id), len);
                entries.add(new Entry(id, out.position(), len, rawLength));
                tar.write(sealed, off, len);
                tar.closeArchiveEntry();
                return;
            }
            if (groupBytes >= GROUP_TARGET) flushGroup();
            if (groupBytes + len > group.length) group = Arrays.copyOf(group, Math.max(groupBytes + len, Math.min(GROUP_TARGET + SMALL_BLOB, Math.max(64 * 1024, group.length * 2))));
            System.arraycopy(sealed, off, group, groupBytes, len);
            groupBytes += len;
            groupIds.add(id);
            groupLens.add(new int[] {len, rawLength});
        }

        private void flushGroup() throws IOException {
            if (groupIds.isEmpty()) return;
            put(tar, "g-" + Wire.hex(groupIds.get(0)), groupBytes);
            // The tar stream buffers a partial 512-byte block: offsets inside the entry are counted, not read back.
            long at = out.position();
            for (int k = 0; k < groupIds.size(); k++) {
                entries.add(new Entry(groupIds.get(k), at, groupLens.get(k)[0], groupLens.get(k)[1]));
                at += groupLens.get(k)[0];
            }
            tar.write(group, 0, groupBytes);
            tar.closeArchiveEntry();
            groupIds.clear();
            groupLens.clear();
            groupBytes = 0;
        }

        /** About how many bytes the pack holds so far. */
        public long bytes() {
            return bytes;
        }

        public int count() {
            return entries.size() + groupIds.size();
        }

        /** Writes the remaining group and the pack's own sealed index, and ends the archive. */
        public Written finish(Crypto crypto) throws IOException {
            flushGroup();
            byte[] index = crypto.seal(encodeIndex(entries), INDEX_AAD);
            put(tar, "index", index.length);
            tar.write(index);
            tar.closeArchiveEntry();
            tar.finish();
            out.flush(); // the tar stream's flush does not reach its target
            group = new byte[0];
            return new Written(out.digest(), out.position(), List.copyOf(entries));
        }
    }

    private static void put(TarArchiveOutputStream tar, String name, long size) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(name, TarArchiveEntry.LF_NORMAL, true);
        e.setSize(size);
        e.setMode(0100600);
        e.setModTime(FileTime.fromMillis(0));
        e.setUserId(0);
        e.setGroupId(0);
        tar.putArchiveEntry(e);
    }

    /** Counts and hashes (SHA-256: the pack id) what the tar stream writes, and passes it on. */
    private static final class Hashing extends OutputStream {
        private final Store.Pending sink;
        private final java.security.MessageDigest sha;
        private final byte[] buf = new byte[256 * 1024];
        private int buffered;
        private long n;

        Hashing(Store.Pending sink) {
            this.sink = sink;
            try {
                sha = java.security.MessageDigest.getInstance("SHA-256");
            } catch (java.security.NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public void write(int x) throws IOException {
            write(new byte[] {(byte) x}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            sha.update(b, off, len);
            n += len;
            // The tar stream writes 512-byte blocks: gathered into writes of 256 KiB, never larger
            // (the JDK copies a heap array into a per-thread direct buffer of its size and keeps it).
            while (len > 0) {
                int k = Math.min(len, buf.length - buffered);
                System.arraycopy(b, off, buf, buffered, k);
                buffered += k;
                off += k;
                len -= k;
                if (buffered == buf.length) flush();
            }
        }

        @Override
        public void flush() throws IOException {
            if (buffered > 0) sink.write(buf, 0, buffered);
            buffered = 0;
        }

        long position() {
            return n;
        }

        byte[] digest() {
            return sha.digest();
        }
    }

    static byte[] encodeIndex(List<Entry> entries) {
        Wire.Out o = new Wire.Out(4 + entries.size() * 48);
        o.u32(entries.size());
        for (Entry e : entries) o.raw(e.id).u64(e.offset).u32(e.length).u32(e.rawLength);
        return o.toByteArray();
    }

    static List<Entry> decodeIndex(Wire.In in, int count) {
        List<Entry> out = new ArrayList<>(Math.min(count, 1 << 16));
        for (int i = 0; i < count; i++) {
            byte[] id = in.raw(32);
            long off = in.u64();
            long len = in.u32();
            long raw = in.u32();
            if (len > Integer.MAX_VALUE || raw > Integer.MAX_VALUE) throw new Wire.FormatException("blob length out of range");
            out.add(new Entry(id, off, (int) len, (int) raw));
        }
        return out;
    }

    /**
     * The pack's own index, read from the pack's bytes alone (authenticated). Entries whose
     * offsets fall outside the pack are refused.
     */
    public static List<Entry> readIndex(Crypto crypto, byte[] pack) throws IOException {
        try (TarArchiveInputStream tar = new TarArchiveInputStream(new ByteArrayInputStream(pack), 512, StandardCharsets.UTF_8.name())) {
            TarArchiveEntry e;
            while ((e = tar.getNextEntry()) != null) {
                if (!e.getName().equals("index")) continue;
                if (e.getSize() > pack.length) throw new Wire.FormatException("pack index larger than the pack");
                byte[] sealedIndex = tar.readAllBytes();
                Wire.In in = new Wire.In(crypto.open(sealedIndex, INDEX_AAD));
                long n = in.u32();
                if (n > in.remaining() / 48) throw new Wire.FormatException("pack index count out of range");
                List<Entry> entries = decodeIndex(in, (int) n);
                for (Entry x : entries) {
                    if (x.offset < 0 || x.offset + x.length > pack.length) throw new Wire.FormatException("blob outside the pack");
                }
                return entries;
            }
        }
        throw new Wire.FormatException("pack has no index entry");
    }

    /** Single-blob entries by name, for salvaging a pack whose index is damaged. */
    public static List<Entry> scanSingleBlobs(byte[] pack) {
        List<Entry> out = new ArrayList<>();
        try (TarArchiveInputStream tar = new TarArchiveInputStream(new ByteArrayInputStream(pack), 512, StandardCharsets.UTF_8.name())) {
            TarArchiveEntry e;

            while ((e = tar.getNextEntry()) != null) {
                String n = e.getName();
                if (n.length() == 64 && n.chars().allMatch(c -> Character.digit(c, 16) >= 0)) {
                    // The data follows the header (and any PAX header): find it by the bytes read so far.
                    long dataOffset = tar.getBytesRead();
                    out.add(new Entry(Wire.unhex(n), dataOffset, (int) e.getSize(), -1));
                }

            }
        } catch (IOException | RuntimeException e) {
            // a damaged tail: keep what was found before it
        }
        return out;
    }
}
