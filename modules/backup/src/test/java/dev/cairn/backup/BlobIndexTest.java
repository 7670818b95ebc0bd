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
}
