package dev.cairn.backup;

import dev.cairn.backup.repo.BackupRun;
import dev.cairn.backup.repo.Backups;
import dev.cairn.backup.repo.RepoKey;
import dev.cairn.backup.repo.Repository;
import dev.cairn.backup.restore.Restorer;
import dev.cairn.backup.source.DirectorySource;
import dev.cairn.backup.store.LocalStore;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** A real repository in a directory, with small chunk and pack sizes so small trees still cross chunk and pack boundaries. */
final class RepoFixture {

    static final Repository.Params SMALL = new Repository.Params(new byte[16], 16 * 1024, 64 * 1024, 256 * 1024, 1024 * 1024);

    final Path dir;
    final Path keyFile;

    RepoFixture(Path base) throws IOException {
        dir = base.resolve("repo");
        keyFile = base.resolve("repo.key");
        RepoKey.generate(keyFile);
        Repository.init(new LocalStore(dir), RepoKey.keyFile(keyFile), SMALL).close();
    }

    private RepoFixture(Path dir, Path keyFile) {
        this.dir = dir;
        this.keyFile = keyFile;
    }

    static RepoFixture existing(Path dir, Path keyFile) {
        return new RepoFixture(dir, keyFile);
    }

    Repository open() throws IOException {
        return Repository.open(new LocalStore(dir), RepoKey.keyFile(keyFile));
    }

    BackupRun.Result backup(String job, Path... roots) throws IOException, InterruptedException {
        try (Repository r = open()) {
            return Backups.backup(r, job, new DirectorySource(List.of(roots), List.of()), List.of(), 3, null);
        }
    }

    Restorer.Result restore(String snapshotId, Path to) throws IOException, InterruptedException {
        try (Repository r = open()) {
            return new Restorer(r, new Restorer.Options(to, List.of(), 2, null)).restore(r.readSnapshot(snapshotId));
        }
    }
}
