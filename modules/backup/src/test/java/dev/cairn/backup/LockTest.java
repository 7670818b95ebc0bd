package dev.cairn.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cairn.backup.repo.BackupRun;
import dev.cairn.backup.repo.Crypto;
import dev.cairn.backup.repo.Maintenance;
import dev.cairn.backup.repo.RepoLock;
import dev.cairn.backup.repo.Repository;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LockTest {

    @TempDir
    Path tmp;

    @Test
    void twoJobsBackUpIntoOneRepositoryAtOnce() throws Exception {
        Path a = tmp.resolve("a"), b = tmp.resolve("b");
        Files.createDirectories(a);
        Files.createDirectories(b);
        for (int i = 0; i < 4; i++) {
            Trees.random(a.resolve("f" + i), i, 700 * 1024);
            Trees.random(b.resolve("f" + i), 100 + i, 700 * 1024);
        }
        RepoFixture repo = new RepoFixture(tmp);
        CompletableFuture<BackupRun.Result> ja = CompletableFuture.supplyAsync(() -> run(repo, "job-a", a));
        CompletableFuture<BackupRun.Result> jb = CompletableFuture.supplyAsync(() -> run(repo, "job-b", b));
        BackupRun.Result ra = ja.join(), rb = jb.join();
        try (Repository r = repo.open()) {
            assertThat(r.snapshots(null)).extracting(s -> s.header().job()).containsExactlyInAnyOrder("job-a", "job-b");
            assertThat(Maintenance.check(r, true, null).errors()).isEmpty();
        }
        assertThat(repo.restore(ra.snapshotId(), tmp.resolve("ra")).ok()).isTrue();
        assertThat(repo.restore(rb.snapshotId(), tmp.resolve("rb")).ok()).isTrue();
    }

    private static BackupRun.Result run(RepoFixture repo, String job, Path src) {
        try {
            return repo.backup(job, src);
        } catch (Exception e) {
            throw new RuntimeException(e);
        }
    }

    @Test
    void aLiveLockBlocksPruneNotBackupAndAStaleOneIsBroken() throws Exception {
        Path src = tmp.resolve("src");
        Files.createDirectories(src);
        Files.writeString(src.resolve("f"), "x");
        RepoFixture repo = new RepoFixture(tmp);
        try (Repository r = repo.open(); RepoLock live = RepoLock.acquire(r, false, "other-job")) {
            assertThat(repo.backup("j", src).snapshotId()).isNotEmpty();
            assertThatThrownBy(() -> Maintenance.prune(r, 0.05, Maintenance.Steps.NONE))
                    .hasMessageContaining("CAIRN-BACKUP-0030").hasMessageContaining("job other-job");
        }
        try (Repository r = repo.open()) {
            // a lock left by a process that is gone (this host, a pid that cannot exist)
            var o = new dev.cairn.backup.repo.Wire.Out(64);
            o.u8(1).str(RepoLock.hostName()).u64(Integer.MAX_VALUE - 7).u64(System.currentTimeMillis()).str("dead");
            r.store().putIfAbsent("locks/deadbeefdeadbeefdeadbeefdeadbeef", r.crypto().seal(o.toByteArray(), "cairn-lock"));
            assertThat(RepoLock.holders(r)).hasSize(1);
            Maintenance.prune(r, 0.05, Maintenance.Steps.NONE);
            assertThat(RepoLock.holders(r)).as("the stale lock was broken, prune's own released").isEmpty();
        }
        assertThat(Crypto.random(1)).hasSize(1);
    }

    private static void foreignLock(Repository r, String name, long ageMs) throws Exception {
        var o = new dev.cairn.backup.repo.Wire.Out(64);
        // a shared lock of a backup on another host: its pid cannot be checked from here, only its age
        o.u8(0).str("other-host.example").u64(4242).u64(System.currentTimeMillis() - ageMs).str("remote-job");
        r.store().putIfAbsent("locks/" + name, r.crypto().seal(o.toByteArray(), "cairn-lock"));
    }

    @Test
    void aForeignLockBlocksPruneWhileRefreshedAndIsBrokenOnceOlderThanTheTimeout() throws Exception {
        RepoFixture repo = new RepoFixture(tmp);
        try (Repository r = repo.open()) {
            foreignLock(r, "0123456789abcdef0123456789abcdef", RepoLock.REFRESH_EVERY.toMillis());
            assertThatThrownBy(() -> Maintenance.prune(r, 0.05, Maintenance.Steps.NONE))
                    .hasMessageContaining("CAIRN-BACKUP-0030").hasMessageContaining("on other-host.example");
            assertThat(RepoLock.holders(r)).as("a live lock is never broken").hasSize(1);
            r.store().delete("locks/0123456789abcdef0123456789abcdef");

            foreignLock(r, "fedcba9876543210fedcba9876543210", RepoLock.STALE_AFTER.toMillis() + 60_000);
            Maintenance.prune(r, 0.05, Maintenance.Steps.NONE);
            assertThat(RepoLock.holders(r)).as("not refreshed for longer than the timeout: stale").isEmpty();
        }
    }
}
