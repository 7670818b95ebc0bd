package dev.cairn.backup.repo;

import com.github.luben.zstd.Zstd;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.util.Arrays;

/**
 * Reads blobs for one worker into buffers it reuses: a restore of a gigabyte then allocates no
 * gigabytes (before, each blob was three fresh arrays: the sealed bytes, the decrypted body and
 * the plaintext, and the old generation filled with them). Small blobs are served from a window of
 * the pack read in one ranged read, so a run of small files stored side by side costs one read,
 * not one per file (a restore asks for blobs in pack order). Every blob is authenticated, its
 * length checked and its content hashed against its id before {@link #read} returns it.
 * Not thread-safe: one per worker thread. The returned bytes are valid until the next call.
 */
public final class BlobReader {

    /** Blobs up to this size are read through the window. */
    static final int SMALL = 256 * 1024;
    /** One ranged read of a pack for small blobs: 1 MiB (a local pread, one S3 GET). */
    static final int WINDOW = 1024 * 1024;

    private final Repository repo;
    private final boolean windowed;
    private byte[] window = new byte[0];
    private byte[] windowPack;
    private long windowStart;
    private int windowLen;
    private byte[] a = new byte[0];
    private byte[] b = new byte[0];
    private byte[] data;
    private int off;
    private int len;

    /** {@code windowed}: small blobs through the window (a reader of many blobs in pack order). */
    BlobReader(Repository repo, boolean windowed) {
        this.repo = repo;
        this.windowed = windowed;
    }

    /** The array holding the last blob read. */
    public byte[] data() {
        return data;
    }

    /** Where the last blob starts in {@link #data()}. */
    public int offset() {
        return off;
    }

    /** The last blob's length. */
    public int length() {
        return len;
    }

    /** Reads, authenticates and verifies blob {@code id}; throws when missing or damaged. */
    public void read(byte[] id) throws IOException {
        BlobIndex.Location loc = repo.index().get(id);
        if (loc == null) throw new NoSuchFileException("blob " + Wire.hex(id) + " is not in the index");
        int n = loc.length();
        if (windowed && n <= SMALL) {
            if (windowPack == null || !Arrays.equals(windowPack, loc.pack()) || loc.offset() < windowStart
                    || loc.offset() + n > windowStart + windowLen) {
                if (window.length < WINDOW) window = new byte[WINDOW];
                windowPack = null;
                windowLen = repo.store().read(Pack.objectName(loc.packHex()), loc.offset(), window, 0, WINDOW);
                windowStart = loc.offset();
                windowPack = loc.pack();
            }
            if (loc.offset() + n > windowStart + windowLen) throw new IOException("pack " + loc.packHex() + " is truncated");
            open(id, window, (int) (loc.offset() - windowStart), n, loc.rawLength());
        } else {
            a = atLeast(a, n);
            int got = repo.store().read(Pack.objectName(loc.packHex()), loc.offset(), a, 0, n);
            if (got != n) throw new IOException("pack " + loc.packHex() + " is truncated");
            open(id, a, 0, n, loc.rawLength());
        }
    }

    /**
     * Opens the sealed blob at {@code sealed[sOff, sOff+sLen)} ({@code rawLength} from the index,
     * or -1 when unknown) and checks that its content hashes to its id.
     */
    void open(byte[] id, byte[] sealed, int sOff, int sLen, int rawLength) {
        // decrypted into whichever buffer does not hold the input; decompressed into the other
        byte[] body = sealed == b ? (a = atLeast(a, sLen)) : (b = atLeast(b, sLen));
        int bodyLen = repo.crypto().openInto(sealed, sOff, sLen, id, body, 0);
        if (bodyLen == 0) throw new Wire.FormatException("empty blob");
        if (body[0] == 0) {
            data = body;
            off = 1;
            len = bodyLen - 1;
        } else if (body[0] == 1) {
            if (rawLength < 0 || rawLength > Repository.DEFAULT_MAX * 16) throw new Wire.FormatException("blob raw length out of range");
            // the other buffer: it may hold the sealed input, no longer needed once decrypted
            byte[] plain = body == a ? (b = atLeast(b, rawLength)) : (a = atLeast(a, rawLength));
            long r = Zstd.decompressByteArray(plain, 0, rawLength, body, 1, bodyLen - 1);
            if (Zstd.isError(r) || r != rawLength) throw new Wire.FormatException("blob does not decompress to its length");
            data = plain;
            off = 0;
            len = rawLength;
        } else {
            throw new Wire.FormatException("unknown blob encoding " + body[0]);
        }
        if (rawLength >= 0 && len != rawLength) throw new Wire.FormatException("blob length differs from the index");
        if (!Arrays.equals(repo.crypto().blobId(data, off, len), id)) throw new Wire.FormatException("blob content does not match its id");
    }

    private static byte[] atLeast(byte[] buf, int n) {
        if (buf.length >= n) return buf;
        // grown in 64 KiB steps past the need: chunk sizes vary around the average
        return new byte[(int) Math.min(Integer.MAX_VALUE - 16, ((long) n + 0xFFFF) & ~0xFFFFL)];
    }
}
