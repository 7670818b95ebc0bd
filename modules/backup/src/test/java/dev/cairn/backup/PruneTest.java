package dev.cairn.backup;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.backup.repo.BackupRun;
import dev.cairn.backup.repo.Maintenance;
import dev.cairn.backup.repo.Repository;
import dev.cairn.backup.retention.KeepPolicy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneId;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** prune's max_unused threshold, and forget grouping by job rather than by path. */
class PruneTest {

    @TempDir
    Path tmp;

    private static String packs(RepoFixture repo) throws Exception {
        return Trees.sh("find", repo.dir.resolve("data").toString(), "-name", "*.tar", "-printf", "%P %s\\n");
    }

    @Test
    void onlyPacksWhoseUnusedShareExceedsMaxUnusedAreRepacked() throws Exception {
        Path src = tmp.resolve("src");
        Files.createDirectories(src);
        // one backup, one pack (under the fixture's 1 MiB pack target): 600 KiB kept, 20 KiB forgotten (about 3 %)
        Trees.random(src.resolve("kept.bin"), 1, 600 * 1024);
        Trees.random(src.resolve("dropped.bin"), 2, 20 * 1024);
        RepoFixture repo = new RepoFixture(tmp);
        BackupRun.Result first = repo.backup("j", src);
        Files.delete(src.resolve("dropped.bin"));
        BackupRun.Result second = repo.backup("j", src);
        assertThat(second.newBlobs()).isZero();
        String before = packs(repo);
        assertThat(before.lines()).hasSize(1);
        Files.delete(repo.dir.resolve("snapshots/" + first.snapshotId()));

        try (Repository r = repo.open()) {
            Maintenance.PruneResult p = Maintenance.prune(r, 0.05, Maintenance.Steps.NONE);
            assertThat(p.packsRepacked()).as("3 %% unused is under max_unused 5 %%: %s", p.lines()).isZero();
            assertThat(p.packsDeleted()).isZero();
        }
        assertThat(packs(repo)).as("the pack is untouched").isEqualTo(before);

        try (Repository r = repo.open()) {
            Maintenance.PruneResult p = Maintenance.prune(r, 0.01, Maintenance.Steps.NONE);
            assertThat(p.packsRepacked()).as("over max_unused 1 %%: %s", p.lines()).isEqualTo(1);
            assertThat(p.bytesFreed()).isGreaterThan(15 * 1024);
            assertThat(Maintenance.check(r, true, null).errors()).isEmpty();
        }
        assertThat(packs(repo)).isNotEqualTo(before);
        Path out = tmp.resolve("out");
        assertThat(repo.restore(second.snapshotId(), out).ok()).isTrue();
        Trees.assertSameTree(src, out.resolve("src"));
    }

    @Test
    void forgetGroupsByJobSoChangedPathsStillCountAndOtherJobsAreUntouched() throws Exception {
        Path a = tmp.resolve("a"), b = tmp.resolve("b"), other = tmp.resolve("other");
        for (Path p : List.of(a, b, other)) {
            Files.createDirectories(p);
            Files.writeString(p.resolve("f"), p.getFileName() + "\n");
        }
        RepoFixture repo = new RepoFixture(tmp);
        BackupRun.Result old1 = repo.backup("j", a);
        BackupRun.Result old2 = repo.backup("j", a);
        // the job's paths changed: its retention still applies to the snapshots of the old paths
        BackupRun.Result new1 = repo.backup("j", b);
        BackupRun.Result new2 = repo.backup("j", a, b);
        BackupRun.Result foreign = repo.backup("other-job", other);
        try (Repository r = repo.open()) {
            List<Maintenance.ForgetDecision> d = Maintenance.forget(r, "j", new KeepPolicy(2, 0, 0, 0, 0, 0, Duration.ZERO),
                    ZoneId.of("UTC"), false);
            assertThat(d).hasSize(4);
            assertThat(r.snapshots(null)).extracting(Repository.SnapshotRef::id)
                    .containsExactlyInAnyOrder(new1.snapshotId(), new2.snapshotId(), foreign.snapshotId())
                    .doesNotContain(old1.snapshotId(), old2.snapshotId());
        }
    }
}
