package dev.cairn.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cairn.backup.repo.BackupRun;
import dev.cairn.backup.repo.Backups;
import dev.cairn.backup.repo.Maintenance;
import dev.cairn.backup.repo.RepoKey;
import dev.cairn.backup.repo.Repository;
import dev.cairn.backup.restore.Restorer;
import dev.cairn.backup.source.DirectorySource;
import dev.cairn.backup.store.LocalStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A full disk (a small tmpfs this test mounts; CI runs as root) fails cleanly: nothing half-written, older snapshots intact. */
class DiskFullTest {

    @TempDir
    Path tmp;
    Path mounted;

    private Path tmpfs(String name, String size) throws Exception {
        mounted = tmp.resolve(name);
        Files.createDirectories(mounted);
        Trees.sh("mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", mounted.toString());
        return mounted;
    }

    @AfterEach
    void unmount() throws Exception {
        if (mounted != null) Trees.sh("umount", mounted.toString());
    }

    private static List<String> leftovers(Path dir) throws Exception {
        try (var s = Files.walk(dir)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(".tmp-") || n.startsWith(".cairn-restore")).toList();
        }
    }

    @Test
    void aBackupIntoAFullDiskFailsAndLeavesTheRepositoryValid() throws Exception {
        Path disk = tmpfs("small-repo", "3m");
        Path src = tmp.resolve("src");
        Files.createDirectories(src);
        Trees.random(src.resolve("first"), 1, 200 * 1024);
        Path key = tmp.resolve("key");
        RepoKey.generate(key);
        LocalStore store = new LocalStore(disk.resolve("repo"));
        BackupRun.Result first;
        try (Repository r = Repository.init(store, RepoKey.keyFile(key), RepoFixture.SMALL)) {
            first = Backups.backup(r, "j", new DirectorySource(List.of(src), List.of()), List.of(), 3, null);
        }
        for (int i = 0; i < 5; i++) Trees.random(src.resolve("big" + i), 10 + i, 1024 * 1024);
        try (Repository r = Repository.open(store, RepoKey.keyFile(key))) {
            assertThatThrownBy(() -> Backups.backup(r, "j", new DirectorySource(List.of(src), List.of()), List.of(), 3, null))
                    .hasStackTraceContaining("No space left on device");
        }
        assertThat(leftovers(disk)).as("no temporary files left").isEmpty();
        try (Repository r = Repository.open(store, RepoKey.keyFile(key))) {
            assertThat(r.snapshots(null)).extracting(Repository.SnapshotRef::id).containsExactly(first.snapshotId());
            assertThat(Maintenance.check(r, true, null).errors()).isEmpty();
            Path out = tmp.resolve("out");
            assertThat(new Restorer(r, new Restorer.Options(out, List.of(), 1, null)).restore(r.readSnapshot(first.snapshotId())).ok()).isTrue();
            assertThat(Files.mismatch(out.resolve("src/first"), src.resolve("first"))).isEqualTo(-1);
        }
    }

    @Test
    void aRestoreOntoAFullDiskFailsWithoutAHalfWrittenFile() throws Exception {
        Path src = tmp.resolve("src");
        Files.createDirectories(src);
        Trees.random(src.resolve("a-small"), 1, 100 * 1024);
        Trees.random(src.resolve("b-large"), 2, 3 * 1024 * 1024);
        RepoFixture repo = new RepoFixture(tmp);
        BackupRun.Result r = repo.backup("j", src);
        Path disk = tmpfs("small-target", "1m");
        assertThatThrownBy(() -> repo.restore(r.snapshotId(), disk)).hasStackTraceContaining("No space left on device");
        assertThat(disk.resolve("src/b-large")).as("never renamed into place").doesNotExist();
        assertThat(leftovers(disk)).isEmpty();
    }
}
