package dev.cairn.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cairn.backup.repo.BackupRun;
import dev.cairn.backup.repo.Maintenance;
import dev.cairn.backup.repo.RepoKey;
import dev.cairn.backup.repo.Repository;
import dev.cairn.backup.store.LocalStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** cairn backup copy (3-2-1): only what the destination lacks, and never into another repository. */
class CopyTest {

    @TempDir
    Path tmp;

    @Test
    void aSecondCopySendsOnlyTheNewSnapshotsObjectsAndTheCopyRestoresWithTheSourcesKey() throws Exception {
        Path src = tmp.resolve("src");
        Files.createDirectories(src);
        Trees.random(src.resolve("a.bin"), 1, 300 * 1024);
        RepoFixture repo = new RepoFixture(tmp);
        repo.backup("j", src);
        Path copyDir = tmp.resolve("copy");
        assertThat(Maintenance.copy(new LocalStore(repo.dir), new LocalStore(copyDir))).last().asString().startsWith("copied ");

        Files.writeString(src.resolve("b.txt"), "added after the first copy\n");
        BackupRun.Result second = repo.backup("j", src);
        List<String> again = Maintenance.copy(new LocalStore(repo.dir), new LocalStore(copyDir));
        // the new snapshot: one pack, one index file and one manifest; nothing of the first snapshot again
        assertThat(again).last().asString().startsWith("copied 3 objects");

        try (Repository copy = Repository.open(new LocalStore(copyDir), RepoKey.keyFile(repo.keyFile))) {
            assertThat(Maintenance.check(copy, true, null).errors()).isEmpty();
            assertThat(copy.snapshots(null)).hasSize(2);
        }
        RepoFixture copied = RepoFixture.existing(copyDir, repo.keyFile);
        Path out = tmp.resolve("out");
        assertThat(copied.restore(second.snapshotId(), out).ok()).isTrue();
        Trees.assertSameTree(src, out.resolve("src"));
    }

    @Test
    void aDestinationHoldingAnotherRepositoryIsRefusedAndLeftAsItWas() throws Exception {
        Path src = tmp.resolve("src");
        Files.createDirectories(src);
        Files.writeString(src.resolve("f"), "data\n");
        RepoFixture repo = new RepoFixture(tmp);
        repo.backup("j", src);
        // what `create: true` with a key file of its own makes of the second repository before its first copy
        Path otherDir = tmp.resolve("offsite");
        Path otherKey = tmp.resolve("offsite.key");
        RepoKey.generate(otherKey);
        Repository.init(new LocalStore(otherDir), RepoKey.keyFile(otherKey), RepoFixture.SMALL).close();
        String before = Trees.sh("find", otherDir.toString(), "-printf", "%P %s\\n");

        assertThatThrownBy(() -> Maintenance.copy(new LocalStore(repo.dir), new LocalStore(otherDir)))
                .hasMessageContaining("CAIRN-BACKUP-0072").hasMessageContaining("holds another repository");

        assertThat(Trees.sh("find", otherDir.toString(), "-printf", "%P %s\\n")).as("nothing copied").isEqualTo(before);
        try (Repository other = Repository.open(new LocalStore(otherDir), RepoKey.keyFile(otherKey))) {
            assertThat(Maintenance.check(other, true, null).errors()).isEmpty();
            assertThat(other.snapshots(null)).isEmpty();
        }
    }
}
