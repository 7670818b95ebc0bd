package dev.cairn.backup;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.backup.repo.BackupRun;
import dev.cairn.backup.repo.Backups;
import dev.cairn.backup.repo.Maintenance;
import dev.cairn.backup.repo.RepoKey;
import dev.cairn.backup.repo.Repository;
import dev.cairn.backup.source.DirectorySource;
import dev.cairn.backup.store.LocalStore;
import dev.cairn.backup.store.Store;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A store that ignores conditional writes (as some S3-compatible servers ignore If-None-Match):
 * every put overwrites. Objects are named by their content, so two writers racing on the same
 * names write the same bytes, and the repository stays valid.
 */
class UnconditionalStoreTest {

    @TempDir
    Path tmp;

    /** Overwrites on every put and claims it created the object. */
    static final class Overwriting implements Store {
        final LocalStore local;
        final AtomicInteger overwrites = new AtomicInteger();

        Overwriting(Path dir) {
            local = new LocalStore(dir);
        }

        @Override
        public boolean putIfAbsent(String name, byte[] data, int off, int len) throws IOException {
            if (!local.list(name).isEmpty()) {
                overwrites.incrementAndGet();
                local.delete(name);
            }
            local.putIfAbsent(name, data, off, len);
            return true;
        }

        @Override public byte[] get(String name) throws IOException { return local.get(name); }
        @Override public byte[] get(String name, long o, int l) throws IOException { return local.get(name, o, l); }
        @Override public List<StoreObject> list(String p) throws IOException { return local.list(p); }
        @Override public void delete(String name) throws IOException { local.delete(name); }
        @Override public String describe() { return "overwriting " + local.describe(); }
    }

    @Test
    void twoWritersOfTheSameDataOnAStoreWithoutConditionalWritesLeaveAValidRepository() throws Exception {
        Path src = tmp.resolve("src");
        Files.createDirectories(src);
        for (int i = 0; i < 4; i++) Trees.random(src.resolve("f" + i), i, 600 * 1024);
        Path key = tmp.resolve("key");
        RepoKey.generate(key);
        Overwriting store = new Overwriting(tmp.resolve("repo"));
        Repository.init(store, RepoKey.keyFile(key), RepoFixture.SMALL).close();
        // two hosts back up the same tree at once: the same packs are written twice, unconditionally
        CompletableFuture<BackupRun.Result> a = CompletableFuture.supplyAsync(() -> backup(store, key, "host-a", src));
        CompletableFuture<BackupRun.Result> b = CompletableFuture.supplyAsync(() -> backup(store, key, "host-b", src));
        a.join();
        b.join();
        BackupRun.Result c = backup(store, key, "host-a", src);
        try (Repository r = Repository.open(store, RepoKey.keyFile(key))) {
            assertThat(Maintenance.check(r, true, null).errors()).isEmpty();
            assertThat(r.snapshots(null)).hasSize(3);
        }
        RepoFixture f = RepoFixture.existing(tmp.resolve("repo"), key);
        Path out = tmp.resolve("out");
        assertThat(f.restore(c.snapshotId(), out).ok()).isTrue();
        Trees.assertSameTree(src, out.resolve("src"));
    }

    private static BackupRun.Result backup(Store store, Path key, String job, Path src) {
        try (Repository r = Repository.open(store, RepoKey.keyFile(key))) {
            return Backups.backup(r, job, new DirectorySource(List.of(src), List.of()), List.of(), 3, null);
        } catch (IOException | InterruptedException e) {
            throw new RuntimeException(e);
        }
    }
}
