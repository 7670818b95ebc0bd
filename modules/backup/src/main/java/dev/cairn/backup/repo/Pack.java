package dev.cairn.backup.repo;

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

    /** Collects sealed blobs; not thread-safe (the caller serializes appends). */
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
            Positioned out = new Positioned(Math.toIntExact(Math.min(Integer.MAX_VALUE - 16, bytes + bytes / 16 + 8192)));
            List<Entry> entries = new ArrayList<>(ids.size());
            try (TarArchiveOutputStream tar = new TarArchiveOutputStream(out, 512, StandardCharsets.UTF_8.name())) {
                tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
                tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
                int i = 0;
                while (i < ids.size()) {
                    if (sealed.get(i).length >= SMALL_BLOB) {
                        put(tar, Wire.hex(ids.get(i)), sealed.get(i).length);
                        entries.add(new Entry(ids.get(i), out.position(), sealed.get(i).length, raw.get(i)));
                        tar.write(sealed.get(i));
                        tar.closeArchiveEntry();
                        i++;
                        continue;
                    }
                    int j = i;
                    long group = 0;
                    while (j < ids.size() && sealed.get(j).length < SMALL_BLOB && group < GROUP_TARGET) {
                        group += sealed.get(j).length;
                        j++;
                    }
                    put(tar, "g-" + Wire.hex(ids.get(i)), group);
                    // The tar stream buffers a partial 512-byte block: offsets inside the entry are counted, not read back.
                    long at = out.position();
                    for (int k = i; k < j; k++) {
                        entries.add(new Entry(ids.get(k), at, sealed.get(k).length, raw.get(k)));
                        at += sealed.get(k).length;
                        tar.write(sealed.get(k));
                    }
                    tar.closeArchiveEntry();
                    i = j;
                }
                byte[] index = crypto.seal(encodeIndex(entries), INDEX_AAD);
                put(tar, "index", index.length);
                tar.write(index);
                tar.closeArchiveEntry();
                tar.finish();
            }
            byte[] b = out.buffer();
            return new Built(Crypto.sha256(b, 0, out.position()), b, out.position(), entries);
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

    /** An output stream over a growable array that knows its position. */
    static final class Positioned extends OutputStream {
        private byte[] b;
        private int n;

        Positioned(int capacity) {
            b = new byte[Math.max(4096, capacity)];
        }

        private void ensure(int more) {
            if (n + more > b.length) b = Arrays.copyOf(b, Math.max(b.length * 2, n + more));
        }

        @Override
        public void write(int x) {
            ensure(1);
            b[n++] = (byte) x;
        }

        @Override
        public void write(byte[] src, int off, int len) {
            ensure(len);
            System.arraycopy(src, off, b, n, len);
            n += len;
        }

        int position() {
            return n;
        }

        byte[] buffer() {
            return b;
        }
    }
}
