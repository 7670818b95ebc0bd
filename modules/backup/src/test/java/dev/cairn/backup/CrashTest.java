package dev.cairn.backup;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.backup.repo.BackupRun;
import dev.cairn.backup.repo.Maintenance;
import dev.cairn.backup.repo.Repository;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A backup or prune process killed at each step of its write order (a child JVM that halts like
 * kill -9): check still passes, earlier snapshots restore, and the next backup reuses what the
 * killed one uploaded.
 */
class CrashTest {

    static final int NEW_BYTES = 6 * 1024 * 1024;

    @TempDir
    Path tmp;
    Path src;
    Path before;
    RepoFixture repo;
    BackupRun.Result first;

    @BeforeEach
    void firstSnapshotThenNewData() throws Exception {
        src = tmp.resolve("src");
        Files.createDirectories(src);
        Trees.random(src.resolve("old"), 1, 400 * 1024);
        repo = new RepoFixture(tmp);
        first = repo.backup("j", src);
        before = tmp.resolve("before");
        Files.createDirectories(before);
        Trees.sh("cp", "-a", src.toString(), before.toString());
        // six 1 MiB incompressible files: about six 1 MiB packs
        for (int i = 0; i < 6; i++) Trees.random(src.resolve("new" + i), 10 + i, NEW_BYTES / 6);
    }

    private int child(String mode, String prefix, int n) throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), CrashChild.class.getName(), mode,
                repo.dir.toString(), repo.keyFile.toString(), src.toString(), prefix, String.valueOf(n))
                .redirectErrorStream(true).redirectOutput(tmp.resolve("child.log").toFile()).start();
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        return p.exitValue();
    }

    private void assertRepositoryHealthyAndFirstRestores() throws Exception {
        try (Repository r = repo.open()) {
            Maintenance.CheckResult c = Maintenance.check(r, true, null);
            assertThat(c.errors()).isEmpty();
        }
        Path out = tmp.resolve("restored-" + System.nanoTime());
        assertThat(repo.restore(first.snapshotId(), out).ok()).isTrue();
        Trees.assertSameTree(before.resolve("src"), out.resolve("src"));
    }

    private BackupRun.Result backupAgainAndVerify() throws Exception {
        BackupRun.Result again = repo.backup("j", src);
        Path out = tmp.resolve("again");
        assertThat(repo.restore(again.snapshotId(), out).ok()).isTrue();
        Trees.assertSameTree(src, out.resolve("src"));
        return again;
    }

    @Test
    void killedDuringAPackUpload() throws Exception {
        assertThat(child("backup", "data/", 3)).isEqualTo(137);
        assertRepositoryHealthyAndFirstRestores();
        try (Repository r = repo.open()) {
            assertThat(r.snapshots(null)).hasSize(1);
        }
        BackupRun.Result again = backupAgainAndVerify();
        assertThat(again.header().addedBytes()).as("the two packs uploaded before the kill are reused").isLessThan(NEW_BYTES - 1_500_000);
    }

    @Test
    void killedBetweenPacksAndIndex() throws Exception {
        assertThat(child("backup", "index/", 1)).isEqualTo(137);
        assertRepositoryHealthyAndFirstRestores();
        BackupRun.Result again = backupAgainAndVerify();
        assertThat(again.header().addedBytes()).as("four unindexed packs are adopted and reused").isLessThan(NEW_BYTES - 3_500_000);
    }

    @Test
    void killedBetweenIndexAndManifest() throws Exception {
        assertThat(child("backup", "snapshots/", 1)).isEqualTo(137);
        assertRepositoryHealthyAndFirstRestores();
        try (Repository r = repo.open()) {
            assertThat(r.snapshots(null)).extracting(Repository.SnapshotRef::id).containsExactly(first.snapshotId());
        }
        BackupRun.Result again = backupAgainAndVerify();
        assertThat(again.newBlobs()).as("everything was indexed before the kill").isZero();
    }

    @Test
    void killedInTheMiddleOfPruneAtEveryStep() throws Exception {
        BackupRun.Result second = repo.backup("j", src);
        for (String step : List.of("repack", "index", "delete-index", "delete-packs")) {
            // something to prune each round: a third snapshot forgotten again
            Files.writeString(src.resolve("round-" + step), step.repeat(20_000));
            BackupRun.Result extra = repo.backup("j", src);
            Files.delete(src.resolve("round-" + step));
            Files.delete(repo.dir.resolve("snapshots/" + extra.snapshotId()));
            assertThat(child("prune", step, 0)).as(step).isEqualTo(137);
            assertRepositoryHealthyAndFirstRestores();
            Path out = tmp.resolve("second-" + step);
            assertThat(repo.restore(second.snapshotId(), out).ok()).as(step).isTrue();
        }
        try (Repository r = repo.open()) {
            Maintenance.prune(r, 0.05, Maintenance.Steps.NONE);
            assertThat(Maintenance.check(r, true, null).errors()).isEmpty();
            assertThat(Maintenance.check(r, false, null).notes()).as("no unindexed packs left").isEmpty();
        }
        Path out = tmp.resolve("final");
        assertThat(repo.restore(second.snapshotId(), out).ok()).isTrue();
    }
}
