package dev.cairn.dist;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cairn.core.testing.TestHost;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Debian's real Prometheus server, run by a test on a free loopback port with its own TSDB directory. */
final class Prometheus implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private final Process process;
    private final Path log;
    private final String base;

    private Prometheus(Process process, Path log, String base) {
        this.process = process;
        this.log = log;
        this.base = base;
    }

    /** Starts prometheus on {@code config} (a prometheus.yml) and waits until it is ready. */
    static Prometheus start(Path dir, String config) throws Exception {
        int port = TestHost.freePort();
        Path yml = dir.resolve("prometheus.yml");
        Files.writeString(yml, config);
        Path log = dir.resolve("prometheus.log");
        Process p = new ProcessBuilder("prometheus", "--config.file=" + yml, "--storage.tsdb.path=" + dir.resolve("tsdb"),
                "--web.listen-address=127.0.0.1:" + port, "--log.level=warn")
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        Prometheus prom = new Prometheus(p, log, "http://127.0.0.1:" + port);
        try {
            TestHost.await(Duration.ofSeconds(30), "prometheus ready", () -> {
                if (!p.isAlive()) throw new AssertionError("prometheus exited: " + prom.log());
                try {
                    return prom.get("/-/ready").statusCode() == 200;
                } catch (IOException e) {
                    return false;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            });
        } catch (RuntimeException | Error | InterruptedException e) {
            prom.close();
            throw e;
        }
        return prom;
    }

    /** The outcome of one instant query: an error (a query that does not parse), or the series count. */
    record Result(String error, int series) {
        boolean hasData() {
            return error == null && series > 0;
        }
    }

    Result query(String promql) throws IOException, InterruptedException {
        HttpResponse<String> r = get("/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8));
        JsonNode body = JSON.readTree(r.body());
        if (!"success".equals(body.path("status").asText())) {
            return new Result(body.path("errorType").asText() + ": " + body.path("error").asText(), 0);
        }
        JsonNode data = body.path("data");
        String type = data.path("resultType").asText();
        if (type.equals("scalar") || type.equals("string")) return new Result(null, 1);
        return new Result(null, data.path("result").size());
    }

    /** label_values(MATCH, LABEL): the values of LABEL on the series MATCH selects (all series when MATCH is empty). */
    List<String> labelValues(String match, String label) throws IOException, InterruptedException {
        String path = "/api/v1/label/" + label + "/values"
                + (match.isBlank() ? "" : "?match[]=" + URLEncoder.encode(match, StandardCharsets.UTF_8));
        JsonNode body = JSON.readTree(get(path).body());
        List<String> out = new ArrayList<>();
        body.path("data").forEach(v -> out.add(v.asText()));
        return out;
    }

    /** Waits until every target of the config has been scraped successfully at least once. */
    void awaitTargetsUp(int expected) throws InterruptedException {
        TestHost.await(Duration.ofSeconds(30), expected + " targets up (" + log() + ")", () -> {
            try {
                JsonNode active = JSON.readTree(get("/api/v1/targets").body()).path("data").path("activeTargets");
                int up = 0;
                for (JsonNode t : active) if ("up".equals(t.path("health").asText())) up++;
                return up >= expected;
            } catch (IOException e) {
                return false;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        });
    }

    private HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    String log() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "(no log)";
        }
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }
}
