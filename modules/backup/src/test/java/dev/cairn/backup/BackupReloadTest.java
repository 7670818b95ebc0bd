package dev.cairn.backup;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.backup.repo.RepoKey;
import dev.cairn.backup.repo.Repository;
import dev.cairn.core.lifecycle.ReloadResult;
import dev.cairn.core.testing.TestHost;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A reload of the {@code backup:} section in a real host, with a backup in progress: the job
 * {@code slow} is a command source that waits for a gate file the test creates, so a backup is
 * held mid-run for as long as the test needs (no fixed sleeps). Real repositories in a temp dir.
 */
class BackupReloadTest {

    private static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    Path dir;
    private final HttpClient http = HttpClient.newHttpClient();

    /**
     * The slow job's program: marks that it runs, fails if another run of it is under way (a
     * directory as the marker), waits for the gate, then writes its output.
     */
    private static final String SLOW = "mkdir running || { echo two runs at once >&2; exit 7; }; touch started;"
            + " while [ ! -e release ]; do sleep 0.05; done; rm -f release started; rmdir running; date +%s%N";

    @BeforeEach
    void data() throws Exception {
        Files.createDirectories(dir.resolve("data"));
        Files.writeString(dir.resolve("data/app.conf"), "port = 8080\n");
        Files.createDirectories(dir.resolve("work"));
    }

    /** The config: {@code slow} (gated), {@code files} (a directory) and {@code failing} (exits 3), each with its parameters. */
    private static String yaml(String repoKey, String slow, String files, boolean withSlow) {
        return """
                services: {}
                backup:
                  repositories:
                    local: { path: repo, key_file: %s, create: true }
                  jobs:
                %s    files:
                      source: { directory: { paths: [data] } }
                      repository: local
                %s
                    failing:
                      source: { command: { run: [sh, -c, "exit 3"], stdout_as: none.txt } }
                      schedule: manual
                      repository: local
                """.formatted(repoKey, withSlow ? """
                    slow:
                      source: { command: { run: [sh, -c, "%s"], stdout_as: out.txt, workdir: work } }
                      repository: local
                %s
                """.formatted(SLOW, indent(slow)) : "", indent(files));
    }

    private static String indent(String keys) {
        return keys.lines().map(l -> "      " + l).reduce((a, b) -> a + "\n" + b).orElse("");
    }

