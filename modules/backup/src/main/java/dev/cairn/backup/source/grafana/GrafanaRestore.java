package dev.cairn.backup.source.grafana;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cairn.backup.source.EntryReader;
import dev.cairn.backup.source.SourceErrors;
import dev.cairn.backup.source.SourceException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Loads a {@link GrafanaSource} snapshot into a Grafana: folders first (kept when they exist),
 * then every dashboard into its folder with {@code overwrite: true}, data sources (created, or
 * updated by uid; secrets must be entered again) and alert rules (created, or replaced by uid).
 */
public final class GrafanaRestore {

    private final GrafanaApi api;

    public GrafanaRestore(String url, Path tokenFile, Duration timeout) throws SourceException {
        this.api = new GrafanaApi(url, tokenFile, timeout);
    }

    /** What was restored, one line per object. */
    public List<String> restore(EntryReader snapshot) throws IOException, InterruptedException {
        List<String> done = new ArrayList<>();
        for (JsonNode f : read(snapshot, "grafana/folders.json")) {
            ObjectNode body = GrafanaApi.JSON.createObjectNode().put("uid", f.path("uid").asText()).put("title", f.path("title").asText());
            GrafanaApi.Answer a = api.call("POST", "/api/folders", body);
            if (a.status() == 200 || a.status() == 409 || a.status() == 412) {
                done.add("folder " + f.path("title").asText() + (a.status() == 200 ? " created" : " kept"));
            } else {
                throw fail("folder " + f.path("uid").asText(), a);
            }
        }
        for (String path : snapshot.paths()) {
            if (!path.startsWith("grafana/dashboards/")) continue;
            JsonNode saved = read(snapshot, path);
            ObjectNode dash = ((ObjectNode) saved.path("dashboard")).deepCopy();
            dash.putNull("id");
            ObjectNode body = GrafanaApi.JSON.createObjectNode();
            body.set("dashboard", dash);
            body.put("folderUid", saved.path("meta").path("folderUid").asText(""));
            body.put("overwrite", true);
            body.put("message", "restored by cairn");
            GrafanaApi.Answer a = api.call("POST", "/api/dashboards/db", body);
            if (a.status() != 200) throw fail("dashboard " + dash.path("uid").asText(), a);
            done.add("dashboard " + dash.path("title").asText() + " -> folder " + saved.path("meta").path("folderTitle").asText("General"));
        }
        for (JsonNode d : read(snapshot, "grafana/datasources.json")) {
            ObjectNode body = ((ObjectNode) d).deepCopy();
            body.remove("id");
            GrafanaApi.Answer a = api.call("POST", "/api/datasources", body);
            if (a.status() == 409) a = api.call("PUT", "/api/datasources/uid/" + d.path("uid").asText(), body);
            if (a.status() != 200) throw fail("data source " + d.path("name").asText(), a);
            done.add("data source " + d.path("name").asText());
        }
        if (snapshot.paths().contains("grafana/alert-rules.json")) {
            for (JsonNode r : read(snapshot, "grafana/alert-rules.json")) {
                ObjectNode body = ((ObjectNode) r).deepCopy();
                body.remove("id");
                GrafanaApi.Answer a = api.call("POST", "/api/v1/provisioning/alert-rules", body);
                if (a.status() == 409 || a.status() == 400 && a.text().contains("exists")) {
                    a = api.call("PUT", "/api/v1/provisioning/alert-rules/" + r.path("uid").asText(), body);
                }
                if (a.status() != 200 && a.status() != 201) throw fail("alert rule " + r.path("title").asText(), a);
                done.add("alert rule " + r.path("title").asText());
            }
        }
        return done;
    }

    private static JsonNode read(EntryReader s, String path) throws IOException {
        try (InputStream in = s.open(path)) {
            return GrafanaApi.JSON.readTree(in);
        }
    }

    private static SourceException fail(String what, GrafanaApi.Answer a) {
        return new SourceException(SourceErrors.GRAFANA_FAILED, "restoring " + what + ": Grafana answered " + a.status() + ": "
                + a.text().substring(0, Math.min(300, a.text().length())));
    }
}
