package dev.cairn.backup;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.core.testing.TestHost;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The shipped config/cairn.yml backs up ./config into ./var/backups, and it restores. */
class DefaultConfigTest {

    @TempDir
    Path dir;

    @Test
    void theDefaultJobBacksUpTheConfigDirectory() throws Exception {
        Path repo = Path.of("../..").toAbsolutePath().normalize();
        String yaml = Files.readString(repo.resolve("config/cairn.yml"));
        StringBuilder kept = new StringBuilder();
        boolean keep = true;
        for (String line : yaml.split("\n", -1)) {
            if (!line.isEmpty() && !line.startsWith(" ") && !line.startsWith("#")) {
                keep = line.startsWith("services:") || line.startsWith("backup:");
            }
            if (keep) kept.append(line).append('\n');
        }
        Path config = dir.resolve("config");
        Trees.sh("cp", "-a", repo.resolve("config").toString(), dir.toString());
        Files.delete(config.resolve("cairn.yml"));
        try (TestHost h = TestHost.start(config, kept.toString(), new BackupModule())) {
            TestHost.await(Duration.ofSeconds(30), "the first backup of ./config", () -> h.metric("cairn_backup_snapshots", "backup_job", "config") >= 1.0);
        }
        assertThat(dir.resolve("var/backups/config")).exists();
        assertThat(dir.resolve("var/backups.key")).exists();
        RepoFixture r = RepoFixture.existing(dir.resolve("var/backups"), dir.resolve("var/backups.key"));
        try (var rr = r.open()) {
            String id = rr.snapshots(null).get(0).id();
            Path out = dir.resolve("restored");
            assertThat(r.restore(id, out).ok()).isTrue();
            Trees.sh("diff", "-r", config.toString(), out.resolve("config").toString());
        }
    }
}
