package dev.cairn.backup.source.grafana;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cairn.backup.source.DirectoryEntries;
import dev.cairn.backup.source.SourceErrors;
import dev.cairn.backup.source.SourceException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Against {@link RecordedGrafana}, a recorded-API stand-in: Grafana itself is not in Debian. */
class GrafanaSourceTest {

    @TempDir
    Path tmp;

    Path token(String value) throws Exception {
        Path f = tmp.resolve("token-" + value);
        Files.writeString(f, value + "\n");
        return f;
    }

    static RecordedGrafana populated() throws Exception {
        RecordedGrafana g = new RecordedGrafana("glsa_src");
        g.folder("f-db", "Databases");
        g.folder("f-net", "Network");
        g.dashboard("mysql-overview", "MySQL overview", "f-db", 4);
        g.dashboard("haproxy", "HAProxy", "f-net", 2);
        g.dashboard("home", "Home", null, 1);
        ObjectNode ds = g.datasources.computeIfAbsent("prom", k -> RecordedGrafana.JSON.createObjectNode());
        ds.put("id", 1).put("uid", "prom").put("name", "Prometheus").put("type", "prometheus").put("url", "http://127.0.0.1:9090")
                .put("basicAuth", true).put("basicAuthUser", "grafana").put("basicAuthPassword", "hunter2");
        ds.putObject("secureJsonData").put("httpHeaderValue1", "Bearer s3cret");
        ds.putObject("jsonData").put("timeInterval", "15s");
        g.alertRules.put("r1", RecordedGrafana.JSON.createObjectNode().put("uid", "r1").put("title", "MySQL down")
                .put("folderUID", "f-db").put("ruleGroup", "db").put("condition", "A"));
        return g;
    }

    @Test
    void everythingIsBackedUpPagedWithoutSecretsAndRestoredIntoTheRightFoldersWithOverwrite() throws Exception {
        DirectoryEntries snap = new DirectoryEntries(tmp.resolve("snap"));
        try (RecordedGrafana src = populated()) {
            GrafanaSource source = new GrafanaSource(new GrafanaSourceConfig(src.url(), token("glsa_src"), Duration.ofSeconds(10)), tmp);
            source.pageSize = 2;
            source.emit(snap);
            assertThat(src.requests).contains("GET /api/search?type=dash-db&limit=2&page=1", "GET /api/search?type=dash-db&limit=2&page=2");
        }
        assertThat(snap.paths()).containsExactly("grafana/folders.json", "grafana/dashboards/mysql-overview.json",
                "grafana/dashboards/haproxy.json", "grafana/dashboards/home.json", "grafana/datasources.json", "grafana/alert-rules.json");
        String ds = snap.read("grafana/datasources.json");
        assertThat(ds).contains("\"basicAuthUser\" : \"grafana\"").doesNotContain("hunter2").doesNotContain("s3cret")
                .doesNotContain("secureJsonData").doesNotContain("basicAuthPassword");
        assertThat(snap.extra()).containsEntry("grafana.dashboards", "3").containsEntry("grafana.datasources", "1");

        try (RecordedGrafana dst = new RecordedGrafana("glsa_dst")) {
            dst.folder("f-db", "Databases");
            dst.dashboard("mysql-overview", "MySQL overview (edited since)", "f-db", 1);
            GrafanaRestore restore = new GrafanaRestore(dst.url(), token("glsa_dst"), Duration.ofSeconds(10));
            assertThat(restore.restore(snap)).contains("folder Databases kept", "folder Network created",
                    "dashboard HAProxy -> folder Network", "dashboard Home -> folder General", "data source Prometheus", "alert rule MySQL down");
            assertThat(dst.dashboards.get("mysql-overview").path("dashboard").path("title").asText()).isEqualTo("MySQL overview");
            assertThat(dst.dashboards.get("mysql-overview").path("dashboard").path("panels").size()).isEqualTo(4);
            assertThat(dst.dashboards.get("haproxy").path("meta").path("folderUid").asText()).isEqualTo("f-net");
            assertThat(dst.dashboards.get("home").path("meta").path("folderUid").asText()).isEmpty();
            assertThat(dst.datasources.get("prom").has("secureJsonData")).isFalse();
            // Again: everything exists now, and is overwritten or kept, never refused.
            assertThat(restore.restore(snap)).contains("folder Network kept", "data source Prometheus");
        }
    }

    @Test
    void aWrongTokenFailsClearly() throws Exception {
        try (RecordedGrafana src = populated()) {
            GrafanaSource source = new GrafanaSource(new GrafanaSourceConfig(src.url(), token("wrong"), Duration.ofSeconds(10)), tmp);
            assertThatThrownBy(() -> source.emit(new DirectoryEntries(tmp.resolve("s"))))
                    .isInstanceOfSatisfying(SourceException.class, e -> assertThat(e.id()).isEqualTo(SourceErrors.GRAFANA_FAILED))
                    .hasMessageContaining("answered 401");
        }
    }
}
