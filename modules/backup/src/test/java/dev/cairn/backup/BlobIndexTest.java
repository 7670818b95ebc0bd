package dev.cairn.backup;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.backup.repo.BlobIndex;
import dev.cairn.backup.repo.Crypto;
import org.junit.jupiter.api.Test;

/** The in-memory index stays compact: at most 64 bytes per chunk (10 M chunks in at most 640 MB). */
class BlobIndexTest {

    @Test
    void aMillionChunksFitInSixtyFourBytesEachAndAllAreFound() {
        int n = 1_000_000;
        BlobIndex idx = new BlobIndex(n);
        int pack = idx.packNumber(Crypto.random(32), 1 << 24);
        byte[][] ids = new byte[n][];
        for (int i = 0; i < n; i++) {
            ids[i] = Crypto.sha256(new byte[] {(byte) i, (byte) (i >> 8), (byte) (i >> 16)});
            assertThat(idx.add(ids[i], pack, i, 1000 + (i & 1023), 2000)).isTrue();
        }
        assertThat(idx.add(ids[5], pack, 0, 0, 0)).as("a known id is not added twice").isFalse();
        assertThat(idx.size()).isEqualTo(n);
        assertThat((double) idx.tableBytes() / n).as("bytes per chunk").isLessThanOrEqualTo(64.0);
        for (int i = 0; i < n; i += 997) {
            BlobIndex.Location l = idx.get(ids[i]);
            assertThat(l.offset()).isEqualTo(i);
            assertThat(l.length()).isEqualTo(1000 + (i & 1023));
        }
        assertThat(idx.get(Crypto.random(32))).isNull();
        // growing past the expected size keeps every entry
        BlobIndex small = new BlobIndex(16);
        for (int i = 0; i < 10_000; i++) small.add(ids[i], small.packNumber(new byte[32], 1), i, 1, 1);
        for (int i = 0; i < 10_000; i++) assertThat(small.get(ids[i]).offset()).isEqualTo(i);
    }

    /**
     * The figure itself: 10 M chunks in a JVM whose whole heap is 640 MB (a child JVM with
     * -Xmx640m; an index that did not fit would end it with an OutOfMemoryError). The index is sized
     * from the count, as opening a repository sizes it from its index files.
     */
    @Test
    void tenMillionChunksFitInAJvmOf640Mb(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp) throws Exception {
        String javaBin = ProcessHandle.current().info().command().orElse("java");
        java.nio.file.Path log = tmp.resolve("child.log");
        Process p = new ProcessBuilder(javaBin, "-Xmx640m", "-cp", System.getProperty("java.class.path"), TenMillion.class.getName())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        assertThat(p.waitFor(300, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        String out = java.nio.file.Files.readString(log);
        assertThat(p.exitValue()).as(out).isZero();
        assertThat(out).contains("10000000 chunks");
        double perChunk = Double.parseDouble(out.replaceAll("(?s).*chunks, ([0-9.]+) bytes per chunk.*", "$1"));
        assertThat(perChunk).isLessThanOrEqualTo(64.0);
    }

    /** The child of {@link #tenMillionChunksFitInAJvmOf640Mb}: fills and probes the index, prints its size. */
    public static final class TenMillion {
        public static void main(String[] args) {
            int n = 10_000_000;
            BlobIndex idx = new BlobIndex(n);
            int pack = idx.packNumber(new byte[32], 1 << 26);
            byte[] id = new byte[32];
            java.util.SplittableRandom r = new java.util.SplittableRandom(42);
            for (int i = 0; i < n; i++) {
                fill(id, r);
                if (!idx.add(id, pack, i, 1 << 20, 1 << 20)) throw new AssertionError("duplicate id at " + i);
            }
            java.util.SplittableRandom again = new java.util.SplittableRandom(42);
            for (int i = 0; i < n; i++) {
                fill(id, again);
                if (i % 1000 == 0 && idx.get(id).offset() != i) throw new AssertionError("entry " + i + " lost");
            }
            if (idx.size() != n) throw new AssertionError(idx.size() + " entries");
            System.out.printf(java.util.Locale.ROOT, "%d chunks, %.1f bytes per chunk, heap max %d MiB%n", idx.size(),
                    (double) idx.tableBytes() / n, Runtime.getRuntime().maxMemory() >> 20);
        }

        private static void fill(byte[] id, java.util.SplittableRandom r) {
            for (int w = 0; w < 4; w++) {
                long v = r.nextLong();
                for (int j = 0; j < 8; j++) id[w * 8 + j] = (byte) (v >>> (8 * j));
            }
        }
    }
}
