package dev.cairn.backup.sla;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cairn.backup.BackupModule;
import dev.cairn.core.cli.Main;
import dev.cairn.core.config.ModuleRegistry;
import dev.cairn.core.testing.TestHost;
import dev.cairn.core.testing.mariadb.MariaDbServer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The SLA end to end in a real host: a mysql job backed up from a real MariaDB through the
 * admin API, verified by a restore test into a scratch schema (timed against the RTO), its SLA
 * on /api/status and /metrics; a job that never succeeds makes the module unhealthy; and
 * {@code cairn restore --to-database} loads the dump back and checks it.
 */
class BackupSlaModuleTest {

    static final ObjectMapper JSON = new ObjectMapper();
    @TempDir
    static Path shared;
    static MariaDbServer db;

    @BeforeAll
    static void startServer() throws Exception {
        db = MariaDbServer.start(shared, "db", 1, List.of());
        db.exec("SET GLOBAL read_only = 0; CREATE DATABASE agama; USE agama;"
                + " CREATE TABLE users (id INT PRIMARY KEY, name VARCHAR(20)); INSERT INTO users VALUES (1, 'ann'), (2, 'bob')");
    }

    @AfterAll
    static void stop() {
        if (db != null) db.close();
    }

    static String yaml(int deadPort) {
        return """
                backup:
                  repositories:
                    local: { path: repo, key_file: repo.key, create: true }
                  jobs:
                    db:
                      repository: local
                      schedule: manual
                      source:
                        mysql: { host: %s, databases: [agama], user: root }
                      sla:
                        versions: 1
                        verify: { mode: restore-test, scratch: %s }
                        rto: 5m
                    broken:
                      repository: local
                      schedule: every 1m
                      source:
                        mysql: { host: 127.0.0.1:%d, databases: [agama], user: root }
                      sla: { rpo: 1m, versions: 1 }
                """.formatted(db.address(), db.address(), deadPort);
    }

