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
    private static final int DENIED = 3;

    /** The families the HAProxy 2 Full dashboard (grafana.com 12693) reads first; Cairn must serve each. */
    private static final List<String> REQUIRED = List.of(
            "haproxy_process_start_time_seconds", "haproxy_frontend_status", "haproxy_frontend_current_sessions",
            "haproxy_frontend_bytes_in_total", "haproxy_frontend_bytes_out_total", "haproxy_frontend_http_requests_total",
            "haproxy_frontend_http_responses_total", "haproxy_backend_status", "haproxy_backend_active_servers",
            "haproxy_backend_current_queue", "haproxy_backend_http_responses_total", "haproxy_backend_response_time_average_seconds",
            "haproxy_server_status", "haproxy_server_weight", "haproxy_server_current_sessions",
            "haproxy_server_http_responses_total", "haproxy_frontend_requests_denied_total",
            "haproxy_frontend_denied_connections_total", "haproxy_server_check_status", "haproxy_server_check_failures_total",
            "haproxy_server_check_up_down_total", "haproxy_server_downtime_seconds_total",
            "haproxy_server_check_duration_seconds", "haproxy_server_check_last_change_seconds");

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
        int dead;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            dead = s.getLocalPort(); // closed again: its checks are refused
        }
        // "web": two healthy servers under an HTTP check; "down": one server whose check is
        // refused, routed by Host only (no traffic goes there); "guarded": a frontend whose
        // allow list refuses 127.0.0.1, as "http-request deny unless { src ... }" does.
        cairn = new ProxyFixture(dir, "services:\n" + ProxyFixture.service("web", ProxyFixture.FAST_HTTP_CHECK,
                "{ address: " + a.address() + ", name: a }", "{ address: " + b.address() + ", name: b }")
                + ProxyFixture.service("down", ProxyFixture.FAST_HTTP_CHECK, "{ address: 127.0.0.1:" + dead + ", name: d }")
                + "proxy:\n  listeners:\n    - name: web\n      bind: 127.0.0.1:0\n      routes:\n"
                + "        - { host: down.example, service: down }\n"
                + "        - { service: web, balance: roundrobin }\n"
                + "    - name: guarded\n      bind: 127.0.0.1:0\n      allow: [192.0.2.0/24]\n      routes:\n"
                + "        - { service: web }\n", false);

        int stats = TestHost.freePort();
        int web = TestHost.freePort();
        int guarded = TestHost.freePort();
        Path cfg = dir.resolve("haproxy.cfg");
        Files.writeString(cfg, String.join("\n",
                "global", "  nbthread 2",
                "defaults", "  mode http", "  timeout connect 2s", "  timeout client 10s", "  timeout server 10s",
                "  timeout check 500ms", "  default-server inter 100 rise 1 fall 1",
                "frontend stats", "  bind 127.0.0.1:" + stats,
                "  http-request use-service prometheus-exporter if { path /metrics }",
                "frontend web", "  bind 127.0.0.1:" + web,
                "  use_backend down if { hdr(host) -i down.example }", "  default_backend web",
                "frontend guarded", "  bind 127.0.0.1:" + guarded,
                "  http-request deny unless { src 192.0.2.0/24 }", "  default_backend web",
                "backend web", "  balance roundrobin", "  option httpchk GET /health",
                "  server a " + a.address() + " check", "  server b " + b.address() + " check",
                "backend down", "  option httpchk GET /health", "  server d 127.0.0.1:" + dead + " check", ""));
        String metricsUrl = "http://127.0.0.1:" + stats + "/metrics";
        haproxy = Exporters.Incumbent.start(dir, metricsUrl, "haproxy", "-db", "-f", cfg.toString());

        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        // Both have checked every server, and taken d down, before any request.
        for (String url : List.of(metricsUrl, "")) {
            TestHost.await(Duration.ofSeconds(20), "checks done in " + (url.isEmpty() ? "Cairn" : "HAProxy"), () -> {
                try {
                    String t = url.isEmpty() ? cairnScrape() : Exporters.scrape(url);
                    return has(t, "haproxy_server_check_status{proxy=\"web\",server=\"a\",state=\"L7OK\"}", 1)
                            && has(t, "haproxy_server_check_status{proxy=\"web\",server=\"b\",state=\"L7OK\"}", 1)
                            && has(t, "haproxy_server_status{proxy=\"down\",server=\"d\",state=\"DOWN\"}", 1);
                } catch (Exception e) {
                    return false;
                }
            });
        }
        for (String base : List.of(cairn.base("web"), "http://127.0.0.1:" + web)) {
            for (int i = 0; i < REQUESTS; i++) {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + "/")).timeout(Duration.ofSeconds(10))
                        .build(), HttpResponse.BodyHandlers.ofString());
                assertThat(r.statusCode()).isEqualTo(200);
            }
        }
        for (String base : List.of(cairn.base("guarded"), "http://127.0.0.1:" + guarded)) {
            for (int i = 0; i < DENIED; i++) {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + "/")).timeout(Duration.ofSeconds(10))
                        .build(), HttpResponse.BodyHandlers.ofString());
                assertThat(r.statusCode()).as(base).isEqualTo(403);
            }
        }
        haproxyText = Exporters.scrape(metricsUrl);
        cairnText = cairnScrape();
    }

    private static String cairnScrape() throws java.io.IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new PrometheusTextFormatWriter(false).write(out, cairn.host.host().metrics().scrape());
        return out.toString(StandardCharsets.UTF_8);
    }

    private static boolean has(String text, String series, double v) {
        try {
            return value(text, series) == v;
        } catch (AssertionError e) {
            return false;
        }
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
     * The active checks as HAProxy reports them: a healthy server's last check L7OK with no failure
     * and no downtime; a refused one's L4CON, taken down once (both start a server UP, and with
     * fall 1 its first failed check takes it down), with failures counted and DOWN for the server
     * status, its backend's status and downtime; requests an allow list refuses counted as denied
     * requests, connections denied none.
     */
    @Test
    void checksAndDenialsReadAsHaproxysForAHealthyAndARefusedServer() {
        for (String series : List.of(
                "haproxy_server_check_status{proxy=\"web\",server=\"a\",state=\"L7OK\"}",
                "haproxy_server_check_status{proxy=\"web\",server=\"b\",state=\"L4CON\"}",
                "haproxy_server_check_failures_total{proxy=\"web\",server=\"a\"}",
                "haproxy_server_check_up_down_total{proxy=\"web\",server=\"b\"}",
                "haproxy_server_downtime_seconds_total{proxy=\"web\",server=\"a\"}",
                "haproxy_server_check_status{proxy=\"down\",server=\"d\",state=\"L4CON\"}",
                "haproxy_server_check_status{proxy=\"down\",server=\"d\",state=\"L7OK\"}",
                "haproxy_server_check_up_down_total{proxy=\"down\",server=\"d\"}",
                "haproxy_server_status{proxy=\"down\",server=\"d\",state=\"DOWN\"}",
                "haproxy_server_status{proxy=\"down\",server=\"d\",state=\"UP\"}",
                "haproxy_backend_status{proxy=\"down\",state=\"DOWN\"}",
                "haproxy_frontend_requests_denied_total{proxy=\"guarded\"}",
                "haproxy_frontend_denied_connections_total{proxy=\"guarded\"}",
                "haproxy_frontend_requests_denied_total{proxy=\"web\"}")) {
            assertThat(value(cairnText, series)).as(series).isEqualTo(value(haproxyText, series));
        }
        assertThat(value(cairnText, "haproxy_frontend_requests_denied_total{proxy=\"guarded\"}")).isEqualTo(DENIED);
        assertThat(value(cairnText, "haproxy_server_check_up_down_total{proxy=\"down\",server=\"d\"}")).isEqualTo(1);
        for (String text : List.of(cairnText, haproxyText)) {
            assertThat(value(text, "haproxy_server_check_failures_total{proxy=\"down\",server=\"d\"}")).isPositive();
            assertThat(value(text, "haproxy_server_check_duration_seconds{proxy=\"web\",server=\"a\"}")).isBetween(0.0, 0.5);
            assertThat(value(text, "haproxy_server_downtime_seconds_total{proxy=\"down\",server=\"d\"}")).isNotNegative();
            assertThat(value(text, "haproxy_server_check_last_change_seconds{proxy=\"down\",server=\"d\"}")).isNotNegative();
        }
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
