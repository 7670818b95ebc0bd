package dev.cairn.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.core.testing.Exporters;
import dev.cairn.core.testing.Exporters.Family;
import dev.cairn.core.testing.TestHost;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The proxy's haproxy_* families against Debian's HAProxy 2.6 exposing its built-in Prometheus
 * exporter ({@code http-request use-service prometheus-exporter}): both proxies get the same
 * listener/frontend "web", service/backend "web" with endpoints/servers "a" and "b", and the same
 * requests; every haproxy_* family Cairn serves must be one HAProxy serves with the same type and
 * label names, and the counts both saw must agree.
 */
class HaproxyParityTest {

    private static final int REQUESTS = 20;

    /** The families the HAProxy 2 Full dashboard (grafana.com 12693) reads first; Cairn must serve each. */
    private static final List<String> REQUIRED = List.of(
            "haproxy_process_start_time_seconds", "haproxy_frontend_status", "haproxy_frontend_current_sessions",
            "haproxy_frontend_bytes_in_total", "haproxy_frontend_bytes_out_total", "haproxy_frontend_http_requests_total",
            "haproxy_frontend_http_responses_total", "haproxy_backend_status", "haproxy_backend_active_servers",
            "haproxy_backend_current_queue", "haproxy_backend_http_responses_total", "haproxy_backend_response_time_average_seconds",
            "haproxy_server_status", "haproxy_server_weight", "haproxy_server_current_sessions",
            "haproxy_server_http_responses_total");

    @TempDir
    static Path dir;

    private static TestBackend a;
    private static TestBackend b;
    private static ProxyFixture cairn;
    private static Exporters.Incumbent haproxy;
    private static String cairnText;
    private static String haproxyText;

