package dev.cairn.core.admin;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cairn.core.demo.DemoModule;
import dev.cairn.core.testing.TestHost;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AdminApiTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newHttpClient();

    @TempDir
    Path dir;
    int p1;
    int p2;

    @BeforeEach
    void ports() throws Exception {
        p1 = TestHost.freePort();
        p2 = TestHost.freePort();
    }

    private String yaml() {
        return """
                services:
                  web:
                    endpoints:
                      - 127.0.0.1:%d
                      - { address: 127.0.0.1:%d, name: second }
                demo:
                  service: web
                """.formatted(p1, p2);
    }

    private HttpResponse<String> send(String method, String url, String token) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).method(method, HttpRequest.BodyPublishers.noBody());
        if (token != null) b.header("Authorization", "Bearer " + token);
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void statusShowsNodeModulesAndConfigHash() throws Exception {
        try (TestHost t = TestHost.start(dir, yaml(), new DemoModule())) {
            HttpResponse<String> r = send("GET", t.adminUrl() + "/api/status", null);
            assertThat(r.statusCode()).isEqualTo(200);
            JsonNode s = JSON.readTree(r.body());
            assertThat(s.path("node").asText()).isEqualTo(t.host().node());
            assertThat(s.path("config").path("hash").asText()).isEqualTo(t.host().config().hash());
            assertThat(s.path("modules").get(0).path("name").asText()).isEqualTo("demo");
            assertThat(s.path("modules").get(0).path("healthy").asBoolean()).isTrue();
            assertThat(s.path("services").path("web").path("endpoints").asInt()).isEqualTo(2);
        }
    }

    @Test
    void catalogListsEndpointsWithHealth() throws Exception {
        try (TestHost t = TestHost.start(dir, yaml(), new DemoModule())) {
            JsonNode c = JSON.readTree(send("GET", t.adminUrl() + "/api/catalog", null).body());
            JsonNode eps = c.path("services").get(0).path("endpoints");
            assertThat(eps.get(0).path("name").asText()).isEqualTo("127.0.0.1:" + p1);
            assertThat(eps.get(1).path("name").asText()).isEqualTo("second");
            assertThat(eps.get(1).path("health").asText()).isEqualTo("up");
        }
    }

    @Test
    void drainAndEnableSurviveAReload() throws Exception {
        try (TestHost t = TestHost.start(dir, yaml(), new DemoModule())) {
            String url = t.adminUrl() + "/api/services/web/endpoints/second/";
            HttpResponse<String> r = send("POST", url + "drain", null);
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(JSON.readTree(r.body()).path("drained").asBoolean()).isTrue();

            HttpResponse<String> reload = send("POST", t.adminUrl() + "/api/reload", null);
            assertThat(reload.statusCode()).isEqualTo(200);
            JsonNode ep = JSON.readTree(send("GET", t.adminUrl() + "/api/catalog", null).body())
                    .path("services").get(0).path("endpoints").get(1);
            assertThat(ep.path("drained").asBoolean()).isTrue();
            assertThat(ep.path("available").asBoolean()).isFalse();
            assertThat(t.metric("cairn_service_endpoint_drained", "service", "web", "endpoint", "second")).isEqualTo(1.0);

            assertThat(JSON.readTree(send("POST", url + "enable", null).body()).path("drained").asBoolean()).isFalse();
            // The endpoint name may be host:port, URL-encoded or not.
            assertThat(send("POST", t.adminUrl() + "/api/services/web/endpoints/127.0.0.1%3A" + p1 + "/drain", null)
                    .statusCode()).isEqualTo(200);
        }
    }

    @Test
    void reloadPlanSaysWhatTheEditedFileWouldChangeAndAppliesNothing() throws Exception {
        try (TestHost t = TestHost.start(dir, yaml(), new DemoModule())) {
            String hash = t.host().config().hash();
            int p3 = TestHost.freePort();
            java.nio.file.Files.writeString(t.configFile(), yaml().replace("name: second }",
                    "name: second }\n      - 127.0.0.1:" + p3) + "\nadmin:\n  listen: " + t.host().config().admin().listen() + "\n");
            HttpResponse<String> r = send("GET", t.adminUrl() + "/api/reload/plan", null);
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(JSON.readTree(r.body()).path("applied").toString()).contains("service web: endpoint 127.0.0.1:" + p3 + " added");
            assertThat(send("POST", t.adminUrl() + "/api/reload/plan", null).statusCode()).isEqualTo(405);
            // Nothing applied: same config, same catalog.
            assertThat(t.host().config().hash()).isEqualTo(hash);
            assertThat(t.host().catalog().service("web").orElseThrow().endpoints()).hasSize(2);

            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            java.io.PrintStream old = System.out;
            System.setOut(new java.io.PrintStream(out, true, java.nio.charset.StandardCharsets.UTF_8));
            try {
                assertThat(dev.cairn.core.cli.Main.execute("reload", "--dry-run", "--url", t.adminUrl())).isZero();
            } finally {
                System.setOut(old);
            }
            assertThat(out.toString(java.nio.charset.StandardCharsets.UTF_8)).startsWith("a reload (config hash ")
                    .contains("  service web: endpoint 127.0.0.1:" + p3 + " added");
            assertThat(t.host().catalog().service("web").orElseThrow().endpoints()).hasSize(2);

            java.nio.file.Files.writeString(t.configFile(), "services: [oops\n");
            HttpResponse<String> bad = send("GET", t.adminUrl() + "/api/reload/plan", null);
            assertThat(bad.statusCode()).isEqualTo(422);
            assertThat(JSON.readTree(bad.body()).path("errors").get(0).asText()).contains("YAML syntax error");
        }
    }

    @Test
    void weightCanBeChangedAndReset() throws Exception {
        try (TestHost t = TestHost.start(dir, yaml(), new DemoModule())) {
            String url = t.adminUrl() + "/api/services/web/endpoints/second/weight";
            assertThat(JSON.readTree(send("POST", url + "?weight=0", null).body()).path("weight").asInt()).isEqualTo(0);
            assertThat(t.host().catalog().service("web").orElseThrow().available()).hasSize(1);
            assertThat(send("POST", url + "?weight=300", null).statusCode()).isEqualTo(400);
            assertThat(JSON.readTree(send("POST", url + "?weight=reset", null).body()).path("weight").asInt()).isEqualTo(1);
        }
    }

    @Test
    void unknownEndpointWrongMethodAndUnknownPathAreClearErrors() throws Exception {
        try (TestHost t = TestHost.start(dir, yaml(), new DemoModule())) {
            HttpResponse<String> r = send("POST", t.adminUrl() + "/api/services/web/endpoints/nope/drain", null);
            assertThat(r.statusCode()).isEqualTo(404);
            assertThat(JSON.readTree(r.body()).path("error").asText()).isEqualTo("no endpoint 'nope' in service 'web'");
            assertThat(send("GET", t.adminUrl() + "/api/reload", null).statusCode()).isEqualTo(405);
            assertThat(send("GET", t.adminUrl() + "/api/nothing", null).statusCode()).isEqualTo(404);
        }
    }

    @Test
    void rejectedReloadReturns422WithTheErrorsAndKeepsServing() throws Exception {
        try (TestHost t = TestHost.start(dir, yaml(), new DemoModule())) {
            Files.writeString(t.configFile(), Files.readString(t.configFile()).replace("service: web", "service: wbe"));
            HttpResponse<String> r = send("POST", t.adminUrl() + "/api/reload", null);
            assertThat(r.statusCode()).isEqualTo(422);
            JsonNode b = JSON.readTree(r.body());
            assertThat(b.path("ok").asBoolean()).isFalse();
            assertThat(b.path("errors").get(0).asText()).endsWith("demo.service: unknown service 'wbe' (did you mean 'web'?)");
            JsonNode status = JSON.readTree(send("GET", t.adminUrl() + "/api/status", null).body());
            assertThat(status.path("config").path("last_reload").path("ok").asBoolean()).isFalse();
            assertThat(send("GET", "http://127.0.0.1:" + p1 + "/", null).body()).startsWith("hello from demo backend");
            // `cairn reload` is the unit's ExecReload: its exit code is what `systemctl reload` reports.
            assertThat(dev.cairn.core.cli.Main.execute("reload", "--url", t.adminUrl())).as("cairn reload of a rejected file").isEqualTo(1);
            Files.writeString(t.configFile(), Files.readString(t.configFile()).replace("service: wbe", "service: web"));
            assertThat(dev.cairn.core.cli.Main.execute("reload", "--url", t.adminUrl())).as("cairn reload of a good file").isZero();
            assertThat(JSON.readTree(send("GET", t.adminUrl() + "/api/status", null).body())
                    .path("config").path("last_reload").path("ok").asBoolean()).isTrue();
        }
    }

    @Test
    void tokenIsRequiredWhenConfigured() throws Exception {
        Files.writeString(dir.resolve("admin.token"), "t0ps3cret\n");
        try (TestHost t = TestHost.start(dir, yaml() + "admin:\n  listen: 127.0.0.1:0\n  token_file: admin.token\n",
                new DemoModule())) {
            HttpResponse<String> none = send("GET", t.adminUrl() + "/api/status", null);
            assertThat(none.statusCode()).isEqualTo(401);
            assertThat(none.headers().firstValue("WWW-Authenticate")).contains("Bearer realm=\"cairn\"");
            assertThat(send("GET", t.adminUrl() + "/api/status", "wrong").statusCode()).isEqualTo(401);
            assertThat(send("POST", t.adminUrl() + "/api/reload", null).statusCode()).isEqualTo(401);
            assertThat(send("GET", t.adminUrl() + "/", null).statusCode()).isEqualTo(401);
            assertThat(send("GET", t.adminUrl() + "/api/status", "t0ps3cret").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void consoleIsPlainHtmlWithServicesHealthAndOperatorAddresses() throws Exception {
        try (TestHost t = TestHost.start(dir, yaml(), new DemoModule())) {
            t.host().catalog().setDrained("web", "second", true);
            HttpResponse<String> r = send("GET", t.adminUrl() + "/", null);
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.headers().firstValue("Content-Type")).contains("text/html; charset=utf-8");
            assertThat(r.headers().firstValue("Content-Security-Policy").orElseThrow()).contains("default-src 'none'; style-src 'self'");
            assertThat(r.body()).contains("<h1>Cairn on node <code>" + t.host().node() + "</code>")
                    .contains("<td>demo</td><td class=\"up\">healthy</td>")
                    .contains("<td>second</td><td>127.0.0.1:" + p2 + "</td><td class=\"health up\">UP</td>")
                    .contains("<td class=\"traffic drained\">drained</td>")
                    // Module details in the operator's form of an address, in the module's order.
                    .contains("<th>backends</th><td class=\"wrap\">127.0.0.1:" + p1 + ", 127.0.0.1:" + p2 + "</td>")
                    .doesNotContain(">/127.0.0.1").doesNotContain(" /127.0.0.1")
                    .doesNotContain("<script").doesNotContain("style=\"");
            HttpResponse<String> css = send("GET", t.adminUrl() + "/ui/console.css", null);
            assertThat(css.headers().firstValue("Content-Type").orElseThrow()).startsWith("text/css");
        }
    }

    private HttpResponse<String> post(String url, String form, String origin) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form));
        if (origin != null) b.header("Origin", origin);
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String csrf(String page) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("name=\"csrf\" value=\"([^\"]+)\"").matcher(page);
        assertThat(m.find()).isTrue();
        return m.group(1);
    }

    @Test
    void consoleActionsAskFirstAndNeedTheirCsrfToken() throws Exception {
        try (TestHost t = TestHost.start(dir, yaml(), new DemoModule())) {
            String token = csrf(send("GET", t.adminUrl() + "/", null).body());
            String drain = "action=drain&service=web&endpoint=second&csrf=";

            HttpResponse<String> forged = post(t.adminUrl() + "/ui/action", drain + "guessed", null);
            assertThat(forged.statusCode()).isEqualTo(403);
            HttpResponse<String> asked = post(t.adminUrl() + "/ui/action", drain + token, null);
            assertThat(asked.statusCode()).isEqualTo(200);
            assertThat(asked.body()).contains("Drain endpoint second of service web?").contains("name=\"confirm\" value=\"yes\"");
            assertThat(t.host().catalog().service("web").orElseThrow().endpoints().get(1).drained()).isFalse();

            HttpResponse<String> done = post(t.adminUrl() + "/ui/action", drain + token + "&confirm=yes", null);
            assertThat(done.statusCode()).isEqualTo(303);
            assertThat(done.headers().firstValue("Location").orElseThrow()).startsWith("/?msg=endpoint+web%2Fsecond+drained");
            assertThat(t.host().catalog().service("web").orElseThrow().endpoints().get(1).drained()).isTrue();
        }
    }

    @Test
    void foreignHostOrOriginIsRefused() throws Exception {
        try (TestHost t = TestHost.start(dir, yaml(), new DemoModule())) {
            // DNS rebinding: a page of evil.example whose name resolves to 127.0.0.1.
            java.net.Socket s = new java.net.Socket("127.0.0.1", t.host().admin().address().getPort());
            try (s) {
                s.getOutputStream().write("GET /api/status HTTP/1.1\r\nHost: evil.example:9000\r\nConnection: close\r\n\r\n"
                        .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                String answer = new String(s.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.US_ASCII);
                assertThat(answer).startsWith("HTTP/1.1 403").contains("is not this admin listener");
            }
            String token = csrf(send("GET", t.adminUrl() + "/", null).body());
            HttpResponse<String> crossSite = post(t.adminUrl() + "/ui/action",
                    "action=reload&confirm=yes&csrf=" + token, "https://evil.example");
            assertThat(crossSite.statusCode()).isEqualTo(403);
            assertThat(post(t.adminUrl() + "/ui/action", "action=reload&confirm=yes&csrf=" + token, t.adminUrl())
                    .statusCode()).isEqualTo(303);
        }
    }

    @Test
    void withATokenTheBrowserSignsInOnceAndTheCookieAuthorizes() throws Exception {
        Files.writeString(dir.resolve("token"), "t0ps3cret\n");
        String cfg = yaml() + "admin:\n  listen: 127.0.0.1:0\n  token_file: token\n";
        try (TestHost t = TestHost.start(dir, cfg, new DemoModule())) {
            HttpResponse<String> page = http.send(HttpRequest.newBuilder(URI.create(t.adminUrl() + "/"))
                    .header("Accept", "text/html").build(), HttpResponse.BodyHandlers.ofString());
            assertThat(page.statusCode()).isEqualTo(303);
            assertThat(page.headers().firstValue("Location").orElseThrow()).isEqualTo("/ui/login");
            assertThat(post(t.adminUrl() + "/ui/login", "token=wrong", null).statusCode()).isEqualTo(401);
            HttpResponse<String> in = post(t.adminUrl() + "/ui/login", "token=t0ps3cret", null);
            assertThat(in.statusCode()).isEqualTo(303);
            String cookie = in.headers().firstValue("Set-Cookie").orElseThrow();
            assertThat(cookie).contains("HttpOnly").contains("SameSite=Strict");
            HttpResponse<String> console = http.send(HttpRequest.newBuilder(URI.create(t.adminUrl() + "/"))
                    .header("Cookie", cookie.substring(0, cookie.indexOf(';'))).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(console.statusCode()).isEqualTo(200);
            assertThat(console.body()).contains("Cairn on node");
        }
    }
}
