package dev.cairn.backup.source.prometheus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cairn.backup.source.DirectoryEntries;
import dev.cairn.backup.source.SourceErrors;
import dev.cairn.backup.source.SourceException;
import dev.cairn.core.testing.TestHost;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Against Debian's real prometheus, started twice for this class: with and without the admin API. */
class PrometheusSnapshotSourceTest {

    @TempDir
    static Path shared;
    static Process withAdmin;
    static Process withoutAdmin;
    static int adminPort;
    static int plainPort;

    static Process start(String name, int port, boolean admin) throws Exception {
        Path dir = Files.createDirectories(shared.resolve(name));
        Files.writeString(dir.resolve("prometheus.yml"), """
                global: { scrape_interval: 1s }
                scrape_configs:
                  - job_name: self
                    static_configs: [ { targets: ['127.0.0.1:%d'] } ]
                """.formatted(port));
        List<String> cmd = new ArrayList<>(List.of("prometheus", "--config.file=" + dir.resolve("prometheus.yml"),
                "--storage.tsdb.path=" + dir.resolve("data"), "--web.listen-address=127.0.0.1:" + port));
        if (admin) cmd.add("--web.enable-admin-api");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("log").toFile()).start();
        TestHost.await(Duration.ofSeconds(30), "prometheus ready on " + port, () -> {
            try {
                return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/-/ready")).build(),
                        HttpResponse.BodyHandlers.ofString()).statusCode() == 200;
            } catch (Exception e) {
                return false;
            }
        });
        return p;
    }

    @BeforeAll
    static void startPrometheus() throws Exception {
        adminPort = TestHost.freePort();
        plainPort = TestHost.freePort();
        withAdmin = start("admin", adminPort, true);
        withoutAdmin = start("plain", plainPort, false);
    }

    @AfterAll
    static void stop() throws Exception {
        for (Process p : new Process[] {withAdmin, withoutAdmin}) {
            if (p != null) {
                p.destroy();
                p.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void aSnapshotIsArchivedAndThenDeleted(@TempDir Path tmp) throws Exception {
        Path data = shared.resolve("admin/data");
        // Some samples in the head block first: the self-scrape every second.
        TestHost.await(Duration.ofSeconds(30), "samples scraped", () -> {
            try {
                String body = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort
                        + "/api/v1/query?query=up")).build(), HttpResponse.BodyHandlers.ofString()).body();
                return body.contains("\"value\"");
            } catch (Exception e) {
                return false;
            }
        });
        PrometheusSourceConfig cfg = new PrometheusSourceConfig("http://127.0.0.1:" + adminPort, data, false, Duration.ofSeconds(30));
        DirectoryEntries sink = new DirectoryEntries(tmp.resolve("snap"));
        new PrometheusSnapshotSource(cfg, tmp).emit(sink);

        String name = sink.extra().get("prometheus.snapshot");
        assertThat(name).isNotBlank();
        assertThat(sink.paths()).anyMatch(p -> p.matches("prometheus/[0-9A-Z]{26}/meta\\.json"))
                .anyMatch(p -> p.matches("prometheus/[0-9A-Z]{26}/index"))
                .anyMatch(p -> p.matches("prometheus/[0-9A-Z]{26}/chunks/0+1"));
        assertThat(Integer.parseInt(sink.extra().get("prometheus.files"))).isEqualTo(sink.paths().size());
        assertThat(data.resolve("snapshots").resolve(name)).as("the snapshot is deleted after archiving").doesNotExist();
        // The archived block is what Prometheus wrote: its meta.json names the samples.
        String meta = Files.readString(sink.dir().resolve(sink.paths().stream().filter(p -> p.endsWith("meta.json")).findFirst().orElseThrow()));
        assertThat(meta).contains("\"numSamples\"");
    }

    @Test
    void anAdminApiThatIsOffIsReportedClearly(@TempDir Path tmp) {
        PrometheusSourceConfig cfg = new PrometheusSourceConfig("http://127.0.0.1:" + plainPort, shared.resolve("plain/data"), false,
                Duration.ofSeconds(30));
        assertThatThrownBy(() -> new PrometheusSnapshotSource(cfg, tmp).emit(new DirectoryEntries(tmp)))
                .isInstanceOfSatisfying(SourceException.class, e -> assertThat(e.id()).isEqualTo(SourceErrors.PROMETHEUS_ADMIN_API_OFF))
                .hasMessageContaining("--web.enable-admin-api");
    }

    @Test
    void aWrongDataDirFailsAndStillRemovesNothingElse(@TempDir Path tmp) {
        PrometheusSourceConfig cfg = new PrometheusSourceConfig("http://127.0.0.1:" + adminPort, tmp.resolve("elsewhere"), false,
                Duration.ofSeconds(30));
        assertThatThrownBy(() -> new PrometheusSnapshotSource(cfg, tmp).emit(new DirectoryEntries(tmp)))
                .isInstanceOfSatisfying(SourceException.class, e -> assertThat(e.id()).isEqualTo(SourceErrors.PROMETHEUS_FAILED))
                .hasMessageContaining("is data_dir Prometheus' --storage.tsdb.path on this host?")
                .hasMessageMatching(".*snapshot \\S+ is left in Prometheus' own snapshots/ directory.*");
    }
}
