package dev.cairn.backup.source.grafana;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A stand-in for Grafana's HTTP API (Grafana is not packaged in Debian, so it cannot run here):
 * the endpoints the Grafana source and restore use, answering with bodies shaped like Grafana
 * 10's (recorded from its API documentation), keeping folders, dashboards, data sources and
 * alert rules in memory, and refusing requests without the bearer token. Loopback, port 0.
 */
final class RecordedGrafana implements AutoCloseable {

    static final ObjectMapper JSON = new ObjectMapper();

    final Map<String, ObjectNode> folders = new LinkedHashMap<>();
    /** uid -> the {dashboard, meta} answer of /api/dashboards/uid. */
    final Map<String, ObjectNode> dashboards = new LinkedHashMap<>();
    final Map<String, ObjectNode> datasources = new LinkedHashMap<>();
    final Map<String, ObjectNode> alertRules = new LinkedHashMap<>();
    /** Every request, "METHOD path". */
    final List<String> requests = new ArrayList<>();
    private final HttpServer server;
    private final String token;

    RecordedGrafana(String token) throws IOException {
        this.token = token;
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", this::handle);
        server.start();
    }

    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    void folder(String uid, String title) {
        folders.put(uid, JSON.createObjectNode().put("id", folders.size() + 1).put("uid", uid).put("title", title));
    }

    void dashboard(String uid, String title, String folderUid, int panels) {
        ObjectNode d = JSON.createObjectNode().put("id", dashboards.size() + 10).put("uid", uid).put("title", title).put("version", 3);
        ArrayNode p = d.putArray("panels");
        for (int i = 0; i < panels; i++) p.addObject().put("id", i + 1).put("type", "timeseries").put("title", "panel " + i);
        ObjectNode meta = JSON.createObjectNode().put("folderUid", folderUid == null ? "" : folderUid)
                .put("folderTitle", folderUid == null ? "General" : folders.get(folderUid).path("title").asText()).put("slug", uid);
        ObjectNode answer = JSON.createObjectNode();
        answer.set("dashboard", d);
        answer.set("meta", meta);
        dashboards.put(uid, answer);
    }

