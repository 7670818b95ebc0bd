package dev.cairn.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cairn.core.testing.TestHost;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Config errors an operator sees, the access log line, and a reload that must not apply. */
class ConfigTest {

    @TempDir
    Path dir;

    private static Throwable rootOf(Throwable t) {
        StringBuilder all = new StringBuilder();
        for (Throwable c = t; c != null; c = c.getCause()) all.append(c.getMessage()).append('\n');
        return new RuntimeException(all.toString());
    }

    @Test
    void unknownServiceIsReportedWithDidYouMean() {
        String y = "services:\n" + ProxyFixture.service("demo", null, "127.0.0.1:1")
                + "proxy:\n  listeners:\n    - name: web\n      bind: 127.0.0.1:0\n      routes:\n        - { service: dmeo }\n";
        assertThatThrownBy(() -> {
            try {
                TestHost.start(dir, y, new ProxyModule()).close();
            } catch (Exception e) {
                throw rootOf(e);
            }
        }).hasMessageContaining("proxy.listeners[0].routes[0].service").hasMessageContaining("did you mean 'demo'");
    }

    private java.util.List<String> plan(String running, String next) throws Exception {
        Path a = java.nio.file.Files.writeString(dir.resolve("running.yml"), running);
        Path b = java.nio.file.Files.writeString(dir.resolve("next.yml"), next);
        dev.cairn.core.config.ModuleRegistry modules = dev.cairn.core.config.ModuleRegistry.of(new ProxyModule());
        return dev.cairn.core.lifecycle.ReloadPlan.lines(modules,
                new dev.cairn.core.config.ConfigLoader(modules, java.util.Map.of()).load(a, null),
                new dev.cairn.core.config.ConfigLoader(modules, java.util.Map.of()).load(b, null));
    }

    @Test
    void aReloadPlanReopensAListenerOnlyForKeysMarkedRestart() throws Exception {
        String y = "services:\n" + ProxyFixture.service("demo", null, "127.0.0.1:1") + ProxyFixture.service("api", null, "127.0.0.1:2")
                + "proxy:\n  limits: { %s }\n  listeners:\n    - { name: web, bind: 127.0.0.1:8080, routes: [ %s ] }\n";
        String base = y.formatted("queue_size: 10", "{ service: demo }");
        // The case: queue_size and endpoint_max_connections are live, they re-open nothing.
        assertThat(plan(base, y.formatted("queue_size: 20, endpoint_max_connections: 3", "{ service: demo }")))
                .containsExactly("module proxy: reloads (2 key(s) changed)", "  proxy.limits.endpoint_max_connections",
                        "  proxy.limits.queue_size");
        assertThat(plan(base, y.formatted("queue_size: 10, max_connections: 100", "{ service: demo }")))
                .contains("  listener web: re-opens on 127.0.0.1:8080")
                .contains("keys marked restart (their listener re-opens, or they wait for the next start): proxy.limits.max_connections");
        assertThat(plan(base, y.formatted("queue_size: 10", "{ service: demo }, { path: /api, service: api }")))
                .contains("  listener web: route */api -> api added")
                .noneMatch(l -> l.contains("re-opens"));
    }

    @Test
    void unknownServiceWithoutACloseNameListsTheServices() {
        assertThat(ProxyModule.unknownService("Dmeo", java.util.Set.of("demo", "api")))
                .isEqualTo("unknown service 'Dmeo' (did you mean 'demo'?)");
        assertThat(ProxyModule.unknownService("payments", java.util.Set.of("demo", "api")))
                .isEqualTo("unknown service 'payments' (services: api, demo)");
        assertThat(ProxyModule.unknownService("demo", java.util.Set.of()))
                .isEqualTo("unknown service 'demo' (no services are defined)");
    }

    @Test
    void ioThreadsDefaultToTwoPerCoreAndFollowTheKey() throws Exception {
        String y = "services:\n" + ProxyFixture.service("demo", null, "127.0.0.1:1")
                + "proxy:\n%s  listeners:\n    - { name: web, bind: 127.0.0.1:0, routes: [ { service: demo } ] }\n";
        try (ProxyFixture f = new ProxyFixture(dir, y.formatted(""), false)) {
            assertThat(f.proxy.ioThreadCount()).isEqualTo(2 * Runtime.getRuntime().availableProcessors());
        }
        try (ProxyFixture f = new ProxyFixture(dir, y.formatted("  io_threads: 3\n"), false)) {
            assertThat(f.proxy.ioThreadCount()).isEqualTo(3);
        }
        assertThat(ProxyModule.ioThreads(0, 1)).isEqualTo(2);
        assertThat(ProxyModule.ioThreads(5, 8)).isEqualTo(5);
    }