    @BeforeAll
    static void sameTrafficThroughBoth() throws Exception {
        a = new TestBackend("a");
        b = new TestBackend("b");
        cairn = new ProxyFixture(dir, "services:\n" + ProxyFixture.service("web", null,
                "{ address: " + a.address() + ", name: a }", "{ address: " + b.address() + ", name: b }")
                + "proxy:\n  listeners:\n    - name: web\n      bind: 127.0.0.1:0\n      routes:\n"
                + "        - { service: web, balance: roundrobin }\n", false);

        int stats = TestHost.freePort();
        int web = TestHost.freePort();
        Path cfg = dir.resolve("haproxy.cfg");
        Files.writeString(cfg, String.join("\n",
                "global", "  nbthread 2",
                "defaults", "  mode http", "  timeout connect 2s", "  timeout client 10s", "  timeout server 10s",
                "frontend stats", "  bind 127.0.0.1:" + stats,
                "  http-request use-service prometheus-exporter if { path /metrics }",
                "frontend web", "  bind 127.0.0.1:" + web, "  default_backend web",
                "backend web", "  balance roundrobin",
                "  server a " + a.address(), "  server b " + b.address(), ""));
        String metricsUrl = "http://127.0.0.1:" + stats + "/metrics";
        haproxy = Exporters.Incumbent.start(dir, metricsUrl, "haproxy", "-db", "-f", cfg.toString());

        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        for (String base : List.of(cairn.base("web"), "http://127.0.0.1:" + web)) {
            for (int i = 0; i < REQUESTS; i++) {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + "/")).timeout(Duration.ofSeconds(10))
                        .build(), HttpResponse.BodyHandlers.ofString());
                assertThat(r.statusCode()).isEqualTo(200);
            }
        }
        haproxyText = Exporters.scrape(metricsUrl);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new PrometheusTextFormatWriter(false).write(out, cairn.host.host().metrics().scrape());
        cairnText = out.toString(StandardCharsets.UTF_8);
    }

    @AfterAll
    static void stop() {
        if (haproxy != null) haproxy.close();
        if (cairn != null) cairn.close();
        if (a != null) a.close();
        if (b != null) b.close();
    }

    @Test
    void everyHaproxyFamilyCairnServesHasHaproxysTypeAndLabelNames() {
        Map<String, Family> mine = Exporters.families(cairnText);
        Map<String, Family> theirs = Exporters.families(haproxyText);
        List<String> mismatches = new ArrayList<>();
        for (String name : Exporters.namesWithPrefix(mine, "haproxy_")) {
            if (!mine.get(name).equals(theirs.get(name))) {
                mismatches.add(name + ": Cairn " + mine.get(name) + ", HAProxy " + theirs.get(name));
            }
        }
        assertThat(mismatches).isEmpty();
        assertThat(mine.keySet()).containsAll(REQUIRED);
    }

    @Test
    void bothCountTheSameRequestsResponsesAndServers() {
        for (String series : List.of(
                "haproxy_frontend_http_requests_total{proxy=\"web\"}",
                "haproxy_frontend_http_responses_total{proxy=\"web\",code=\"2xx\"}",
                "haproxy_backend_http_responses_total{proxy=\"web\",code=\"2xx\"}",
                "haproxy_server_http_responses_total{proxy=\"web\",server=\"a\",code=\"2xx\"}",
                "haproxy_server_http_responses_total{proxy=\"web\",server=\"b\",code=\"2xx\"}",
                "haproxy_backend_active_servers{proxy=\"web\"}",
                "haproxy_backend_status{proxy=\"web\",state=\"UP\"}",
                "haproxy_server_status{proxy=\"web\",server=\"a\",state=\"UP\"}",
                "haproxy_server_weight{proxy=\"web\",server=\"b\"}",
                "haproxy_frontend_status{proxy=\"web\",state=\"UP\"}")) {
            assertThat(value(cairnText, series)).as(series).isEqualTo(value(haproxyText, series));
        }
        assertThat(value(cairnText, "haproxy_frontend_http_requests_total{proxy=\"web\"}")).isEqualTo(REQUESTS);
        // Averages come from the cairn_proxy_* histograms (lifetime sum / count).
        assertThat(value(cairnText, "haproxy_backend_total_time_average_seconds{proxy=\"web\"}")).isPositive();
        assertThat(value(cairnText, "haproxy_backend_connect_time_average_seconds{proxy=\"web\"}")).isPositive();
        // The fast path (the default) served these: its response times are counted too.
        assertThat(value(cairnText, "haproxy_backend_response_time_average_seconds{proxy=\"web\"}")).isPositive();
        assertThat(value(haproxyText, "haproxy_backend_response_time_average_seconds{proxy=\"web\"}")).isPositive();
    }

    /**
     * Cairn's own answers when an endpoint refuses connections (503) or never answers (504) have
     * HAProxy's status, and like HAProxy's they keep the client connection, on both of Cairn's paths.
     */
    @Test
    void errorAnswersHaveHaproxysStatusAndKeepTheConnectionAsItDoes() throws Exception {
        int dead;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            dead = s.getLocalPort(); // closed again: connections to it are refused
        }
        try (ScriptedBackend hang = new ScriptedBackend((r, in, out, sock) -> ScriptedBackend.hang(in))) {
            int stats = TestHost.freePort();
            int web = TestHost.freePort();
            Path d = Files.createDirectories(dir.resolve("errors"));
            Path cfg = d.resolve("haproxy.cfg");
            Files.writeString(cfg, String.join("\n",
                    "global", "  nbthread 1",
                    "defaults", "  mode http", "  timeout connect 1s", "  timeout client 10s", "  timeout server 1500ms",
                    "  retries 2",
                    "frontend stats", "  bind 127.0.0.1:" + stats,
                    "  http-request use-service prometheus-exporter if { path /metrics }",
                    "frontend web", "  bind 127.0.0.1:" + web,
                    "  use_backend dead if { hdr(host) -i dead.example }", "  default_backend slow",
                    "backend dead", "  server d 127.0.0.1:" + dead,
                    "backend slow", "  server s " + hang.address(), ""));
            List<String> cases = List.of("GET /x HTTP/1.1\r\nHost: dead.example\r\n\r\n", "GET /x HTTP/1.1\r\nHost: slow.example\r\n\r\n");
            List<String> expected = new ArrayList<>();
            try (Exporters.Incumbent h = Exporters.Incumbent.start(d, "http://127.0.0.1:" + stats + "/metrics", "haproxy", "-db",
                    "-f", cfg.toString())) {
                for (String raw : cases) expected.add(statusAndConnection(web, raw));
            }
            assertThat(expected).as("HAProxy's answers").containsExactly("503, connection kept", "504, connection kept");
            for (boolean fastPath : new boolean[] {false, true}) {
                String yaml = "services:\n" + ProxyFixture.service("dead", null, "{ address: 127.0.0.1:" + dead + ", name: d }")
                        + ProxyFixture.service("slow", null, "{ address: " + hang.address() + ", name: s }")
                        + "proxy:\n  fast_path: " + fastPath + "\n  passive_health: { failures: 0 }\n"
                        + "  timeouts: { connect: 1s, server: 1500ms }\n"
                        + "  listeners:\n    - name: web\n      bind: 127.0.0.1:0\n      routes:\n"
                        + "        - { host: dead.example, service: dead }\n        - { service: slow }\n";
                try (ProxyFixture f = new ProxyFixture(Files.createDirectories(d.resolve("cairn-" + fastPath)), yaml, false)) {
                    List<String> mine = new ArrayList<>();
                    for (String raw : cases) mine.add(statusAndConnection(f.proxy.listenerAddress("web").getPort(), raw));
                    assertThat(mine).as("fast_path %s vs HAProxy", fastPath).containsExactlyElementsOf(expected);
                }
            }
        }
    }

    private static String statusAndConnection(int port, String raw) throws Exception {
        try (WireClient c = new WireClient(port, 10_000)) {
            WireClient.Response r = c.exchange(raw);
            return (r == null ? "closed" : Integer.toString(r.status())) + ", connection " + (c.closedWithin(1000) ? "closed" : "kept");
        }
    }

    @Test
    void theFamiliesSwitchOffWithTheProxysKey() throws Exception {
        String base = "services:\n" + ProxyFixture.service("web", null,
                "{ address: " + a.address() + ", name: a }", "{ address: " + b.address() + ", name: b }")
                + "proxy:\n  haproxy_metrics: false\n  listeners:\n    - name: web\n      bind: 127.0.0.1:0\n      routes:\n"
                + "        - { service: web, balance: roundrobin }\n";
        assertThat(cairn.host.reload(base).ok()).isTrue();
        assertThat(cairn.host.metric("haproxy_frontend_http_requests", "proxy", "web")).isNaN();
        assertThat(cairn.host.metric("cairn_proxy_frontend_http_requests", "listener", "web")).isEqualTo(REQUESTS);
        assertThat(cairn.host.reload(base.replace("haproxy_metrics: false", "haproxy_metrics: true")).ok()).isTrue();
        assertThat(cairn.host.metric("haproxy_frontend_http_requests", "proxy", "web")).isEqualTo(REQUESTS);
    }

    /**
     * The value of one series, found by name and labels in any order (HAProxy writes
     * {@code proxy,code}, Cairn sorts label names).
     */
    private static double value(String text, String series) {
        String name = series.substring(0, series.indexOf('{'));
        List<String> labels = List.of(series.substring(series.indexOf('{') + 1, series.length() - 1).split(","));
        return text.lines().filter(l -> l.startsWith(name + "{"))
                .filter(l -> {
                    String ls = l.substring(l.indexOf('{') + 1, l.lastIndexOf('}'));
                    List<String> have = List.of(ls.split(","));
                    return have.size() == labels.size() && have.containsAll(labels);
                })
                .map(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).findFirst()
                .orElseThrow(() -> new AssertionError("no " + series + " in:\n" + text));
    }
}
