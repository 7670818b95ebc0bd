package dev.cairn.backup;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.backup.repo.BackupRun;
import dev.cairn.backup.repo.Backups;
import dev.cairn.backup.repo.Repository;
import dev.cairn.backup.repo.Snapshot;
import dev.cairn.backup.repo.Wire;
import dev.cairn.backup.source.DirectorySource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code backup.workers} above 1 walks a directory source with helper threads that stat entries
 * ahead: the manifest is the same, entry for entry and in the same order, as a walk on one thread,
 * and it restores to the same tree.
 */
class ParallelWalkTest {

    @TempDir
    Path tmp;

    private static String render(Snapshot.Node n) {
        List<String> chunks = new ArrayList<>();
        for (byte[] c : n.chunks()) chunks.add(Wire.hex(c));
        TreeMap<String, String> x = new TreeMap<>();
        n.xattrs().forEach((k, v) -> x.put(k, Wire.hex(v)));
        return n.type() + " " + n.path() + " mode=" + n.mode() + " " + n.uid() + ":" + n.gid() + " " + n.user() + ":" + n.group()
                + " mtime=" + n.mtimeNs() + " ctime=" + n.ctimeNs() + " ino=" + n.inode() + " dev=" + n.device() + " size=" + n.size()
                + " xattrs=" + x + " flags=" + n.flags() + " holes=" + Arrays.toString(n.holes()) + " chunks=" + chunks
                + " target=" + (n.target() == null ? "" : new String(n.target(), java.nio.charset.StandardCharsets.UTF_8));
    }

    private List<String> entries(RepoFixture repo, String id) throws Exception {
        List<String> out = new ArrayList<>();
        try (Repository r = repo.open()) {
            for (Snapshot.Node n : r.readSnapshot(id).nodes()) out.add(render(n));
        }
        return out;
    }

    private BackupRun.Result backup(RepoFixture repo, String job, Path src, int threads) throws Exception {
        try (Repository r = repo.open()) {
            return Backups.backup(r, job, new DirectorySource(List.of(src), List.of()).parallelism(threads), List.of(), 3, threads, null);
        }
    }

    @Test
    void theManifestIsTheSameWithHelperThreads() throws Exception {
        Path src = tmp.resolve("src");
        Trees.everyKind(src, true);
        // one directory of more entries than the helpers stat ahead (batches of 64, 4 ahead), and nested ones in it
        Path many = src.resolve("many");
        for (int d = 0; d < 7; d++) Files.createDirectories(many.resolve(String.format("d%02d", d)));
        for (int i = 0; i < 700; i++) Files.writeString(many.resolve(String.format("d%02d/f%04d.txt", i % 7, i)), "file " + i + "\n");
        for (int i = 0; i < 300; i++) Files.writeString(many.resolve(String.format("top%04d.txt", i)), "top " + i + "\n");
        RepoFixture repo = new RepoFixture(tmp);
        BackupRun.Result one = backup(repo, "one", src, 1);
        BackupRun.Result three = backup(repo, "three", src, 3);
        List<String> a = entries(repo, one.snapshotId());
        List<String> b = entries(repo, three.snapshotId());
        assertThat(a).hasSizeGreaterThan(1000);
        assertThat(b).containsExactlyElementsOf(a);
        assertThat(three.header().problems()).isEqualTo(one.header().problems());
        assertThat(String.join("\n", three.header().problems())).contains("FIFO");

        // unchanged files are found the same way (the parent's entries), and the tree restores as it was
        BackupRun.Result again = backup(repo, "three", src, 3);
        assertThat(again.filesRead()).isZero();
        Path out = tmp.resolve("out");
        repo.restore(again.snapshotId(), out);
        Files.delete(src.resolve("a-fifo")); // skipped by the backup, as reported
        Trees.assertSameTree(src, out.resolve("src"));
    }
}