    @Test
    void badCidrIsAConfigError() {
        String y = "services:\n" + ProxyFixture.service("demo", null, "127.0.0.1:1")
                + "proxy:\n  listeners:\n    - { name: web, bind: 127.0.0.1:0, deny: [ 10.0.0.0/33 ], routes: [ { service: demo } ] }\n";
        assertThatThrownBy(() -> {
            try {
                TestHost.start(dir, y, new ProxyModule()).close();
            } catch (Exception e) {
                throw rootOf(e);
            }
        }).hasMessageContaining("prefix length must be 0..32");
    }

    @Test
    void accessLogHasOneJsonLinePerRequestOnStdoutWithUpstreamAndTimings() throws Exception {
        java.io.PrintStream stdout = System.out;
        java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
        System.setOut(new java.io.PrintStream(captured, true, java.nio.charset.StandardCharsets.UTF_8));
        java.util.function.Supplier<List<String>> lines = () -> {
            synchronized (captured) {
                // The process log's shape (the test's logback pattern, the host's human layout alike): TIME INFO  proxy: LINE
                return captured.toString(java.nio.charset.StandardCharsets.UTF_8).lines()
                        .filter(l -> l.contains(" INFO  proxy: {\"time\":"))
                        .map(l -> l.substring(l.indexOf(" INFO  proxy: ") + 14)).toList();
            }
        };
        try (TestBackend a = new TestBackend("a");
             ProxyFixture f = new ProxyFixture(dir, "services:\n" + ProxyFixture.service("web", null, "{ address: " + a.address() + ", name: a }")
                     + "proxy:\n  listeners:\n    - { name: web, bind: 127.0.0.1:0, routes: [ { service: web } ] }\n", false)) {
            f.get(f.base("web") + "/page?x=1");
            TestHost.await(java.time.Duration.ofSeconds(5), "access line", () -> !lines.get().isEmpty());
            String line = lines.get().get(0);
            assertThat(line).endsWith("}").contains("\"listener\":\"web\"").contains("\"method\":\"GET\"")
                    .contains("\"uri\":\"/page?x=1\"").contains("\"status\":200").contains("\"service\":\"web\"")
                    .contains("\"endpoint\":\"a\"").containsPattern("\"connect_ms\":[0-9.]+").containsPattern("\"duration_ms\":[0-9.]+")
                    .contains("\"user_agent\":\"Java-http-client")
                    .containsPattern("^\\{\"time\":\"20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9:]{8}(\\.[0-9]+)?Z\",");
            // That GET took the fast path; a POST takes Undertow's: the same line.
            f.http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(f.base("web") + "/form"))
                    .POST(java.net.http.HttpRequest.BodyPublishers.ofString("a=1")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            TestHost.await(java.time.Duration.ofSeconds(5), "second access line", () -> lines.get().size() >= 2);
            assertThat(lines.get().get(1)).contains("\"method\":\"POST\"").contains("\"uri\":\"/form\"")
                    .contains("\"endpoint\":\"a\"").containsPattern("\"status\":[0-9]{3}");
        } finally {
            System.setOut(stdout);
        }
    }

    @Test
    void combinedAccessLogLineIsWrittenAtStopAtTheLatest() throws Exception {
        java.io.PrintStream stdout = System.out;
        java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
        System.setOut(new java.io.PrintStream(captured, true, java.nio.charset.StandardCharsets.UTF_8));
        try (TestBackend a = new TestBackend("a")) {
            try (ProxyFixture f = new ProxyFixture(dir, "services:\n" + ProxyFixture.service("web", null, "{ address: " + a.address() + ", name: a }")
                    + "proxy:\n  access_log: { format: combined }\n"
                    + "  listeners:\n    - { name: web, bind: 127.0.0.1:0, routes: [ { service: web } ] }\n", false)) {
                f.get(f.base("web") + "/c?y=2");
                // Settled (its line queued) once counted; the writer sleeps on, far from its interval.
                TestHost.await(java.time.Duration.ofSeconds(5), "the response counted",
                        () -> f.host.metric("cairn_proxy_frontend_http_responses", "listener", "web", "code", "2xx") == 1);
                assertThat(f.host.metric("cairn_proxy_access_log_dropped_lines")).isZero();
            }
            // The module has stopped: its writer wrote what was queued.
            String out;
            synchronized (captured) {
                out = captured.toString(java.nio.charset.StandardCharsets.UTF_8);
            }
            assertThat(out.lines().filter(l -> l.contains("\"GET /c?y=2 HTTP/1.1\"")).toList()).singleElement().satisfies(l ->
                    assertThat(l).matches("20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z INFO  proxy: 127\\.0\\.0\\.1 - - \\[[0-9]{2}/[A-Z][a-z]{2}/[0-9]{4}:[0-9:]{8} \\+0000\\] "
                            + "\"GET /c\\?y=2 HTTP/1.1\" 200 [0-9]+ \"-\" \"Java-http-client[^\"]*\" listener=web service=web endpoint=a "
                            + "duration_ms=[0-9]+\\.[0-9]{3} connect_ms=[0-9]+\\.[0-9]{3} response_ms=[0-9]+\\.[0-9]{3} retries=0"));
        } finally {
            System.setOut(stdout);
        }
    }

