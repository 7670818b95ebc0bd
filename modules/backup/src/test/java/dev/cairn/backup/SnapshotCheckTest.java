package dev.cairn.backup;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.backup.repo.BackupRun;
import dev.cairn.backup.repo.Backups;
import dev.cairn.backup.repo.Maintenance;
import dev.cairn.backup.repo.Repository;
import dev.cairn.backup.source.DirectorySource;
import dev.cairn.backup.source.EntrySink;
import dev.cairn.backup.source.Source;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The verification after a backup ({@link Maintenance#checkSnapshot}): the new snapshot's
 * structure, not every snapshot's again; and {@code backup.workers} as the number of sealing
 * threads of a run.
 */
class SnapshotCheckTest {

    @TempDir
    Path tmp;
    Path src;
    RepoFixture repo;

    @BeforeEach
    void tree() throws Exception {
        src = tmp.resolve("src");
        Files.createDirectories(src);
        // 300 KiB random files: several chunks each (64 KiB average) across several 1 MiB packs
        for (int i = 0; i < 8; i++) Trees.random(src.resolve("file" + i), i, 300 * 1024);
        repo = new RepoFixture(tmp);
    }

    private static void flipByte(Path f, long at) throws IOException {
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            raf.seek(at);
            int b = raf.read();
            raf.seek(at);
            raf.write(b ^ 0x40);
        }
    }

    @Test
    void theNewSnapshotIsCheckedNotTheOlderOnes() throws Exception {
        BackupRun.Result first = repo.backup("j", src);
        Trees.random(src.resolve("file0"), 100, 300 * 1024);
        BackupRun.Result second = repo.backup("j", src);
        flipByte(repo.dir.resolve("snapshots/" + first.snapshotId()), 100);
        try (Repository r = repo.open()) {
            Maintenance.CheckResult whole = Maintenance.check(r, false, null);
            assertThat(String.join("\n", whole.errors())).contains(BackupErrors.SNAPSHOT_DAMAGED.id()).contains(first.snapshotId());
            Maintenance.CheckResult c = Maintenance.checkSnapshot(r, second.snapshotId());
            assertThat(c.errors()).isEmpty();
            assertThat(c.ok()).isTrue();
            Maintenance.CheckResult damaged = Maintenance.checkSnapshot(r, first.snapshotId());
            assertThat(String.join("\n", damaged.errors())).contains(BackupErrors.SNAPSHOT_DAMAGED.id());
        }
    }

    @Test
    void aMissingOrTruncatedPackFailsTheCheckOfTheNewSnapshot() throws Exception {
        BackupRun.Result snap = repo.backup("j", src);
        List<Path> packs;
        try (Stream<Path> s = Files.walk(repo.dir.resolve("data"))) {
            packs = s.filter(p -> p.toString().endsWith(".tar")).sorted().toList();
        }
        assertThat(packs).hasSizeGreaterThan(1);
        Files.delete(packs.get(0));
        try (RandomAccessFile raf = new RandomAccessFile(packs.get(1).toFile(), "rw")) {
            raf.setLength(raf.length() - 10);
        }
        try (Repository r = repo.open()) {
            Maintenance.CheckResult c = Maintenance.checkSnapshot(r, snap.snapshotId());
            assertThat(c.ok()).isFalse();
            String all = String.join("\n", c.errors());
            assertThat(all).contains(BackupErrors.PACK_MISSING.id()).contains(BackupErrors.PACK_SIZE.id()).contains("(truncated)");
        }
    }

    /** Runs the directory source, then counts the run's sealing threads while they are still alive. */
    private int sealThreads(int workers) throws Exception {
        int[] seen = new int[1];
        DirectorySource dir = new DirectorySource(List.of(src), List.of());
        Source counting = new Source() {
            @Override
            public List<String> describe() {
                return dir.describe();
            }

            @Override
            public void emit(EntrySink sink) throws IOException, InterruptedException {
                dir.emit(sink);
                seen[0] = (int) Thread.getAllStackTraces().keySet().stream()
                        .filter(t -> t.isAlive() && t.getName().startsWith("cairn-backup-seal-")).count();
            }
        };
        try (Repository r = repo.open()) {
            Backups.backup(r, "w" + workers, counting, List.of(), 3, workers, null);
        }
        return seen[0];
    }

    @Test
    void workersSetTheSealingThreadsOfARun() throws Exception {
        // 8 files of about 5 chunks each: more chunks than threads, so a fixed pool starts every thread it has
        assertThat(sealThreads(1)).isEqualTo(1);
        Trees.random(src.resolve("more"), 7, 600 * 1024);
        assertThat(sealThreads(3)).isEqualTo(3);
    }
}
