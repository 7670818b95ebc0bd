package dev.cairn.backup.source.prometheus;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cairn.backup.source.EntryMeta;
import dev.cairn.backup.source.EntrySink;
import dev.cairn.backup.source.Source;
import dev.cairn.backup.source.SourceErrors;
import dev.cairn.backup.source.SourceException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * A Prometheus TSDB snapshot: {@code POST /api/v1/admin/tsdb/snapshot} (Prometheus hard-links
 * its blocks into {@code <data_dir>/snapshots/<name>}), the snapshot's files streamed into the
 * repository under {@code prometheus/}, then the snapshot directory removed, which Prometheus
 * itself never does. Needs {@code --web.enable-admin-api}, and write access to
 * {@code <data_dir>/snapshots} (run Cairn in Prometheus' group, or as its user).
 */
public final class PrometheusSnapshotSource implements Source {

    /** Where the snapshot's files go in the Cairn snapshot. */
    public static final String PREFIX = "prometheus";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final PrometheusSourceConfig cfg;
    private final Path dataDir;
    private final HttpClient http;

    public PrometheusSnapshotSource(PrometheusSourceConfig cfg, Path configDir) {
        this.cfg = cfg;
        this.dataDir = configDir.resolve(cfg.dataDir()).normalize();
        this.http = HttpClient.newBuilder().connectTimeout(java.time.Duration.ofSeconds(10)).build();
    }

    @Override
    public List<String> describe() {
        return List.of("prometheus:" + cfg.url());
    }

    /** Asks Prometheus for a snapshot and returns its name. */
    String snapshot() throws IOException, InterruptedException {
        URI uri = URI.create(cfg.url().replaceAll("/+$", "") + "/api/v1/admin/tsdb/snapshot?skip_head=" + cfg.skipHead());
        HttpResponse<String> r;
        try {
            r = http.send(HttpRequest.newBuilder(uri).timeout(cfg.timeout()).POST(HttpRequest.BodyPublishers.noBody()).build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new SourceException(SourceErrors.PROMETHEUS_FAILED, "cannot reach Prometheus at " + cfg.url() + ": " + e.getMessage(), e);
        }
        String body = r.body();
        if (body.contains("admin APIs disabled")) {
            throw new SourceException(SourceErrors.PROMETHEUS_ADMIN_API_OFF, "Prometheus at " + cfg.url()
                    + " has its admin API off: start it with --web.enable-admin-api (it answered " + r.statusCode() + ")");
        }
        if (r.statusCode() != 200) {
            throw new SourceException(SourceErrors.PROMETHEUS_FAILED, "snapshot request to " + uri + " answered " + r.statusCode() + ": "
                    + body.substring(0, Math.min(300, body.length())));
        }
        JsonNode name = JSON.readTree(body).path("data").path("name");
        if (!name.isTextual() || name.asText().isEmpty() || name.asText().contains("/") || name.asText().startsWith(".")) {
            throw new SourceException(SourceErrors.PROMETHEUS_FAILED, "unexpected snapshot answer from " + cfg.url() + ": " + body);
        }
        return name.asText();
    }

    @Override
    public void emit(EntrySink sink) throws IOException, InterruptedException {
        String name = snapshot();
        Path dir = dataDir.resolve("snapshots").resolve(name);
        try {
            if (!Files.isDirectory(dir)) {
                throw new SourceException(SourceErrors.PROMETHEUS_FAILED, "Prometheus made snapshot " + name + " but " + dir
                        + " does not exist: is data_dir Prometheus' --storage.tsdb.path on this host? (the snapshot " + name
                        + " is left in Prometheus' own snapshots/ directory: remove it there)");
            }
            sink.extra("prometheus.url", cfg.url());
            sink.extra("prometheus.snapshot", name);
            sink.directory(EntryMeta.directory(PREFIX));
            List<Path> all;
            try (Stream<Path> s = Files.walk(dir)) {
                all = s.sorted().toList();
            }
            long files = 0;
            for (Path p : all) {
                if (p.equals(dir)) continue;
                String rel = PREFIX + "/" + dir.relativize(p).toString();
                if (Files.isDirectory(p)) {
                    sink.directory(EntryMeta.directory(rel));
                } else {
                    try (InputStream in = Files.newInputStream(p)) {
                        sink.stream(EntryMeta.streamed(rel), in);
                    }
                    files++;
                }
            }
            sink.extra("prometheus.files", Long.toString(files));
        } finally {
            delete(dir);
        }
    }

    /** Removes the snapshot directory (its files are hard links: the blocks stay). */
    static void delete(Path dir) throws SourceException {
        if (!Files.exists(dir)) return;
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
        } catch (IOException e) {
            throw new SourceException(SourceErrors.PROMETHEUS_FAILED, "cannot delete the snapshot " + dir + " (Prometheus never does;"
                    + " give Cairn write access to its snapshots/ directory): " + e.getMessage(), e);
        }
    }
}
