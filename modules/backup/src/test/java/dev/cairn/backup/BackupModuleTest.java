package dev.cairn.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cairn.core.cli.Main;
import dev.cairn.core.config.ConfigLoader;
import dev.cairn.core.config.ModuleRegistry;
import dev.cairn.core.testing.TestHost;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The module in a real host: config checks, catch-up at start, the run action, metrics, status, and the CLI verbs. */
class BackupModuleTest {

    @TempDir
    Path dir;

    private String yaml(String schedule) {
        return """
                services: {}
                backup:
                  repositories:
                    local:
                      path: var/backups
                      key_file: var/backups.key
                      create: true
                  jobs:
                    files:
                      source: { directory: { paths: [data] } }
                      schedule: "%s"
                      timezone: Europe/Berlin
                      repository: local
                      keep: { last: 2 }
                      exclude: ["*.tmp"]
                """.formatted(schedule);
    }

    record Run(int code, String out, String err) {
    }

    private Run cli(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        PrintStream oldOut = System.out, oldErr = System.err;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        int code;
        try {
            code = Main.execute(ModuleRegistry.of(new BackupModule()), args);
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void theConsoleShowsEachJobAgainstItsRpoAndRunsItAfterConfirmation() throws Exception {
        Files.createDirectories(dir.resolve("data"));
        Files.writeString(dir.resolve("data/app.conf"), "port = 8080\n");
        try (TestHost h = TestHost.start(dir, yaml("manual"))) {
            HttpClient http = HttpClient.newHttpClient();
            String page = http.send(HttpRequest.newBuilder(URI.create(h.adminUrl() + "/")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            assertThat(page).contains("<section id=\"backup\">").contains("<tr data-job=\"files\" class=\"alarm\"><td>files</td><td class=\"down\">never")
                    .contains("name=\"module_action\" value=\"run\"");
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("name=\"csrf\" value=\"([^\"]+)\"").matcher(page);
            assertThat(m.find()).isTrue();
            String form = "action=module&module=backup&module_action=run&target=files&target_key=job&csrf=" + m.group(1);
            HttpResponse<String> asked = http.send(HttpRequest.newBuilder(URI.create(h.adminUrl() + "/ui/action"))
                    .header("Content-Type", "application/x-www-form-urlencoded").POST(HttpRequest.BodyPublishers.ofString(form)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(asked.body()).contains("cairn backup run files");
            assertThat(h.metric("cairn_backup_snapshots", "backup_job", "files")).isNotEqualTo(1.0);
            HttpResponse<String> done = http.send(HttpRequest.newBuilder(URI.create(h.adminUrl() + "/ui/action"))
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .POST(HttpRequest.BodyPublishers.ofString(form + "&confirm=yes")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(done.statusCode()).isEqualTo(303);
            assertThat(h.metric("cairn_backup_snapshots", "backup_job", "files")).isEqualTo(1.0);
            String after = http.send(HttpRequest.newBuilder(URI.create(h.adminUrl() + "/")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            String row = after.substring(after.indexOf("<tr data-job=\"files\""));
            assertThat(row.substring(0, row.indexOf("</tr>"))).doesNotContain(">never<").contains("<td>1</td>");
        }
    }

    @Test
    void eachRunsFiguresAreMetricsAndAFailingStoreCountsAFailureAndAStoreError() throws Exception {
        Files.createDirectories(dir.resolve("data"));
        Files.writeString(dir.resolve("data/app.conf"), "port = 8080\n");
        try (TestHost h = TestHost.start(dir, yaml("manual"))) {
            HttpClient http = HttpClient.newHttpClient();
            HttpRequest run = HttpRequest.newBuilder(URI.create(h.adminUrl() + "/api/modules/backup/run?job=files"))
                    .POST(HttpRequest.BodyPublishers.noBody()).build();
            assertThat(h.metric("cairn_backup_failures", "backup_job", "files")).as("a series from the start").isZero();
            assertThat(h.metric("cairn_backup_store_errors", "repository", "local")).isZero();
            HttpResponse<String> ok = http.send(run, HttpResponse.BodyHandlers.ofString());
            assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
            double now = System.currentTimeMillis() / 1000.0;
            assertThat(h.metric("cairn_backup_stored_bytes", "backup_job", "files")).as("the source's bytes").isEqualTo(12.0);
            assertThat(h.metric("cairn_backup_last_added_bytes", "backup_job", "files")).as("one pack and a manifest").isGreaterThan(12.0);
            assertThat(h.metric("cairn_backup_last_duration_seconds", "backup_job", "files")).isPositive().isLessThan(120.0);
            double success = h.metric("cairn_backup_last_success_timestamp_seconds", "backup_job", "files");
            assertThat(success).isCloseTo(now, org.assertj.core.data.Offset.offset(60.0));
            assertThat(h.metric("cairn_backup_last_attempt_timestamp_seconds", "backup_job", "files")).isEqualTo(success);

            // the repository's data/ directory turned into a file: the next pack cannot be written
            Trees.sh("rm", "-rf", dir.resolve("var/backups/data").toString());
            Files.writeString(dir.resolve("var/backups/data"), "in the way\n");
            Files.writeString(dir.resolve("data/app.conf"), "port = 9090 and a change to store\n");
            HttpResponse<String> failed = http.send(run, HttpResponse.BodyHandlers.ofString());
            assertThat(failed.statusCode()).as(failed.body()).isEqualTo(500);
            assertThat(h.metric("cairn_backup_failures", "backup_job", "files")).isEqualTo(1.0);
            assertThat(h.metric("cairn_backup_store_errors", "repository", "local")).isEqualTo(1.0);
            assertThat(h.metric("cairn_backup_last_success_timestamp_seconds", "backup_job", "files")).as("unchanged").isEqualTo(success);
            assertThat(h.metric("cairn_backup_last_attempt_timestamp_seconds", "backup_job", "files")).isGreaterThanOrEqualTo(success);
            assertThat(h.metric("cairn_backup_snapshots", "backup_job", "files")).isEqualTo(1.0);

            // cairn backup run (the AMY seed's dump before a deployment) exits non-zero on the same failure
            Run cliRun = cli("backup", "-c", h.configFile().toString(), "run", "files", "--tag", "before-deploy");
            assertThat(cliRun.code()).as(cliRun.out()).isNotZero();
            assertThat(cliRun.err()).contains("var/backups/data");
        }
    }

    @Test
    void aRunLongerThanTheAnswersWaitIsReportedOnUntilItEnds() throws Exception {
        // A source that takes 3 s: asked with wait=0 the answer comes at once, and the runs action follows it.
        String cfg = """
                services: {}
                backup:
                  repositories:
                    local: { path: var/backups, key_file: var/backups.key, create: true }
                  jobs:
                    slow:
                      source: { command: { run: [sh, -c, "sleep 3; echo dumped"], stdout_as: slow.out } }
                      schedule: manual
                      repository: local
                """;
        try (TestHost h = TestHost.start(dir, cfg)) {
            HttpClient http = HttpClient.newHttpClient();
            HttpResponse<String> started = http.send(HttpRequest.newBuilder(URI.create(h.adminUrl() + "/api/modules/backup/run?job=slow&wait=0"))
                    .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(started.statusCode()).as(started.body()).isEqualTo(200);
            assertThat(started.body()).contains("\"state\" : \"running\"");
            String id = BackupCli.stillRunning(started.body());
            assertThat(id).isNotBlank();
            HttpRequest poll = HttpRequest.newBuilder(URI.create(h.adminUrl() + "/api/modules/backup/runs?id=" + id)).build();
            TestHost.await(Duration.ofSeconds(60), "the run ends", () -> {
                try {
                    return !http.send(poll, HttpResponse.BodyHandlers.ofString()).body().contains("running");
                } catch (java.io.IOException | InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            HttpResponse<String> done = http.send(poll, HttpResponse.BodyHandlers.ofString());
            assertThat(done.statusCode()).as(done.body()).isEqualTo(200);
            assertThat(done.body()).contains("\"state\" : \"done\"").contains("\"snapshot\"").contains("\"job\" : \"slow\"");
            assertThat(h.metric("cairn_backup_snapshots", "backup_job", "slow")).isEqualTo(1.0);

            HttpResponse<String> unknown = http.send(HttpRequest.newBuilder(URI.create(h.adminUrl() + "/api/modules/backup/runs?id=999")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(unknown.statusCode()).isEqualTo(404);
            HttpResponse<String> badWait = http.send(HttpRequest.newBuilder(URI.create(h.adminUrl() + "/api/modules/backup/run?job=slow&wait=60"))
                    .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(badWait.statusCode()).isEqualTo(400);
            assertThat(badWait.body()).contains("wait must be whole seconds from 0 to 25");

            // the CLI asks the daemon and prints the final answer (here within the answer's wait)
            Run cliRun = cli("backup", "-c", h.configFile().toString(), "--url", h.adminUrl(), "run", "slow", "--daemon");
            assertThat(cliRun.code()).as(cliRun.err() + cliRun.out()).isZero();
            assertThat(cliRun.out()).contains("\"state\":\"done\"").contains("\"snapshot\"");
            assertThat(h.metric("cairn_backup_snapshots", "backup_job", "slow")).isEqualTo(2.0);
        }
    }

    @Test
    void badConfigIsReportedWithLineAndKey() throws Exception {
        Path f = dir.resolve("cairn.yml");
        Files.writeString(f, yaml("daily 25:00").replace("repository: local", "repository: locl").replace("Europe/Berlin", "Mars/Base"));
        assertThatThrownBy(() -> new ConfigLoader(ModuleRegistry.of(new BackupModule())).load(f, null))
                .hasMessageContaining("cairn.yml:12:").hasMessageContaining("backup.jobs.files.schedule: 'daily 25:00'")
                .hasMessageContaining("backup.jobs.files.timezone: unknown time zone 'Mars/Base'")
                .hasMessageContaining("backup.jobs.files.repository: unknown repository 'locl' (did you mean 'local'?)");
    }

    @Test
    void aMissedRunIsCaughtUpAtStartAndTheRunActionBacksUpNow() throws Exception {
        Files.createDirectories(dir.resolve("data"));
        Files.writeString(dir.resolve("data/app.conf"), "port = 8080\n");
        Files.writeString(dir.resolve("data/scratch.tmp"), "excluded\n");
        try (TestHost h = TestHost.start(dir, yaml("daily 02:00"))) {
            TestHost.await(Duration.ofSeconds(30), "the catch-up backup", () -> h.metric("cairn_backup_snapshots", "backup_job", "files") == 1.0);
            assertThat(h.metric("cairn_backup_files", "backup_job", "files")).isEqualTo(1.0);
            assertThat(h.metric("cairn_backup_last_success_timestamp_seconds", "backup_job", "files"))
                    .isCloseTo(System.currentTimeMillis() / 1000.0, org.assertj.core.data.Offset.offset(60.0));
            HttpClient http = HttpClient.newHttpClient();
            for (int i = 0; i < 3; i++) {
                Files.writeString(dir.resolve("data/app.conf"), "port = " + (9000 + i) + "\n");
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(h.adminUrl() + "/api/modules/backup/run?job=files"))
                        .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
                assertThat(r.body()).contains("\"snapshot\"").contains("\"partial\" : false");
            }
            assertThat(h.metric("cairn_backup_snapshots", "backup_job", "files")).as("keep: { last: 2 }").isEqualTo(2.0);
            HttpResponse<String> status = http.send(HttpRequest.newBuilder(URI.create(h.adminUrl() + "/api/status")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(status.body()).contains("1 jobs, 1 repositories").contains("last_snapshot");
            HttpResponse<String> unknown = http.send(HttpRequest.newBuilder(URI.create(h.adminUrl() + "/api/modules/backup/run?job=nope"))
                    .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(unknown.statusCode()).isEqualTo(404);

            Run list = cli("backup", "-c", h.configFile().toString(), "list");
            assertThat(list.code()).as(list.err()).isZero();
            assertThat(list.out().lines().filter(l -> l.contains(" files "))).hasSize(2);

            Run restore = cli("restore", "-c", h.configFile().toString(), "files", "--to", dir.resolve("restored").toString());
            assertThat(restore.code()).as(restore.err() + restore.out()).isZero();
            assertThat(dir.resolve("restored/data/app.conf")).hasContent("port = 9002");
            assertThat(dir.resolve("restored/data/scratch.tmp")).doesNotExist();

            Run at = cli("restore", "-c", h.configFile().toString(), "files", "--at", "2000-01-01T00:00", "--to", dir.resolve("never").toString());
            assertThat(at.code()).isEqualTo(1);
            assertThat(at.err()).contains("has no snapshot at or before 2000-01-01T00:00");
            String oldest = list.out().lines().filter(l -> l.contains(" files ")).findFirst().orElseThrow().substring(0, 8);
            Run byId = cli("restore", "-c", h.configFile().toString(), "files", "--at", oldest, "--include", "data/app.conf",
                    "--to", dir.resolve("by-id").toString());
            assertThat(byId.code()).as(byId.err()).isZero();
            assertThat(dir.resolve("by-id/data/app.conf")).hasContent("port = 9001");

            Run check = cli("backup", "-c", h.configFile().toString(), "check", "--read-data");
            assertThat(check.code()).as(check.out()).isZero();
            assertThat(check.out()).contains("no errors");

            Run prune = cli("backup", "-c", h.configFile().toString(), "prune");
            assertThat(prune.code()).as(prune.err()).isZero();

            Path tar = dir.resolve("export.tar");
            Run export = cli("backup", "-c", h.configFile().toString(), "export", "files", "latest", "--no-zstd", "-o", tar.toString());
            assertThat(export.code()).as(export.err()).isZero();
            assertThat(Trees.sh("tar", "-tf", tar.toString())).contains("data/app.conf");

            Run run = cli("backup", "-c", h.configFile().toString(), "run", "files", "--tag", "before-deploy");
            assertThat(run.code()).as(run.err()).isZero();
            assertThat(run.out()).contains("snapshot ").contains("1 files (0 read, 1 unchanged)");

            Run bad = cli("restore", "-c", h.configFile().toString(), "nojob", "--to", "x");
            assertThat(bad.code()).isEqualTo(64);
            assertThat(bad.err()).contains("CAIRN-BACKUP-0101 no job 'nojob'");
        }
    }
}
