package dev.cairn.backup.source.grafana;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cairn.backup.source.EntryMeta;
import dev.cairn.backup.source.EntrySink;
import dev.cairn.backup.source.Source;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Grafana's configuration through its HTTP API: folders ({@code /api/folders}), every dashboard
 * ({@code /api/search?type=dash-db}, paged, then {@code /api/dashboards/uid/UID} with its folder),
 * data sources ({@code /api/datasources}, with every secret field removed: secrets are
 * re-entered after a restore) and alert rules ({@code /api/v1/provisioning/alert-rules}).
 * Files: {@code grafana/folders.json}, {@code grafana/dashboards/UID.json},
 * {@code grafana/datasources.json}, {@code grafana/alert-rules.json}.
 */
public final class GrafanaSource implements Source {

    /** Page size of {@code /api/search}. */
    static final int PAGE = 1000;
    /** Data source fields that hold or may hold secrets, never stored. */
    static final Set<String> SECRET_FIELDS = Set.of("secureJsonData", "secureJsonFields", "password", "basicAuthPassword");

    private final GrafanaSourceConfig cfg;
    private final Path configDir;
    int pageSize = PAGE;

    public GrafanaSource(GrafanaSourceConfig cfg, Path configDir) {
        this.cfg = cfg;
        this.configDir = configDir;
    }

    @Override
    public List<String> describe() {
        return List.of("grafana:" + cfg.url());
    }

    @Override
    public void emit(EntrySink sink) throws IOException, InterruptedException {
        GrafanaApi api = new GrafanaApi(cfg.url(), configDir.resolve(cfg.tokenFile()).normalize(), cfg.timeout());
        sink.directory(EntryMeta.directory("grafana"));
        put(sink, "grafana/folders.json", api.get("/api/folders?limit=" + pageSize));
        Set<String> uids = new LinkedHashSet<>();
        for (int page = 1; page < 10_000; page++) {
            JsonNode hits = api.get("/api/search?type=dash-db&limit=" + pageSize + "&page=" + page);
            for (JsonNode h : hits) uids.add(h.path("uid").asText());
            if (hits.size() < pageSize) break;
        }
        sink.directory(EntryMeta.directory("grafana/dashboards"));
        for (String uid : uids) {
            if (!uid.matches("[A-Za-z0-9_-]{1,64}")) {
                sink.problem("dashboard uid '" + uid + "' is not a safe file name: skipped");
                continue;
            }
            put(sink, "grafana/dashboards/" + uid + ".json", api.get("/api/dashboards/uid/" + uid));
        }
        JsonNode ds = api.get("/api/datasources");
        ArrayNode clean = GrafanaApi.JSON.createArrayNode();
        for (JsonNode d : ds) {
            ObjectNode c = ((ObjectNode) d).deepCopy();
            c.remove(SECRET_FIELDS);
            clean.add(c);
        }
        put(sink, "grafana/datasources.json", clean);
        GrafanaApi.Answer rules = api.call("GET", "/api/v1/provisioning/alert-rules", null);
        if (rules.status() == 200 && rules.body() != null) {
            put(sink, "grafana/alert-rules.json", rules.body());
        } else {
            sink.problem("alert rules not backed up: /api/v1/provisioning/alert-rules answered " + rules.status());
        }
        sink.extra("grafana.url", cfg.url());
        sink.extra("grafana.dashboards", Integer.toString(uids.size()));
        sink.extra("grafana.datasources", Integer.toString(clean.size()));
    }

    private static void put(EntrySink sink, String path, JsonNode value) throws IOException, InterruptedException {
        byte[] bytes = GrafanaApi.JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(value);
        sink.stream(EntryMeta.streamed(path), new ByteArrayInputStream(bytes));
    }
}
