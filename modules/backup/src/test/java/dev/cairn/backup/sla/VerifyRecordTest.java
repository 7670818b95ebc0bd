package dev.cairn.backup.sla;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cairn.backup.BackupModule;
import dev.cairn.backup.repo.Backups;
import dev.cairn.backup.repo.Maintenance;
import dev.cairn.backup.repo.RepoKey;
import dev.cairn.backup.repo.Repository;
import dev.cairn.backup.repo.VerifyRecord;
import dev.cairn.backup.retention.KeepPolicy;
import dev.cairn.backup.source.DirectorySource;
import dev.cairn.backup.store.LocalStore;
import dev.cairn.core.testing.TestHost;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Verification results live in the repository ({@code verify/} records): a restarted module shows
 * the same verified versions, last verification and restore time without verifying again; a record
 * altered on disk is rejected, and its snapshot no longer counts; records go with their snapshots.
 */
class VerifyRecordTest {

    static final ObjectMapper JSON = new ObjectMapper();

    static final String YAML = """
            backup:
              repositories:
                local: { path: repo, key_file: repo.key, create: true }
              jobs:
                files:
                  repository: local
                  schedule: manual
                  source: { directory: { paths: [etc] } }
                  sla: { versions: 2, verify: restore-test, rto: 5m }
            """;