    private void handle(HttpExchange ex) throws IOException {
        String method = ex.getRequestMethod();
        URI uri = ex.getRequestURI();
        String path = uri.getPath();
        synchronized (this) {
            requests.add(method + " " + uri);
        }
        if (!("Bearer " + token).equals(ex.getRequestHeaders().getFirst("Authorization"))) {
            send(ex, 401, "{\"message\":\"Unauthorized\"}");
            return;
        }
        JsonNode body = null;
        byte[] in = ex.getRequestBody().readAllBytes();
        if (in.length > 0) body = JSON.readTree(in);
        Map<String, String> q = query(uri.getRawQuery());
        synchronized (this) {
            if (method.equals("GET") && path.equals("/api/folders")) {
                send(ex, 200, JSON.writeValueAsString(folders.values()));
            } else if (method.equals("GET") && path.equals("/api/search")) {
                int limit = Integer.parseInt(q.getOrDefault("limit", "1000"));
                int page = Integer.parseInt(q.getOrDefault("page", "1"));
                ArrayNode hits = JSON.createArrayNode();
                List<ObjectNode> all = new ArrayList<>(dashboards.values());
                for (int i = (page - 1) * limit; i < Math.min(all.size(), page * limit); i++) {
                    ObjectNode d = all.get(i);
                    hits.addObject().put("uid", d.path("dashboard").path("uid").asText()).put("title", d.path("dashboard").path("title").asText())
                            .put("type", "dash-db").put("folderUid", d.path("meta").path("folderUid").asText());
                }
                send(ex, 200, JSON.writeValueAsString(hits));
            } else if (method.equals("GET") && path.startsWith("/api/dashboards/uid/")) {
                ObjectNode d = dashboards.get(path.substring("/api/dashboards/uid/".length()));
                send(ex, d == null ? 404 : 200, d == null ? "{\"message\":\"Dashboard not found\"}" : JSON.writeValueAsString(d));
            } else if (method.equals("GET") && path.equals("/api/datasources")) {
                send(ex, 200, JSON.writeValueAsString(datasources.values()));
            } else if (method.equals("GET") && path.equals("/api/v1/provisioning/alert-rules")) {
                send(ex, 200, JSON.writeValueAsString(alertRules.values()));
            } else if (method.equals("POST") && path.equals("/api/folders")) {
                String uid = body.path("uid").asText();
                if (folders.containsKey(uid)) {
                    send(ex, 412, "{\"message\":\"a folder with the same uid already exists\"}");
                } else {
                    folder(uid, body.path("title").asText());
                    send(ex, 200, JSON.writeValueAsString(folders.get(uid)));
                }
            } else if (method.equals("POST") && path.equals("/api/dashboards/db")) {
                ObjectNode dash = (ObjectNode) body.path("dashboard");
                String uid = dash.path("uid").asText();
                String folderUid = body.path("folderUid").asText("");
                if (!folderUid.isEmpty() && !folders.containsKey(folderUid)) {
                    send(ex, 400, "{\"message\":\"folder not found\"}");
                } else if (dashboards.containsKey(uid) && !body.path("overwrite").asBoolean()) {
                    send(ex, 412, "{\"status\":\"name-exists\",\"message\":\"A dashboard with the same uid already exists\"}");
                } else {
                    ObjectNode answer = JSON.createObjectNode();
                    answer.set("dashboard", dash);
                    answer.set("meta", JSON.createObjectNode().put("folderUid", folderUid)
                            .put("folderTitle", folderUid.isEmpty() ? "General" : folders.get(folderUid).path("title").asText()));
                    dashboards.put(uid, answer);
                    send(ex, 200, "{\"status\":\"success\",\"uid\":\"" + uid + "\",\"version\":1}");
                }
            } else if (method.equals("POST") && path.equals("/api/datasources")) {
                String name = body.path("name").asText();
                if (datasources.values().stream().anyMatch(d -> d.path("name").asText().equals(name))) {
                    send(ex, 409, "{\"message\":\"data source with the same name already exists\"}");
                } else {
                    datasources.put(body.path("uid").asText(), (ObjectNode) body);
                    send(ex, 200, "{\"message\":\"Datasource added\"}");
                }
            } else if (method.equals("PUT") && path.startsWith("/api/datasources/uid/")) {
                datasources.put(path.substring("/api/datasources/uid/".length()), (ObjectNode) body);
                send(ex, 200, "{\"message\":\"Datasource updated\"}");
            } else if (method.equals("POST") && path.equals("/api/v1/provisioning/alert-rules")) {
                String uid = body.path("uid").asText();
                if (alertRules.containsKey(uid)) {
                    send(ex, 409, "{\"message\":\"conflict\"}");
                } else {
                    alertRules.put(uid, (ObjectNode) body);
                    send(ex, 201, JSON.writeValueAsString(body));
                }
            } else if (method.equals("PUT") && path.startsWith("/api/v1/provisioning/alert-rules/")) {
                alertRules.put(path.substring("/api/v1/provisioning/alert-rules/".length()), (ObjectNode) body);
                send(ex, 200, JSON.writeValueAsString(body));
            } else {
                send(ex, 404, "{\"message\":\"Not found\"}");
            }
        }
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> q = new LinkedHashMap<>();
        if (raw == null) return q;
        for (String kv : raw.split("&")) {
            int i = kv.indexOf('=');
            if (i > 0) q.put(kv.substring(0, i), java.net.URLDecoder.decode(kv.substring(i + 1), StandardCharsets.UTF_8));
        }
        return q;
    }

    private static void send(HttpExchange ex, int status, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(status, b.length);
        ex.getResponseBody().write(b);
        ex.close();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
