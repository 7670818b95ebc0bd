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
import dev.cairn.backup.store.S3Store;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The S3 store against a real s3proxy (its own JVM), directly and through a fault-injecting proxy. */
class S3StoreTest {

    @TempDir
    static Path shared;
    static S3Proxy s3;
    static final AtomicInteger BUCKETS = new AtomicInteger();

    @TempDir
    Path tmp;

    /** 8 MiB packs so a 5 MiB multipart threshold splits them into parts. */
    static final Repository.Params BIG_PACKS = new Repository.Params(new byte[16], 64 * 1024, 256 * 1024, 1024 * 1024, 8 * 1024 * 1024);

    @BeforeAll
    static void startS3() throws Exception {
        s3 = new S3Proxy(shared);
    }

    @AfterAll
    static void stopS3() throws Exception {
        if (s3 != null) s3.close();
    }

    private static S3Store store(int port, String bucket, boolean checksums, int retries) throws Exception {
        S3Store st = new S3Store(new S3Store.Settings(URI.create("http://127.0.0.1:" + port), "us-east-1", bucket, "cairn/",
                S3Proxy.ID, S3Proxy.SECRET, checksums, S3Store.MIN_PART, retries, Duration.ofSeconds(30)));
        return st;
    }

    private static String bucket() {
        return "bucket-" + BUCKETS.incrementAndGet();
    }

    private Path data() throws Exception {
        Path src = tmp.resolve("src");
        Files.createDirectories(src);
        Trees.random(src.resolve("large.bin"), 1, 12 * 1024 * 1024);
        Trees.text(src.resolve("app.log"), 20_000, 2);
        Files.writeString(src.resolve("small.txt"), "hello\n");
        return src;
    }

    private void roundTrip(S3Store store, Path src) throws Exception {
        Path key = tmp.resolve("key");
        if (!Files.exists(key)) RepoKey.generate(key);
        BackupRun.Result r;
        try (Repository repo = Repository.init(store, RepoKey.keyFile(key), BIG_PACKS)) {
            r = Backups.backup(repo, "j", new DirectorySource(List.of(src), List.of()), List.of(), 3, null);
            assertThat(r.packs()).as("a pack above the 5 MiB multipart threshold").isGreaterThanOrEqualTo(1);
        }
        try (Repository repo = Repository.open(store, RepoKey.keyFile(key))) {
            assertThat(Maintenance.check(repo, true, null).errors()).isEmpty();
            Path out = tmp.resolve("out-" + System.nanoTime());
            Restorer.Result res = new Restorer(repo, new Restorer.Options(out, List.of(), 2, null)).restore(repo.readSnapshot(r.snapshotId()));
            assertThat(res.ok()).as(res.toString()).isTrue();
            Trees.assertSameTree(src, out.resolve("src"));
            BackupRun.Result again = Backups.backup(repo, "j", new DirectorySource(List.of(src), List.of()), List.of(), 3, null);
            assertThat(again.filesRead()).isZero();
        }
    }

    @Test
    void backupRestoreAndCheckThroughS3WithMultipartUploads() throws Exception {
        try (S3Store store = store(s3.port, bucket(), true, 3)) {
            store.createBucketIfMissing();
            roundTrip(store, data());
        }
    }

    @Test
    void requestChecksumsCanBeTurnedOff() throws Exception {
        try (S3Store store = store(s3.port, bucket(), false, 3)) {
            store.createBucketIfMissing();
            roundTrip(store, data());
        }
    }

    @Test
    void transientFaultsAreRetried503MidUploadResetsAndSlowReads() throws Exception {
        try (FaultProxy proxy = new FaultProxy(s3.port); S3Store store = store(proxy.port, bucket(), true, 6)) {
            store.createBucketIfMissing();
            AtomicInteger parts = new AtomicInteger(), puts = new AtomicInteger(), slow = new AtomicInteger();
            proxy.rules = (line, n) -> {
                if (line.startsWith("PUT") && line.contains("partNumber=2") && parts.incrementAndGet() == 1) return FaultProxy.Fault.STATUS_503;
                if (line.startsWith("PUT") && line.contains("/index/") && puts.incrementAndGet() == 1) return FaultProxy.Fault.RESET_MID_BODY;
                if (line.startsWith("GET") && line.contains("/data/") && slow.incrementAndGet() <= 3) return FaultProxy.Fault.SLOW;
                if (n % 7 == 0) return FaultProxy.Fault.STATUS_503;
                return FaultProxy.Fault.NONE;
            };
            roundTrip(store, data());
            assertThat(parts.get()).as("a second part was uploaded (multipart) and failed once").isGreaterThanOrEqualTo(1);
            assertThat(puts.get()).as("an index upload was reset once").isGreaterThanOrEqualTo(1);
            assertThat(proxy.injected.get()).isGreaterThan(3);
        }
    }

    @Test
    void aStoreThatKeepsFailingFailsTheBackupAndLosesNothing() throws Exception {
        String bucket = bucket();
        Path src = data();
        Path key = tmp.resolve("key");
        RepoKey.generate(key);
        String first;
        try (S3Store direct = store(s3.port, bucket, true, 2)) {
            direct.createBucketIfMissing();
            Path small = tmp.resolve("small");
            Files.createDirectories(small);
            Files.writeString(small.resolve("a"), "first snapshot\n");
            try (Repository repo = Repository.init(direct, RepoKey.keyFile(key), BIG_PACKS)) {
                first = Backups.backup(repo, "j", new DirectorySource(List.of(small), List.of()), List.of(), 3, null).snapshotId();
            }
        }
        try (FaultProxy proxy = new FaultProxy(s3.port); S3Store flaky = store(proxy.port, bucket, true, 2)) {
            proxy.rules = (line, n) -> line.startsWith("PUT") && line.contains("/data/") ? FaultProxy.Fault.STATUS_503 : FaultProxy.Fault.NONE;
            try (Repository repo = Repository.open(flaky, RepoKey.keyFile(key))) {
                assertThatThrownBy(() -> Backups.backup(repo, "j", new DirectorySource(List.of(src), List.of()), List.of(), 3, null))
                        .hasStackTraceContaining("503");
            }
        }
        try (S3Store direct = store(s3.port, bucket, true, 2); Repository repo = Repository.open(direct, RepoKey.keyFile(key))) {
            assertThat(repo.snapshots(null)).extracting(Repository.SnapshotRef::id).containsExactly(first);
            assertThat(Maintenance.check(repo, true, null).errors()).isEmpty();
            // 3-2-1: copy to a local directory, then the copy opens and checks on its own
            Path copyDir = tmp.resolve("copy");
            assertThat(Maintenance.copy(direct, new LocalStore(copyDir))).last().asString().startsWith("copied ");
            try (Repository copy = Repository.open(new LocalStore(copyDir), RepoKey.keyFile(key))) {
                assertThat(Maintenance.check(copy, true, null).errors()).isEmpty();
                assertThat(copy.snapshots(null)).hasSize(1);
            }
            assertThat(Maintenance.copy(direct, new LocalStore(copyDir))).last().asString().startsWith("copied 0 objects");
        }
    }
}
