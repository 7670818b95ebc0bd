package dev.cairn.backup.repo;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The binary encoding of repository objects (docs/backup-format.md): varints, zig-zag signed
 * varints, length-prefixed strings and byte strings, fixed-width big-endian integers. Readers
 * bound every length by what is left, so hostile input cannot make them allocate without limit.
 */
public final class Wire {

    private Wire() {
    }

    /** The big-endian unsigned 32-bit value at {@code a[off]}. */
    static long readU32(byte[] a, int off) {
        return ((a[off] & 0xFFL) << 24) | ((a[off + 1] & 0xFFL) << 16) | ((a[off + 2] & 0xFFL) << 8) | (a[off + 3] & 0xFFL);
    }

    /** The big-endian 64-bit value at {@code a[off]}. */
    static long readU64(byte[] a, int off) {
        return (readU32(a, off) << 32) | readU32(a, off + 4);
    }

    /**
     * Appends values to a growing buffer. Not thread-safe (nor synchronized: a manifest of many
     * thousand entries is written a byte at a time, and ByteArrayOutputStream locks per byte).
     */
    public static final class Out {
        private byte[] b;
        private int n;

        public Out(int capacity) {
            b = new byte[Math.max(16, capacity)];
        }

        private void ensure(int more) {
            if (more > b.length - n) {
                long want = Math.max((long) b.length * 2, (long) n + more);
                if (want > Integer.MAX_VALUE - 16) {
                    if ((long) n + more > Integer.MAX_VALUE - 16) throw new OutOfMemoryError("encoded object larger than 2 GiB");
                    want = Integer.MAX_VALUE - 16;
                }
                b = Arrays.copyOf(b, (int) want);
            }
        }

        public Out varint(long v) {
            ensure(10);
            while ((v & ~0x7FL) != 0) {
                b[n++] = (byte) ((v & 0x7F) | 0x80);
                v >>>= 7;
            }
            b[n++] = (byte) v;
            return this;
        }

        public Out svarint(long v) {
            return varint((v << 1) ^ (v >> 63));
        }

        public Out bytes(byte[] v) {
            varint(v.length);
            return raw(v, 0, v.length);
        }

        public Out str(String s) {
            return bytes((s == null ? "" : s).getBytes(StandardCharsets.UTF_8));
        }

        public Out raw(byte[] v) {
            return raw(v, 0, v.length);
        }

        public Out u8(int v) {
            ensure(1);
            b[n++] = (byte) v;
            return this;
        }

        public Out u16(int v) {
            ensure(2);
            b[n++] = (byte) (v >>> 8);
            b[n++] = (byte) v;
            return this;
        }

        public Out u32(long v) {
            ensure(4);
            for (int i = 24; i >= 0; i -= 8) b[n++] = (byte) (v >>> i);
            return this;
        }

        public Out u64(long v) {
            ensure(8);
            for (int i = 56; i >= 0; i -= 8) b[n++] = (byte) (v >>> i);
            return this;
        }

        /** Appends {@code v[off, off+len)}. */
        public Out raw(byte[] v, int off, int len) {
            java.util.Objects.checkFromIndexSize(off, len, v.length);
            ensure(len);
            System.arraycopy(v, off, b, n, len);
            n += len;
            return this;
        }

        /** Appends everything written to this one to {@code other}. */
        public void writeTo(Out other) {
            other.raw(b, 0, n);
        }

        public byte[] toByteArray() {
            return Arrays.copyOf(b, n);
        }

        /** The buffer itself (valid up to {@link #size()}, until the next write): no copy. */
        byte[] array() {
            return b;
        }

        public int size() {
            return n;
        }
    }

    /** Reads values; throws {@link FormatException} on anything malformed. Not thread-safe. */
    public static final class In {
        private final byte[] a;
        private int p;

        public In(byte[] a) {
            this.a = a;
        }

        public boolean more() {
            return p < a.length;
        }

        public int remaining() {
            return a.length - p;
        }

        /** The read position (an offset into the array). */
        public int position() {
            return p;
        }

        public void seek(int position) {
            if (position < 0 || position > a.length) throw new FormatException("position out of range");
            p = position;
        }

        /** Skips {@code n} bytes. */
        public void skip(int n) {
            need(n);
            p += n;
        }

        byte[] array() {
            return a;
        }

        private void need(long n) {
            if (n < 0 || n > a.length - p) throw new FormatException("truncated object (needs " + n + " more bytes)");
        }

        public long varint() {
            long v = 0;
            for (int shift = 0; shift < 64; shift += 7) {
                need(1);
                int x = a[p++] & 0xFF;
                v |= (long) (x & 0x7F) << shift;
                if ((x & 0x80) == 0) return v;
            }
            throw new FormatException("varint too long");
        }

        public int count(int max) {
            long v = varint();
            if (v < 0 || v > max) throw new FormatException("count " + v + " out of range 0.." + max);
            return (int) v;
        }

        public long svarint() {
            long v = varint();
            return (v >>> 1) ^ -(v & 1);
        }

        public byte[] bytes(int max) {
            int n = count(max);
            need(n);
            byte[] r = Arrays.copyOfRange(a, p, p + n);
            p += n;
            return r;
        }

        public String str(int max) {
            int n = count(max);
            need(n);
            String s = new String(a, p, n, StandardCharsets.UTF_8);
            p += n;
            return s;
        }

        public byte[] raw(int n) {
            need(n);
            byte[] r = Arrays.copyOfRange(a, p, p + n);
            p += n;
            return r;
        }

        public int u8() {
            need(1);
            return a[p++] & 0xFF;
        }

        public int u16() {
            return (u8() << 8) | u8();
        }

        public long u32() {
            need(4);
            long v = 0;
            for (int i = 0; i < 4; i++) v = (v << 8) | (a[p++] & 0xFF);
            return v;
        }

        public long u64() {
            need(8);
            long v = 0;
            for (int i = 0; i < 8; i++) v = (v << 8) | (a[p++] & 0xFF);
            return v;
        }

        public void magic(String m) {
            byte[] want = m.getBytes(StandardCharsets.US_ASCII);
            byte[] got = raw(want.length);
            if (!Arrays.equals(want, got)) throw new FormatException("not a " + m + " object");
        }
    }

    /** A repository object that authenticated but does not parse: a bug or a hostile writer. */
    public static final class FormatException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public FormatException(String message) {
            super(message);
        }
    }

    public static String hex(byte[] b) {
        char[] c = new char[b.length * 2];
        final char[] digits = "0123456789abcdef".toCharArray();
        for (int i = 0; i < b.length; i++) {
            c[2 * i] = digits[(b[i] >> 4) & 0xF];
            c[2 * i + 1] = digits[b[i] & 0xF];
        }
        return new String(c);
    }

    public static byte[] unhex(String s) {
        if (s.length() % 2 != 0) throw new IllegalArgumentException("odd hex length");
        byte[] b = new byte[s.length() / 2];
        for (int i = 0; i < b.length; i++) {
            int hi = Character.digit(s.charAt(2 * i), 16);
            int lo = Character.digit(s.charAt(2 * i + 1), 16);
            if (hi < 0 || lo < 0) throw new IllegalArgumentException("not hex: " + s);
            b[i] = (byte) ((hi << 4) | lo);
        }
        return b;
    }
}