    @Test
    void changingTheTlsEngineReopensTheHttpsListenersOnTheNewEngineAndKeepsThePlainOnes() throws Exception {
        EdgeTest.pem(dir, "shop.example", "shop-");
        try (TestBackend a = new TestBackend("a")) {
            java.util.function.Function<String, String> yaml = engine -> "services:\n" + ProxyFixture.service("web", null, a.address())
                    + "proxy:\n  tls: { engine: " + engine + " }\n  listeners:\n"
                    + "    - { name: web, bind: 127.0.0.1:0, routes: [ { service: web } ] }\n"
                    + "    - name: tls\n      bind: 127.0.0.1:0\n"
                    + "      tls: { certificates: [ { cert: shop-fullchain.pem, key: shop-privkey.pem } ] }\n"
                    + "      routes: [ { service: web } ]\n";
            try (ProxyFixture f = new ProxyFixture(dir, yaml.apply("jdk"), false)) {
                int plainPort = f.proxy.listenerAddress("web").getPort();
                assertThat(f.proxy.listenerTlsEngine("tls")).hasToString("JDK");
                assertThat(f.proxy.listenerTlsEngine("web")).isNull();
                var r = f.host.reload(yaml.apply("openssl"));
                assertThat(r.ok()).as(String.join("\n", r.errors())).isTrue();
                assertThat(f.proxy.listenerTlsEngine("tls")).hasToString("OPENSSL");
                assertThat(f.proxy.listenerAddress("web").getPort()).isEqualTo(plainPort);
                javax.net.ssl.SSLContext ctx = javax.net.ssl.SSLContext.getInstance("TLS");
                ctx.init(null, EdgeTest.TRUST_ALL, null);
                java.net.http.HttpClient https = java.net.http.HttpClient.newBuilder().sslContext(ctx).build();
                var answer = https.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(
                        "https://127.0.0.1:" + f.proxy.listenerAddress("tls").getPort() + "/")).build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString());
                assertThat(answer.statusCode()).isEqualTo(200);
                assertThat(answer.version()).isEqualTo(java.net.http.HttpClient.Version.HTTP_2);
            }
        }
    }

    @Test
    void reloadWithABrokenCertificateKeepsTheOldConfig() throws Exception {
        try (TestBackend a = new TestBackend("a");
             ProxyFixture f = new ProxyFixture(dir, "services:\n" + ProxyFixture.service("web", null, a.address())
                     + "proxy:\n  listeners:\n    - { name: web, bind: 127.0.0.1:0, routes: [ { service: web } ] }\n", false)) {
            int port = f.proxy.listenerAddress("web").getPort();
            java.nio.file.Files.writeString(dir.resolve("bad.pem"), "not a certificate");
            var r = f.host.reload("services:\n" + ProxyFixture.service("web", null, a.address())
                    + "proxy:\n  listeners:\n    - { name: web, bind: 127.0.0.1:0, routes: [ { service: web } ] }\n"
                    + "    - name: tls\n      bind: 127.0.0.1:0\n      tls: { certificates: [ { cert: bad.pem, key: bad.pem } ] }\n"
                    + "      routes: [ { service: web } ]\n");
            assertThat(r.ok()).isFalse();
            assertThat(String.join("\n", r.errors())).contains("tls");
            assertThat(f.proxy.listenerAddress("web").getPort()).isEqualTo(port);
            assertThat(f.get(f.base("web") + "/").statusCode()).isEqualTo(200);
        }
    }
}
