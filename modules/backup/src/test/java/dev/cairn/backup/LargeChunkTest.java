package dev.cairn.backup;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.backup.repo.BackupRun;
import dev.cairn.backup.repo.Backups;
import dev.cairn.backup.repo.BlobIndex;
import dev.cairn.backup.repo.RepoKey;
import dev.cairn.backup.repo.Repository;
import dev.cairn.backup.repo.Snapshot;
import dev.cairn.backup.restore.Restorer;
import dev.cairn.backup.source.DirectorySource;
import dev.cairn.backup.store.LocalStore;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Chunks between twice the average and the maximum (the repository's default sizes: 512 KiB,
 * 1 MiB, 8 MiB; above the pooled buffer sizes), compressible and not, mixed with small ones and
 * sealed by several workers: every file still restores byte for byte.
 */
class LargeChunkTest {

    @TempDir
    Path tmp;

    @Test
    void largeChunksOfEveryKindRoundTrip() throws Exception {
        Path src = tmp.resolve("src");
        Files.createDirectories(src);
        Trees.random(src.resolve("random.bin"), 7, 26 * 1024 * 1024);
        // constant runs: no cut point inside, so maximum-size chunks, compressible; the counter every 8 MiB + 1 KiB keeps them distinct
        byte[] runs = new byte[30 * 1024 * 1024];
        java.util.Arrays.fill(runs, (byte) 0x55);
        for (int at = 0; at + 8 <= runs.length; at += 8 * 1024 * 1024 + 1024) ByteBuffer.wrap(runs).putLong(at, at + 1L);
        Files.write(src.resolve("runs.dat"), runs);
        // then small chunks again, into buffers that held large ones
        Trees.text(src.resolve("app.log"), 40_000, 3);
        Random r = new Random(11);
        byte[] mixed = new byte[12 * 1024 * 1024];
        r.nextBytes(mixed);
        java.util.Arrays.fill(mixed, 2 * 1024 * 1024, 9 * 1024 * 1024, (byte) 7);
        Files.write(src.resolve("mixed.bin"), mixed);

        Path keyFile = tmp.resolve("repo.key");
        RepoKey.generate(keyFile);
        Repository.Params p = Repository.Params.defaults();
        Path repoDir = tmp.resolve("repo");
        Repository.init(new LocalStore(repoDir), RepoKey.keyFile(keyFile), p).close();
        try (Repository repo = Repository.open(new LocalStore(repoDir), RepoKey.keyFile(keyFile))) {
            BackupRun.Result res = Backups.backup(repo, "j", new DirectorySource(List.of(src), List.of()), List.of(), 3, 3, null);
            Snapshot s = repo.readSnapshot(res.snapshotId());
            int large = 0, max = 0;
            for (Snapshot.Node n : s.nodes()) {
                for (byte[] id : n.chunks()) {
                    BlobIndex.Location l = repo.index().get(id);
                    if (l.rawLength() > 2 * p.chunkAvg()) large++;
                    if (l.rawLength() == p.chunkMax()) max++;
                }
            }
            assertThat(large).as("chunks above twice the average").isGreaterThanOrEqualTo(4);
            assertThat(max).as("maximum-size chunks").isGreaterThanOrEqualTo(2);
            Path out = tmp.resolve("out");
            Restorer.Result rr = new Restorer(repo, new Restorer.Options(out, List.of(), 2, null)).restore(s);
            assertThat(rr.damaged()).isEmpty();
        }
        Trees.assertSameTree(src, tmp.resolve("out/src"));
    }
}
