package dev.cairn.backup.placement;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cairn.backup.BackupModule;
import dev.cairn.core.cli.Main;
import dev.cairn.core.config.ModuleRegistry;
import dev.cairn.core.testing.TestHost;
import dev.cairn.spi.ModuleStatus;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PlacementTest {

    static Optional<ModuleStatus> cluster(String state, String master) {
        return Optional.of(new ModuleStatus(true, "", Map.of("vips", List.of(Map.of("vip", "10.0.0.10", "state", state, "master", master)))));
    }

    static JsonNode jobs(TestHost h) {
        try {
            return new ObjectMapper().readTree(HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create(h.adminUrl() + "/api/modules/backup/jobs")).build(), HttpResponse.BodyHandlers.ofString()).body()).path("etc");
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void aJobRunsOnTheNodeItNamesOrOnTheVipMaster() {
        assertThat(Placement.whyNotHere("lb1", Placement.RunOn.ANY, "lb1", Optional.empty())).isNull();
        assertThat(Placement.whyNotHere("lb1", Placement.RunOn.ANY, "lb2", Optional.empty())).isEqualTo("runs on node lb1");
        assertThat(Placement.whyNotHere(null, Placement.RunOn.ANY, "lb2", cluster("BACKUP", "lb1"))).isNull();
        assertThat(Placement.whyNotHere(null, Placement.RunOn.LEADER, "lb1", cluster("MASTER", "lb1"))).isNull();
        assertThat(Placement.whyNotHere(null, Placement.RunOn.LEADER, "lb2", cluster("BACKUP", "lb1"))).isEqualTo("runs on the leader lb1");
        assertThat(Placement.whyNotHere(null, Placement.RunOn.LEADER, "lb2", cluster("INIT", ""))).isEqualTo("runs on the leader (none elected yet)");
        assertThat(Placement.whyNotHere(null, Placement.RunOn.LEADER, "solo", Optional.empty())).as("no cluster: a single node").isNull();
    }

    @Test
    void aNodeThatDoesNotRunTheJobShowsItsStateFromTheSharedRepository(@TempDir Path dir) throws Exception {
        Files.createDirectories(dir.resolve("etc"));
        Files.writeString(dir.resolve("etc/app.conf"), "listen 80\n");
        String job = """
                backup:
                  repositories:
                    shared: { path: repo, key_file: repo.key, create: true }
                  jobs:
                    etc:
                      repository: shared
                      schedule: every 1m
                      source:
                        directory: { paths: [etc] }
                """;
        // The node that runs it (here: the CLI on the same repository).
        Path runner = dir.resolve("runner.yml");
        Files.writeString(runner, job);
        assertThat(Main.execute(ModuleRegistry.of(new BackupModule()), "backup", "run", "etc", "-c", runner.toString())).isZero();
        String snapshot;
        try (var s = Files.list(dir.resolve("repo/snapshots"))) {
            snapshot = s.findFirst().orElseThrow().getFileName().toString();
        }
        try (TestHost h = TestHost.start(dir, job + "      node: elsewhere\n", new BackupModule())) {
            TestHost.await(java.time.Duration.ofSeconds(20), "the scheduler placed the job", () -> jobs(h).path("placement").isTextual());
            JsonNode etc = jobs(h);
            assertThat(etc.path("last_snapshot").asText()).isEqualTo(snapshot);
            assertThat(etc.path("placement").asText()).isEqualTo("runs on node elsewhere");
            assertThat(h.metric("cairn_backup_last_success_timestamp_seconds", "backup_job", "etc")).isPositive();
            try (var s = Files.list(dir.resolve("repo/snapshots"))) {
                assertThat(s).as("this node backed nothing up").hasSize(1);
            }
        }
    }
}