    static HttpResponse<String> call(TestHost h, String method, String path) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(h.adminUrl() + path))
                .method(method, HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aVerifiedMysqlJobKeepsItsSlaAJobThatNeverSucceededMakesTheModuleUnhealthy(@TempDir Path dir) throws Exception {
        try (TestHost h = TestHost.start(dir, yaml(TestHost.freePort()), new BackupModule())) {
            HttpResponse<String> run = call(h, "POST", "/api/modules/backup/run?job=db");
            assertThat(run.statusCode()).as(run.body()).isEqualTo(200);
            HttpResponse<String> broken = call(h, "POST", "/api/modules/backup/run?job=broken");
            assertThat(broken.statusCode()).isEqualTo(500);
            assertThat(broken.body()).contains("CAIRN-BACKUP-0305");

            JsonNode status = JSON.readTree(call(h, "GET", "/api/status").body());
            JsonNode backup = find(status, "backup");
            assertThat(backup.path("healthy").asBoolean()).isFalse();
            assertThat(backup.path("summary").asText()).contains("SLA broken: broken (CAIRN-BACKUP-0404 rpo: no successful backup yet (rpo 1m),"
                    + " CAIRN-BACKUP-0406 versions: 0 verified version(s)");
            JsonNode jobs = backup.path("details").path("jobs");
            assertThat(jobs.path("db").path("sla").path("sla_met").asBoolean()).isTrue();
            assertThat(jobs.path("db").path("sla").path("versions_verified").asInt()).isEqualTo(1);
            assertThat(jobs.path("db").path("sla").path("last_restore_test_seconds").asDouble()).isPositive();

            assertThat(h.metric("cairn_backup_restore_test_duration_seconds", "backup_job", "db")).isPositive().isLessThan(300);
            assertThat(h.metric("cairn_backup_rto_seconds", "backup_job", "db")).isEqualTo(300);
            assertThat(h.metric("cairn_backup_verify_success", "backup_job", "db")).isEqualTo(1);
            assertThat(h.metric("cairn_backup_versions_verified", "backup_job", "db")).isEqualTo(1);
            assertThat(h.metric("cairn_backup_dump_lock_seconds", "backup_job", "db")).isEqualTo(0);
            assertThat(h.metric("cairn_backup_last_verified_timestamp_seconds", "backup_job", "db")).isPositive();
            assertThat(h.metric("cairn_backup_sla_met", "backup_job", "db", "reason", "rto")).isEqualTo(1);
            assertThat(h.metric("cairn_backup_sla_met", "backup_job", "broken", "reason", "versions")).isEqualTo(0);
            assertThat(h.metric("cairn_backup_sla_met", "backup_job", "broken", "reason", "rpo")).isEqualTo(0);
            assertThat(h.metric("cairn_backup_rpo_seconds", "backup_job", "broken")).isEqualTo(60);

            // the same verdict on the status page and in cairn status (exit 2: a module is unhealthy)
            String page = call(h, "GET", "/").body();
            String brokenRow = page.substring(page.indexOf("<tr data-job=\"broken\""));
            assertThat(brokenRow.substring(0, brokenRow.indexOf("</tr>"))).contains("class=\"alarm\"").contains("BROKEN: ")
                    .contains("no successful backup yet");
            String dbRow = page.substring(page.indexOf("<tr data-job=\"db\""));
            assertThat(dbRow.substring(0, dbRow.indexOf("</tr>"))).doesNotContain("alarm").contains("class=\"up\">met");
            ByteArrayOutputStream statusOut = new ByteArrayOutputStream();
            PrintStream before = System.out;
            int statusRc;
            try {
                System.setOut(new PrintStream(statusOut, true, StandardCharsets.UTF_8));
                statusRc = dev.cairn.core.cli.Main.execute("status", "--url", h.adminUrl());
            } finally {
                System.setOut(before);
            }
            assertThat(statusRc).as(statusOut.toString(StandardCharsets.UTF_8)).isEqualTo(2);
            assertThat(statusOut.toString(StandardCharsets.UTF_8)).containsPattern("(?m)^backup\\s+UNHEALTHY\\s.*SLA broken: broken");

            // The same config, offline: cairn restore loads the dump into another schema and checks it.
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            PrintStream old = System.out;
            int rc;
            try {
                System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
                rc = Main.execute(ModuleRegistry.of(new BackupModule()), "restore", "-c", h.configFile().toString(), "db",
                        "--to-database", db.address(), "--database", "agama_restored");
            } finally {
                System.setOut(old);
            }
            String printed = out.toString(StandardCharsets.UTF_8);
            assertThat(rc).as(printed).isZero();
            assertThat(printed).contains("loading agama of " + db.address() + " (gtid 0-1-")
                    .contains("restored agama_restored in").contains("1 tables, row counts and checksums match the snapshot");
            assertThat(db.query("SELECT name FROM agama_restored.users ORDER BY id")).extracting(r -> r.get("name"))
                    .containsExactly("ann", "bob");
        }
    }

    @Test
    void restoreTestsOfCommandOutputsReadDataAndTheCopyLagAreMeasured(@TempDir Path dir) throws Exception {
        java.nio.file.Files.createDirectories(dir.resolve("etc"));
        java.nio.file.Files.writeString(dir.resolve("etc/site.yml"), "- hosts: all\n");
        String yaml = """
                backup:
                  repositories:
                    local: { path: repo, key_file: repo.key, create: true }
                    offsite: { path: offsite, key_file: offsite.key, create: true }
                  jobs:
                    numbers:
                      repository: local
                      schedule: manual
                      source:
                        command: { run: [seq, "1", "1000"], stdout_as: numbers.txt, restore: [sh, -c, 'test "$(wc -l)" -eq 1000'] }
                      sla: { versions: 1, verify: restore-test, rto: 1m }
                    unrestorable:
                      repository: local
                      schedule: manual
                      source:
                        command: { run: [seq, "1", "10"], stdout_as: numbers.txt, restore: [sh, -c, 'cat >/dev/null; exit 3'] }
                      sla: { versions: 1, verify: restore-test }
                    ansible:
                      repository: local
                      schedule: manual
                      source:
                        directory: { paths: [etc] }
                      sla: { versions: 1, verify: { mode: read-data, share: 50 } }
                    every2:
                      repository: local
                      schedule: manual
                      source:
                        directory: { paths: [etc] }
                      sla: { versions: 1, verify: { mode: restore-test, every: 2 } }
                """;
        try (TestHost h = TestHost.start(dir, yaml, new BackupModule())) {
            for (String job : List.of("numbers", "unrestorable", "ansible")) {
                HttpResponse<String> r = call(h, "POST", "/api/modules/backup/run?job=" + job);
                assertThat(r.statusCode()).as(job + ": " + r.body()).isEqualTo(200);
            }
            assertThat(h.metric("cairn_backup_verify_success", "backup_job", "numbers")).isEqualTo(1);
            assertThat(h.metric("cairn_backup_restore_test_duration_seconds", "backup_job", "numbers")).isPositive();
            assertThat(h.metric("cairn_backup_verify_success", "backup_job", "unrestorable")).isEqualTo(0);
            assertThat(h.metric("cairn_backup_sla_met", "backup_job", "unrestorable", "reason", "verify")).isEqualTo(0);
            assertThat(h.metric("cairn_backup_versions_verified", "backup_job", "unrestorable")).isEqualTo(0);
            assertThat(h.metric("cairn_backup_verify_success", "backup_job", "ansible")).isEqualTo(1);
            JsonNode jobs = find(JSON.readTree(call(h, "GET", "/api/status").body()), "backup").path("details").path("jobs");
            assertThat(jobs.path("unrestorable").path("sla").path("breaches").toString()).contains("sh exited with 3");

            // restore-test every 2nd run: the runs between get a structure check.
            List<String> seen = new java.util.ArrayList<>();
            for (int i = 0; i < 3; i++) {
                assertThat(call(h, "POST", "/api/modules/backup/run?job=every2").statusCode()).isEqualTo(200);
                seen.add(find(JSON.readTree(call(h, "GET", "/api/status").body()), "backup").path("details").path("jobs")
                        .path("every2").path("sla").path("last_verify").asText());
            }
            assertThat(seen.get(0)).startsWith("ok: restored and matched in");
            assertThat(seen.get(1)).isEqualTo("ok: structure");
            assertThat(seen.get(2)).startsWith("ok: restored and matched in");

            // 3-2-1: copy to the second repository, back up again: the copy is now behind.
            assertThat(Main.execute(ModuleRegistry.of(new BackupModule()), "backup", "copy", "local", "offsite", "-c",
                    h.configFile().toString())).isZero();
            assertThat(call(h, "POST", "/api/modules/backup/run?job=ansible").statusCode()).isEqualTo(200);
            assertThat(h.metric("cairn_backup_store_lag_seconds", "backup_job", "ansible", "store", "offsite")).isPositive();
            assertThat(h.metric("cairn_backup_sla_met", "backup_job", "ansible", "reason", "copy")).as("no rpo: no copy limit").isEqualTo(1);
        }
    }

    static JsonNode find(JsonNode status, String module) {
        JsonNode modules = status.path("modules");
        if (modules.isArray()) {
            for (JsonNode m : modules) if (module.equals(m.path("name").asText())) return m;
        }
        return modules.path(module);
    }
}
