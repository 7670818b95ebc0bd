package dev.cairn.backup;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.backup.repo.BackupRun;
import dev.cairn.backup.repo.BlobIndex;
import dev.cairn.backup.repo.Pack;
import dev.cairn.backup.repo.Repository;
import dev.cairn.backup.repo.Snapshot;
import dev.cairn.backup.restore.Restorer;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Restore with several workers (files in pack order, small blobs read through a window of the
 * pack, metadata that already matches not set again) gives the same tree as one worker: contents,
 * modes, owners, mtimes, symlinks, hard links, holes; a damaged blob still loses only its files.
 */
class ParallelRestoreTest {

    @TempDir
    static Path tmp;
    static Path src;
    static RepoFixture repo;
    static BackupRun.Result snap;

    /** Many small files side by side in packs (windowed reads), a few multi-chunk files, every mode. */
    @BeforeAll
    static void backUpAMixedTree() throws Exception {
        src = tmp.resolve("src");
        Trees.everyKind(src, false);
        int[] modes = {0644, 0600, 0755, 0400, 0640, 0444, 0700, 0664, 0604, 0750};
        for (int d = 0; d < 12; d++) {
            Path dir = src.resolve("many/d" + d);
            Files.createDirectories(dir);
            for (int i = 0; i < 25; i++) {
                Path f = dir.resolve("f" + i + ".txt");
                Trees.text(f, 1 + (d * 25 + i) % 40, d * 100 + i);
                Files.setLastModifiedTime(f, FileTime.from(Instant.ofEpochSecond(1_600_000_000L + d * 1000 + i, 1000L * i + 7)));
                Files.setAttribute(f, "unix:mode", modes[(d + i) % modes.length]);
                if (i % 7 == 0) Files.setAttribute(f, "unix:uid", 1000 + i);
                if (i % 5 == 0) Files.setAttribute(f, "unix:gid", 2000 + d);
            }
            Files.createLink(dir.resolve("hard"), dir.resolve("f3.txt"));
            Files.createSymbolicLink(dir.resolve("sym"), Path.of("f4.txt"));
            Files.setAttribute(dir, "unix:mode", d % 3 == 0 ? 0700 : d % 3 == 1 ? 0755 : 02775);
        }
        for (int i = 0; i < 4; i++) Trees.random(src.resolve("many/big" + i + ".bin"), 50 + i, 700 * 1024 + i);
        // a sparse file whose data ends in a hole
        try (RandomAccessFile raf = new RandomAccessFile(src.resolve("many/tail-hole.img").toFile(), "rw")) {
            raf.write("head".getBytes());
            raf.setLength(3L * 1024 * 1024);
        }
        Files.setAttribute(src.resolve("many"), "unix:mode", 0751);
        repo = new RepoFixture(tmp);
        snap = repo.backup("j", src);
        assertThat(snap.header().partial()).as(snap.header().problems().toString()).isFalse();
    }

    private Restorer.Result restore(Path to, int workers) throws Exception {
        try (Repository r = repo.open()) {
            return new Restorer(r, new Restorer.Options(to, List.of(), workers, null)).restore(r.readSnapshot(snap.snapshotId()));
        }
    }

    @Test
    void fourWorkersRestoreTheSameTreeAsOne() throws Exception {
        Path one = tmp.resolve("one"), four = tmp.resolve("four");
        Restorer.Result r1 = restore(one, 1);
        Restorer.Result r4 = restore(four, 4);

        assertThat(r1.ok()).as(r1.toString()).isTrue();
        assertThat(r4.ok()).as(r4.toString()).isTrue();
        assertThat(r4.files()).isEqualTo(r1.files());
        assertThat(r4.bytes()).isEqualTo(r1.bytes());
        Trees.assertSameTree(src, one.resolve("src"));
        Trees.assertSameTree(src, four.resolve("src"));
        assertThat(Files.isSameFile(four.resolve("src/many/d3/hard"), four.resolve("src/many/d3/f3.txt"))).isTrue();
        long blocks = Long.parseLong(Trees.sh("stat", "-c", "%b", four.resolve("src/many/tail-hole.img").toString()).trim());
        assertThat(blocks * 512).as("the trailing hole stays a hole").isLessThan(1024 * 1024);
        try (Stream<Path> all = Files.walk(four)) {
            assertThat(all.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith(".cairn-restore"));
        }
    }

    @Test
    void restoringOverAnExistingTreeReplacesChangedFilesAndRestoresMetadata() throws Exception {
        Path out = tmp.resolve("over");
        assertThat(restore(out, 4).ok()).isTrue();
        Path f = out.resolve("src/many/d5/f6.txt");
        Files.writeString(f, "changed after the restore\n");
        Files.setAttribute(f, "unix:mode", 0666);
        Files.setAttribute(out.resolve("src/many/d5"), "unix:mode", 0777);
        Files.setAttribute(out.resolve("src/many/d5"), "unix:gid", 4242);

        Restorer.Result again = restore(out, 4);

        assertThat(again.ok()).as(again.toString()).isTrue();
        Trees.assertSameTree(src, out.resolve("src"));
    }

    @Test
    void aDamagedBlobFailsOnlyTheFileUsingItAndNamesIt() throws Exception {
        String victim = "src/many/d7/f11.txt";
        BlobIndex.Location loc;
        try (Repository r = repo.open()) {
            Snapshot s = r.readSnapshot(snap.snapshotId());
            Snapshot.Node n = s.nodes().stream().filter(x -> x.path().equals(victim)).findFirst().orElseThrow();
            assertThat(n.chunks()).hasSize(1);
            loc = r.index().get(n.chunks().get(0));
        }
        Path pack = repo.dir.resolve(Pack.objectName(loc.packHex()));
        byte[] saved = Files.readAllBytes(pack);
        try {
            try (RandomAccessFile raf = new RandomAccessFile(pack.toFile(), "rw")) {
                long at = loc.offset() + loc.length() / 2;
                raf.seek(at);
                int b = raf.read();
                raf.seek(at);
                raf.write(b ^ 0x40);
            }
            Path out = tmp.resolve("damaged");
            Restorer.Result res = restore(out, 4);

            assertThat(res.ok()).isFalse();
            assertThat(res.damaged()).hasSize(1);
            assertThat(res.damaged().get(0)).startsWith(victim + " (blob ").contains("authentication failed");
            assertThat(out.resolve(victim)).doesNotExist();
            // its neighbours in the same window of the pack are intact
            assertThat(Files.readString(out.resolve("src/many/d7/f10.txt"))).isEqualTo(Files.readString(src.resolve("many/d7/f10.txt")));
            assertThat(Files.readString(out.resolve("src/many/d7/f12.txt"))).isEqualTo(Files.readString(src.resolve("many/d7/f12.txt")));
            try (Stream<Path> all = Files.walk(out)) {
                assertThat(all.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith(".cairn-restore"));
            }
        } finally {
            Files.write(pack, saved);
        }
    }
}
