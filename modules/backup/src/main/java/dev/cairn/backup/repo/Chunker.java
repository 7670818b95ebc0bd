package dev.cairn.backup.repo;

/**
 * FastCDC content-defined chunking (normalized chunking, level 2) with a gear table derived from
 * the repository key, so boundaries do not fingerprint content across repositories. Stateless
 * and thread-safe: the caller keeps at least {@code max} bytes available (or the rest of the
 * stream) and asks where the next chunk ends.
 */
public final class Chunker {

    private final long[] gear;
    private final int min;
    private final int avg;
    private final int max;
    private final long maskSmall;
    private final long maskLarge;

    public Chunker(long[] gear, int min, int avg, int max) {
        if (min < 64 || avg < min || max < avg || Integer.bitCount(avg) != 1) {
            throw new IllegalArgumentException("chunk sizes need 64 <= min <= avg <= max and avg a power of two");
        }
        this.gear = gear.clone();
        this.min = min;
        this.avg = avg;
        this.max = max;
        int bits = Integer.numberOfTrailingZeros(avg);
        maskSmall = -1L << (64 - Math.min(63, bits + 2));
        maskLarge = -1L << (64 - Math.max(1, bits - 2));
    }

    public int max() {
        return max;
    }

    public int min() {
        return min;
    }

    /** Length of the chunk starting at {@code off}, given {@code len} bytes available there. */
    public int cut(byte[] buf, int off, int len) {
        if (len <= min) return len;
        int end = Math.min(len, max);
        int normal = Math.min(end, avg);
        long h = 0;
        int i = min;
        // Hash the min bytes' last 64 only: the gear hash forgets older bytes anyway.
        for (int j = Math.max(0, min - 64); j < min; j++) h = (h << 1) + gear[buf[off + j] & 0xFF];
        final long[] g = gear;
        for (; i < normal; i++) {
            h = (h << 1) + g[buf[off + i] & 0xFF];
            if ((h & maskSmall) == 0) return i + 1;
        }
        for (; i < end; i++) {
            h = (h << 1) + g[buf[off + i] & 0xFF];
            if ((h & maskLarge) == 0) return i + 1;
        }
        return end;
    }
}