    static HttpResponse<String> call(TestHost h, String method, String path) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(h.adminUrl() + path))
                .method(method, HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    }

    static JsonNode sla(TestHost h) throws Exception {
        return BackupSlaModuleTest.find(JSON.readTree(call(h, "GET", "/api/status").body()), "backup")
                .path("details").path("jobs").path("files").path("sla");
    }

    record Seen(double versions, double lastVerified, double verifyOk, double restoreSeconds, double versionsMet, String lastVerify) {
        static Seen of(TestHost h) throws Exception {
            return new Seen(h.metric("cairn_backup_versions_verified", "backup_job", "files"),
                    h.metric("cairn_backup_last_verified_timestamp_seconds", "backup_job", "files"),
                    h.metric("cairn_backup_verify_success", "backup_job", "files"),
                    h.metric("cairn_backup_restore_test_duration_seconds", "backup_job", "files"),
                    h.metric("cairn_backup_sla_met", "backup_job", "files", "reason", "versions"),
                    sla(h).path("last_verify").asText());
        }
    }

    @Test
    void aRestartedModuleShowsTheStoredVerificationsAndRejectsATamperedRecord(@TempDir Path dir) throws Exception {
        Files.createDirectories(dir.resolve("etc"));
        Files.writeString(dir.resolve("etc/site.yml"), "- hosts: all\n");
        Seen before;
        try (TestHost h = TestHost.start(dir, YAML, new BackupModule())) {
            for (int i = 0; i < 2; i++) {
                Files.writeString(dir.resolve("etc/run" + i), "run " + i + "\n");
                HttpResponse<String> r = call(h, "POST", "/api/modules/backup/run?job=files");
                assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            }
            before = Seen.of(h);
        }
        assertThat(before.versions()).isEqualTo(2);
        assertThat(before.versionsMet()).isEqualTo(1);
        assertThat(before.restoreSeconds()).isPositive();
        assertThat(before.lastVerify()).startsWith("ok: restored and matched in");
        List<Path> records = records(dir);
        assertThat(records).as("one record per verified snapshot").hasSize(2);

        // A new instance on the same repository: the same state, read from the records, nothing re-verified.
        try (TestHost h = TestHost.start(dir, YAML, new BackupModule())) {
            TestHost.await(Duration.ofSeconds(30), "the job's state read from the repository",
                    () -> h.metric("cairn_backup_versions_verified", "backup_job", "files") == 2);
            assertThat(Seen.of(h)).isEqualTo(before);
            assertThat(sla(h).path("sla_met").asBoolean()).isTrue();
        }
        assertThat(records(dir)).as("a restart writes no record").hasSize(2);

        // One byte of the newest record altered: it does not authenticate, and its snapshot is unverified.
        Path newest = newestRecord(dir);
        byte[] b = Files.readAllBytes(newest);
        b[b.length / 2] ^= 1;
        Files.write(newest, b);
        try (TestHost h = TestHost.start(dir, YAML, new BackupModule())) {
            TestHost.await(Duration.ofSeconds(30), "the job's state read from the repository",
                    () -> h.metric("cairn_backup_versions_verified", "backup_job", "files") == 1);
            assertThat(h.metric("cairn_backup_sla_met", "backup_job", "files", "reason", "versions")).isEqualTo(0);
            assertThat(h.metric("cairn_backup_last_verified_timestamp_seconds", "backup_job", "files"))
                    .as("the older record's time").isLessThan(before.lastVerified());
            JsonNode s = sla(h);
            assertThat(s.path("verify_records_rejected").toString()).contains("CAIRN-BACKUP-0055")
                    .contains(newest.getFileName().toString());
            assertThat(s.path("breaches").toString()).contains("1 verified version(s), the SLA promises 2");
        }
    }

    @Test
    void aFilesRestoreTestOverADamagedPackFailsAndTheSnapshotDoesNotCount(@TempDir Path dir) throws Exception {
        Files.createDirectories(dir.resolve("etc"));
        Files.writeString(dir.resolve("etc/site.yml"), "- hosts: all\n");
        try (TestHost h = TestHost.start(dir, YAML, new BackupModule())) {
            assertThat(call(h, "POST", "/api/modules/backup/run?job=files").statusCode()).isEqualTo(200);
            assertThat(h.metric("cairn_backup_verify_success", "backup_job", "files")).isEqualTo(1);
            // one byte of site.yml's blob flipped in its pack; the next snapshot still uses that blob
            try (Repository r = Repository.open(new LocalStore(dir.resolve("repo")), RepoKey.keyFile(dir.resolve("repo.key")))) {
                var snap = r.readSnapshot(Backups.latest(r, "files").id());
                var node = snap.nodes().stream().filter(n -> n.path().endsWith("site.yml")).findFirst().orElseThrow();
                var loc = r.index().get(node.chunks().get(0));
                try (var f = new java.io.RandomAccessFile(dir.resolve("repo").resolve(dev.cairn.backup.repo.Pack.objectName(loc.packHex())).toFile(), "rw")) {
                    f.seek(loc.offset() + loc.length() / 2);
                    int x = f.read();
                    f.seek(loc.offset() + loc.length() / 2);
                    f.write(x ^ 0x10);
                }
            }
            Files.writeString(dir.resolve("etc/later"), "a second snapshot\n");
            assertThat(call(h, "POST", "/api/modules/backup/run?job=files").statusCode()).isEqualTo(200);
            assertThat(h.metric("cairn_backup_verify_success", "backup_job", "files")).isEqualTo(0);
            assertThat(h.metric("cairn_backup_sla_met", "backup_job", "files", "reason", "verify")).isEqualTo(0);
            JsonNode s = sla(h);
            assertThat(s.path("last_verify").asText()).contains("site.yml").contains("damaged");
            assertThat(s.path("versions_verified").asInt()).as("only the first snapshot counts").isEqualTo(1);
        }
    }

    private static List<Path> records(Path dir) throws Exception {
        Path d = dir.resolve("repo/verify");
        if (!Files.isDirectory(d)) return List.of();
        try (Stream<Path> s = Files.list(d)) {
            return s.filter(p -> !p.getFileName().toString().startsWith(".")).toList();
        }
    }

    private static Path newestRecord(Path dir) throws Exception {
        Path newest = null;
        Instant best = null;
        try (Repository repo = Repository.open(new LocalStore(dir.resolve("repo")), RepoKey.keyFile(dir.resolve("repo.key")))) {
            for (Path p : records(dir)) {
                Instant t = VerifyRecord.read(repo, VerifyRecord.PREFIX + p.getFileName()).time();
                if (best == null || t.isAfter(best)) {
                    best = t;
                    newest = p;
                }
            }
        }
        return newest;
    }

    @Test
    void recordsGoWithTheirSnapshotsOnForgetAndPrune(@TempDir Path dir) throws Exception {
        Path src = dir.resolve("src");
        Files.createDirectories(src);
        Files.writeString(src.resolve("a"), "a\n");
        Path k = dir.resolve("k");
        RepoKey.generate(k);
        try (Repository repo = Repository.init(new LocalStore(dir.resolve("repo")), RepoKey.keyFile(k), Repository.Params.defaults())) {
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                Files.writeString(src.resolve("n"), "n" + i + "\n");
                String id = Backups.backup(repo, "j", new DirectorySource(List.of(src), List.of()), List.of(), 3, null).snapshotId();
                ids.add(id);
                new VerifyRecord(id, "j", VerifyRecord.Kind.STRUCTURE, Instant.now(), true, "structure", null, null).write(repo);
            }
            new VerifyRecord("ab".repeat(32), "j", VerifyRecord.Kind.READ_DATA, Instant.now(), true, "of a snapshot never stored", null,
                    Duration.ofMinutes(5)).write(repo);
            assertThat(snapshotsOfRecords(repo)).containsExactlyInAnyOrder(ids.get(0), ids.get(1), ids.get(2), "ab".repeat(32));

            Maintenance.forget(repo, "j", new KeepPolicy(1, 0, 0, 0, 0, 0, Duration.ZERO), ZoneId.of("UTC"), false);
            assertThat(snapshotsOfRecords(repo)).containsExactlyInAnyOrder(ids.get(2), "ab".repeat(32));

            Maintenance.PruneResult p = Maintenance.prune(repo, 0.05, Maintenance.Steps.NONE);
            assertThat(snapshotsOfRecords(repo)).containsExactly(ids.get(2));
            assertThat(p.lines().get(0)).contains("removed 1 verify records");
            assertThat(Maintenance.check(repo, true, null).errors()).isEmpty();
        }
    }

    private static List<String> snapshotsOfRecords(Repository repo) throws Exception {
        List<String> rejected = new ArrayList<>();
        List<String> out = VerifyRecord.readAll(repo, rejected).stream().map(VerifyRecord::snapshot).toList();
        assertThat(rejected).isEmpty();
        return out;
    }
}
