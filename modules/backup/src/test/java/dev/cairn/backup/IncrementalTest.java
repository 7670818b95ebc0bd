package dev.cairn.backup;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.backup.repo.BackupRun;
import dev.cairn.backup.repo.Snapshot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IncrementalTest {

    @TempDir
    Path tmp;

    @Test
    void unchangedFilesAreNotReadAndChangesStoreOnlyWhatIsNew() throws Exception {
        Path src = tmp.resolve("data");
        Files.createDirectories(src.resolve("big"));
        for (int i = 0; i < 8; i++) Trees.random(src.resolve("big/blob" + i), 100 + i, 512 * 1024);
        for (int i = 0; i < 50; i++) Trees.text(src.resolve("log" + i + ".txt"), 200, i);
        RepoFixture repo = new RepoFixture(tmp);

        BackupRun.Result first = repo.backup("data", src);
        assertThat(first.filesRead()).isEqualTo(58);

        BackupRun.Result same = repo.backup("data", src);
        assertThat(same.filesRead()).as("no-change run reads nothing").isZero();
        assertThat(same.filesUnchanged()).isEqualTo(58);
        assertThat(same.newBlobs()).isZero();
        assertThat(same.header().parent()).isEqualTo(first.snapshotId());

        Files.move(src.resolve("big"), src.resolve("big-renamed"));
        Files.setLastModifiedTime(src.resolve("log1.txt"), FileTime.from(Instant.now().plusSeconds(5)));
        Files.writeString(src.resolve("log2.txt"), "modified\n", java.nio.file.StandardOpenOption.APPEND);
        Files.delete(src.resolve("log3.txt"));
        Files.writeString(src.resolve("new.txt"), "added\n");
        BackupRun.Result changed = repo.backup("data", src);

        assertThat(changed.header().addedBytes()).as("a renamed 4 MiB directory and a touch add almost nothing")
                .isLessThan(64 * 1024);
        assertThat(changed.newBlobs()).as("only log2.txt and new.txt have new content").isEqualTo(2);
        assertThat(changed.filesRead()).as("the files below the renamed directory are matched by inode, not read: "
                + "only the touched, modified and new files are").isEqualTo(3);
        try (var r = repo.open()) {
            Snapshot s = r.readSnapshot(changed.snapshotId());
            assertThat(s.nodes()).extracting(Snapshot.Node::path)
                    .contains("data/big-renamed/blob0", "data/new.txt").doesNotContain("data/log3.txt", "data/big/blob0");
        }
        Path out = tmp.resolve("out");
        assertThat(repo.restore(changed.snapshotId(), out).ok()).isTrue();
        Trees.assertSameTree(src, out.resolve("data"));
        Path old = tmp.resolve("old");
        assertThat(repo.restore(first.snapshotId(), old).ok()).isTrue();
        assertThat(old.resolve("data/log3.txt")).exists();
        assertThat(old.resolve("data/big/blob7")).hasSize(512 * 1024);
    }

    @Test
    void aFileThatChangesWhileReadIsRetriedThenFlagged() throws Exception {
        Path src = tmp.resolve("busy");
        Files.createDirectories(src);
        Path hot = src.resolve("growing.log");
        // 32 MiB: each read of the file takes long enough that the writer (a thread of its own, which a loaded
        // 2-core machine may leave unscheduled for a few milliseconds) appends during it.
        Trees.random(hot, 7, 32 * 1024 * 1024);
        RepoFixture repo = new RepoFixture(tmp);
        Thread writer = new Thread(() -> {
            try {
                long end = System.nanoTime() + 60_000_000_000L;
                while (System.nanoTime() < end && !Thread.currentThread().isInterrupted()) {
                    Files.writeString(hot, "x", java.nio.file.StandardOpenOption.APPEND);
                }
            } catch (Exception ignored) {
                // test ended
            }
        });
        long before = Files.size(hot);
        writer.start();
        try {
            // The backup must start while the writer appends (on a cold JVM the thread may start late).
            dev.cairn.core.testing.TestHost.await(java.time.Duration.ofSeconds(5), "the writer appending",
                    () -> { try { return Files.size(hot) > before; } catch (java.io.IOException e) { return false; } });
            // While the file grows without pause, a backup that read it unchanged three times in a row would be a
            // scheduling accident, not the rule: up to three backups, and the one that saw it change must flag it.
            BackupRun.Result r = null;
            for (int i = 0; i < 3 && (r == null || !r.header().partial()); i++) r = repo.backup("busy", src);
            assertThat(r.header().partial()).as("a file appended to during every read is flagged").isTrue();
            assertThat(r.header().problems()).anyMatch(p -> p.contains("CAIRN-BACKUP-0020") && p.contains("growing.log"));
            try (var rr = repo.open()) {
                Snapshot.Node n = rr.readSnapshot(r.snapshotId()).nodes().stream().filter(x -> x.path().endsWith("growing.log")).findFirst().orElseThrow();
                assertThat(n.flags() & Snapshot.CHANGED_WHILE_READ).isNotZero();
            }
        } finally {
            writer.interrupt();
            writer.join();
        }
    }
}
