package dev.cairn.backup.source.grafana;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cairn.backup.source.SecretFile;
import dev.cairn.backup.source.SourceErrors;
import dev.cairn.backup.source.SourceException;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;

/** Grafana's HTTP API with a service account token (a bearer token read from a file). */
final class GrafanaApi {

    static final ObjectMapper JSON = new ObjectMapper();

    private final String base;
    private final String token;
    private final Duration timeout;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    GrafanaApi(String url, Path tokenFile, Duration timeout) throws SourceException {
        this.base = url.replaceAll("/+$", "");
        this.timeout = timeout;
        try {
            this.token = SecretFile.readSecret(tokenFile).trim();
        } catch (IOException e) {
            throw new SourceException(SourceErrors.SECRET_UNREADABLE, "cannot read token_file " + tokenFile + ": " + e.getMessage());
        }
    }

    /** A response: status and parsed body (null when not JSON). */
    record Answer(int status, JsonNode body, String text) {
    }

    Answer call(String method, String path, JsonNode body) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(timeout)
                .header("Authorization", "Bearer " + token).header("Accept", "application/json");
        if (body != null) {
            b.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)));
        } else {
            b.method(method, HttpRequest.BodyPublishers.noBody());
        }
        HttpResponse<String> r;
        try {
            r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new SourceException(SourceErrors.GRAFANA_FAILED, "cannot reach Grafana at " + base + ": " + e.getMessage(), e);
        }
        JsonNode parsed = null;
        try {
            parsed = r.body().isEmpty() ? null : JSON.readTree(r.body());
        } catch (IOException e) {
            // not JSON: the text is in the answer
        }
        return new Answer(r.statusCode(), parsed, r.body());
    }

    /** GET that must answer 200 with JSON. */
    JsonNode get(String path) throws IOException, InterruptedException {
        Answer a = call("GET", path, null);
        if (a.status() != 200 || a.body() == null) {
            throw new SourceException(SourceErrors.GRAFANA_FAILED, "GET " + path + " answered " + a.status() + ": "
                    + a.text().substring(0, Math.min(300, a.text().length())));
        }
        return a.body();
    }
}
