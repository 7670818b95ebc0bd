package dev.cairn.backup.source.grafana;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.backup.BackupModule;
import dev.cairn.core.cli.Main;
import dev.cairn.core.config.ModuleRegistry;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code cairn backup run} of a grafana job and {@code cairn restore --to-grafana}, through the real repository. */
class GrafanaCliTest {

    static String cairn(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int rc = Main.execute(ModuleRegistry.of(new BackupModule()), args);
            assertThat(rc).as(out.toString(StandardCharsets.UTF_8) + err.toString(StandardCharsets.UTF_8)).isZero();
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void aGrafanaJobIsBackedUpAndRestoredIntoAnotherGrafana(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("src.token"), "glsa_src\n");
        Files.writeString(dir.resolve("dst.token"), "glsa_dst\n");
        try (RecordedGrafana src = GrafanaSourceTest.populated(); RecordedGrafana dst = new RecordedGrafana("glsa_dst")) {
            Path cfg = dir.resolve("cairn.yml");
            Files.writeString(cfg, """
                    backup:
                      repositories:
                        local: { path: repo, key_file: repo.key, create: true }
                      jobs:
                        grafana:
                          repository: local
                          schedule: "0 5 1 * *"
                          keep: { monthly: 3 }
                          source:
                            grafana: { url: %s, token_file: src.token }
                          sla: { rpo: 32d, versions: 1, verify: restore-test }
                    """.formatted(src.url()));
            assertThat(cairn("backup", "run", "grafana", "-c", cfg.toString()))
                    .contains("of job grafana: 6 files").contains("verified: restored and matched");
            String restored = cairn("restore", "grafana", "-c", cfg.toString(), "--to-grafana", dst.url(), "--grafana-token-file",
                    dir.resolve("dst.token").toString());
            assertThat(restored).contains("folder Databases created", "dashboard MySQL overview -> folder Databases",
                    "of job grafana into " + dst.url() + ": 7 objects");
            assertThat(dst.dashboards.keySet()).containsExactlyInAnyOrder("mysql-overview", "haproxy", "home");
            assertThat(dst.dashboards.get("mysql-overview").path("meta").path("folderUid").asText()).isEqualTo("f-db");
        }
    }
}
