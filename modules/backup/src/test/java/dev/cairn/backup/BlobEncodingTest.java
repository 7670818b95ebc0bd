package dev.cairn.backup;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.backup.repo.BackupRun;
import dev.cairn.backup.repo.BlobIndex;
import dev.cairn.backup.repo.Crypto;
import dev.cairn.backup.repo.Repository;
import dev.cairn.backup.repo.Snapshot;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A blob is zstd-compressed at the job's level only when that is smaller; otherwise it is stored as it is. */
class BlobEncodingTest {

    @TempDir
    Path tmp;

    private static Snapshot.Node node(Snapshot s, String path) {
        return s.nodes().stream().filter(n -> n.path().equals(path)).findFirst().orElseThrow();
    }

    @Test
    void incompressibleChunksAreStoredUncompressedAndLogsAreCompressed() throws Exception {
        Path src = tmp.resolve("src");
        Files.createDirectories(src);
        Trees.random(src.resolve("random.bin"), 5, 400 * 1024);
        Trees.text(src.resolve("app.log"), 8_000, 6);
        RepoFixture repo = new RepoFixture(tmp);
        BackupRun.Result r = repo.backup("j", src);
        try (Repository rr = repo.open()) {
            Snapshot s = rr.readSnapshot(r.snapshotId());
            Snapshot.Node random = node(s, "src/random.bin");
            assertThat(random.chunks()).hasSizeGreaterThan(1);
            for (byte[] id : random.chunks()) {
                BlobIndex.Location l = rr.index().get(id);
                assertThat(l.length()).as("one encoding byte and the AEAD's nonce and tag, no zstd frame")
                        .isEqualTo(l.rawLength() + 1 + Crypto.OVERHEAD);
            }
            long raw = 0, stored = 0;
            for (byte[] id : node(s, "src/app.log").chunks()) {
                BlobIndex.Location l = rr.index().get(id);
                raw += l.rawLength();
                stored += l.length();
            }
            assertThat(raw).isEqualTo(Files.size(src.resolve("app.log")));
            assertThat(stored).as("a log compresses at zstd level 3").isLessThan(raw / 3);
        }
    }
}