    private HttpResponse<String> runNow(TestHost h, String job) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(h.adminUrl() + "/api/modules/backup/run?job=" + job))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    }

    private CompletableFuture<HttpResponse<String>> runInBackground(TestHost h, String job) {
        return http.sendAsync(HttpRequest.newBuilder(URI.create(h.adminUrl() + "/api/modules/backup/run?job=" + job))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The job's next_run in the jobs action ("null" when it has none). */
    private String nextRun(TestHost h, String job) throws Exception {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"" + job + "\" : \\{[^}]*?\"next_run\" : (\"[^\"]*\"|null)").matcher(jobs(h));
        assertThat(m.find()).as("job " + job + " listed").isTrue();
        return m.group(1);
    }

    private String jobs(TestHost h) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(h.adminUrl() + "/api/modules/backup/jobs")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    /** Starts a run of {@code slow} and returns once its program is waiting at the gate. */
    private CompletableFuture<HttpResponse<String>> slowRunHeld(TestHost h) throws Exception {
        CompletableFuture<HttpResponse<String>> run = runInBackground(h, "slow");
        TestHost.await(WAIT, "the slow backup to be under way", () -> Files.exists(dir.resolve("work/started")) || run.isDone());
        assertThat(run).as("the slow backup is still running").isNotDone();
        return run;
    }

    private void release() throws Exception {
        Files.writeString(dir.resolve("work/release"), "");
    }

    private static HttpResponse<String> done(CompletableFuture<HttpResponse<String>> run) throws Exception {
        return run.get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }

    private int snapshotsInRepository(String job) throws Exception {
        try (Repository repo = Repository.open(new dev.cairn.backup.store.LocalStore(dir.resolve("repo")), RepoKey.keyFile(dir.resolve("local.key")))) {
            int n = 0;
            for (Repository.SnapshotRef s : repo.snapshots(null)) if (s.header().job().equals(job)) n++;
            return n;
        }
    }

    @Test
    void aReloadChangingAnotherJobLeavesTheRunningBackupAndTheOtherJobsMetricsAlone() throws Exception {
        String slow = "schedule: manual";
        try (TestHost h = TestHost.start(dir, yaml("local.key", slow, "schedule: every 1h\nkeep: { last: 2 }", true), new BackupModule())) {
            assertThat(runNow(h, "failing").statusCode()).isEqualTo(500);
            assertThat(h.metric("cairn_backup_failures", "backup_job", "failing")).isEqualTo(1.0);
            release();
            assertThat(runNow(h, "slow").statusCode()).isEqualTo(200);
            double slowSuccess = h.metric("cairn_backup_last_success_timestamp_seconds", "backup_job", "slow");
            assertThat(slowSuccess).isPositive();
            TestHost.await(WAIT, "files scheduled", () -> {
                try {
                    return !nextRun(h, "files").equals("null");
                } catch (Exception e) {
                    return false;
                }
            });

            CompletableFuture<HttpResponse<String>> run = slowRunHeld(h);
            ReloadResult r = h.reload(yaml("local.key", slow, "schedule: every 2h\nkeep: { last: 3 }\nexclude: [\"*.tmp\"]", true));
            assertThat(r.ok()).as(r.toString()).isTrue();
            assertThat(r.restartKeys()).isEmpty();
            assertThat(run).as("a reload waits for no backup").isNotDone();
            assertThat(nextRun(h, "files")).isNotEqualTo("null");
            release();
            HttpResponse<String> result = done(run);
            assertThat(result.statusCode()).as(result.body()).isEqualTo(200);
            assertThat(result.body()).contains("\"snapshot\"").contains("\"partial\" : false");
            assertThat(h.metric("cairn_backup_snapshots", "backup_job", "slow")).isEqualTo(2.0);
            assertThat(snapshotsInRepository("slow")).isEqualTo(2);

            // Unchanged jobs keep their metrics (a restart of the scheduler reset the counter and re-read the gauges).
            double after = h.metric("cairn_backup_last_success_timestamp_seconds", "backup_job", "slow");
            assertThat(after).as("the run that finished after the reload").isGreaterThan(slowSuccess);
            r = h.reload(yaml("local.key", slow, "schedule: every 3h\nkeep: { last: 3 }", true));
            assertThat(r.ok()).as(r.toString()).isTrue();
            assertThat(h.metric("cairn_backup_last_success_timestamp_seconds", "backup_job", "slow")).isEqualTo(after);
            assertThat(h.metric("cairn_backup_failures", "backup_job", "failing")).as("kept, not reset").isEqualTo(1.0);
            assertThat(h.metric("cairn_backup_failures", "backup_job", "slow")).isEqualTo(0.0);

            // A new job starts as at start-up: never backed up, its run is caught up at once.
            r = h.reload(yaml("local.key", slow, "schedule: every 3h\nkeep: { last: 3 }", true)
                    .replace("    failing:", "    extra:\n      source: { directory: { paths: [data] } }\n      schedule: every 1h\n"
                            + "      repository: local\n    failing:"));
            assertThat(r.ok()).as(r.toString()).isTrue();
            TestHost.await(WAIT, "the new job's first backup", () -> h.metric("cairn_backup_snapshots", "backup_job", "extra") == 1.0);
            assertThat(h.metric("cairn_backup_last_success_timestamp_seconds", "backup_job", "slow")).isEqualTo(after);
        }
    }

    @Test
    void aReloadOfTheRunningJobLetsItFinishUnderItsOldConfigAndTheNextRunTakesTheNew() throws Exception {
        try (TestHost h = TestHost.start(dir, yaml("local.key", "schedule: manual\nkeep: { last: 5 }", "schedule: manual", true), new BackupModule())) {
            for (int i = 0; i < 2; i++) {
                release();
                HttpResponse<String> r = runNow(h, "slow");
                assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            }
            assertThat(h.metric("cairn_backup_snapshots", "backup_job", "slow")).isEqualTo(2.0);

            CompletableFuture<HttpResponse<String>> third = slowRunHeld(h);
            ReloadResult r = h.reload(yaml("local.key", "schedule: every 1h\nkeep: { last: 1 }", "schedule: manual", true));
            assertThat(r.ok()).as(r.toString()).isTrue();
            assertThat(nextRun(h, "slow")).as("the new schedule").isNotEqualTo("null");
            // The next run waits for the one under way (the program fails if two run at once).
            CompletableFuture<HttpResponse<String>> fourth = runInBackground(h, "slow");
            assertThat(third).isNotDone();
            release();
            HttpResponse<String> t = done(third);
            assertThat(t.statusCode()).as(t.body()).isEqualTo(200);
            assertThat(t.body()).as("the old keep (last 5) forgot nothing").contains("\"forgotten\" : 0");
            TestHost.await(WAIT, "the next run to be under way", () -> Files.exists(dir.resolve("work/started")) || fourth.isDone());
            release();
            HttpResponse<String> f = done(fourth);
            assertThat(f.statusCode()).as(f.body()).isEqualTo(200);
            assertThat(f.body()).as("the new keep (last 1)").contains("\"forgotten\" : 3");
            assertThat(h.metric("cairn_backup_snapshots", "backup_job", "slow")).isEqualTo(1.0);
            assertThat(snapshotsInRepository("slow")).isEqualTo(1);
            assertThat(h.metric("cairn_backup_failures", "backup_job", "slow")).as("no run failed or was interrupted").isEqualTo(0.0);
        }
    }

    @Test
    void aReloadWithARepositoryKeyThatDoesNotOpenItIsRefusedAndTheJobsKeepRunning() throws Exception {
        String files = "schedule: every 1h\ncatch_up: false\nkeep: { last: 5 }";
        try (TestHost h = TestHost.start(dir, yaml("local.key", "schedule: manual", files, true), new BackupModule())) {
            assertThat(runNow(h, "files").statusCode()).isEqualTo(200);
            TestHost.await(WAIT, "files scheduled", () -> {
                try {
                    return !nextRun(h, "files").equals("null");
                } catch (Exception e) {
                    return false;
                }
            });
            String before = nextRun(h, "files");
            RepoKey.generate(dir.resolve("other.key"));

            CompletableFuture<HttpResponse<String>> run = slowRunHeld(h);
            ReloadResult r = h.reload(yaml("other.key", "schedule: manual", "schedule: daily 03:17\nkeep: { last: 1 }", true));
            assertThat(r.ok()).isFalse();
            assertThat(String.join("\n", r.errors())).contains("backup.repositories.local")
                    .contains("key_file " + dir.resolve("other.key")).contains("CAIRN-BACKUP-0002 wrong key")
                    .contains("the running jobs keep their config");
            assertThat(h.metric("cairn_config_reload_success")).isEqualTo(0.0);
            assertThat(nextRun(h, "files")).as("files still scheduled as before").isEqualTo(before);

            release();
            HttpResponse<String> held = done(run);
            assertThat(held.statusCode()).as(held.body()).isEqualTo(200);
            HttpResponse<String> again = runNow(h, "files");
            assertThat(again.statusCode()).as(again.body()).isEqualTo(200);
            assertThat(h.metric("cairn_backup_snapshots", "backup_job", "files")).as("the old keep (last 5) still applies").isEqualTo(2.0);

            // Fixed, the same change applies.
            r = h.reload(yaml("local.key", "schedule: manual", "schedule: daily 03:17\nkeep: { last: 1 }", true));
            assertThat(r.ok()).as(r.toString()).isTrue();
            assertThat(runNow(h, "files").statusCode()).isEqualTo(200);
            assertThat(h.metric("cairn_backup_snapshots", "backup_job", "files")).isEqualTo(1.0);
        }
    }

    @Test
    void aJobRemovedDuringItsBackupFinishesItAndIsGone() throws Exception {
        try (TestHost h = TestHost.start(dir, yaml("local.key", "schedule: every 1h", "schedule: manual", true), new BackupModule())) {
            TestHost.await(WAIT, "the catch-up run of slow to be under way", () -> Files.exists(dir.resolve("work/started")));
            // Also one started by hand, waiting for the first.
            CompletableFuture<HttpResponse<String>> byHand = runInBackground(h, "slow");
            ReloadResult r = h.reload(yaml("local.key", "", "schedule: manual", false));
            assertThat(r.ok()).as(r.toString()).isTrue();
            assertThat(jobs(h)).doesNotContain("\"slow\"").contains("\"files\"");
            release();
            TestHost.await(WAIT, "the removed job's backup to be written", () -> {
                try {
                    return snapshotsInRepository("slow") >= 1;
                } catch (Exception e) {
                    return false;
                }
            });
            HttpResponse<String> waited = done(byHand);
            assertThat(waited.statusCode()).as("the run waiting for it finds the job gone").isEqualTo(404);
            assertThat(snapshotsInRepository("slow")).isEqualTo(1);
            assertThat(h.metric("cairn_backup_snapshots", "backup_job", "slow")).as("its series are gone").isNaN();
            assertThat(h.metric("cairn_backup_failures", "backup_job", "slow")).isNaN();
            assertThat(runNow(h, "slow").statusCode()).isEqualTo(404);
            assertThat(runNow(h, "files").statusCode()).isEqualTo(200);
            assertThat(Files.exists(dir.resolve("work/running"))).as("its program ended").isFalse();
        }
    }

    @Test
    void thePlanOfAReloadSaysWhichJobsChangeAndWhichRepositoriesAreOpened() throws Exception {
        try (TestHost h = TestHost.start(dir, yaml("local.key", "schedule: manual", "schedule: manual", true), new BackupModule())) {
            Files.writeString(h.configFile(), yaml("local.key", "", "schedule: daily 03:00", false) + "\nadmin:\n  listen: 127.0.0.1:0\n");
            ReloadResult plan = h.host().plan();
            assertThat(plan.ok()).as(plan.toString()).isTrue();
            assertThat(String.join("\n", plan.applied()))
                    .contains("job files: changed, applies from its next run")
                    .contains("job slow: removed")
                    .doesNotContain("job failing").doesNotContain("repository local");
            // A repository's change changes every job that uses it.
            Files.writeString(h.configFile(), yaml("other.key", "schedule: manual", "schedule: manual", true) + "\nadmin:\n  listen: 127.0.0.1:0\n");
            plan = h.host().plan();
            assertThat(String.join("\n", plan.applied()))
                    .contains("job failing: changed").contains("job files: changed").contains("job slow: changed")
                    .contains("repository local: opened with its key before the reload applies");
            release();
            assertThat(runNow(h, "slow").statusCode()).as("a plan applies nothing").isEqualTo(200);
        }
    }
}
