package dev.cairn.dist;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cairn.core.testing.TestHost;
import java.io.ByteArrayOutputStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The built distribution's {@code bin/cairn run}, as an operator runs it: the shipped default
 * config (on free ports), signals, metrics checked by promtool, JSON logs, start-up failures.
 */
class RunningCairnIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;
    int admin;
    int metrics;
    int backend1;
    int backend2;
    int proxy;
    int dns;
    Path config;

    /** The shipped config/cairn.yml, moved to free ports so the test runs beside anything. */
    @BeforeEach
    void defaultConfigOnFreePorts() throws Exception {
        admin = TestHost.freePort();
        metrics = TestHost.freePort();
        backend1 = TestHost.freePort();
        backend2 = TestHost.freePort();
        proxy = TestHost.freePort();
        dns = TestHost.freePort();
        String yaml = Files.readString(CairnProcess.DIST.resolve("config/cairn.yml"))
                .replace("127.0.0.1:9000", "127.0.0.1:" + admin)
                .replace("\":9100\"", "\"127.0.0.1:" + metrics + "\"")
                .replace("127.0.0.1:18081", "127.0.0.1:" + backend1)
                .replace("127.0.0.1:18082", "127.0.0.1:" + backend2)
                .replace("bind: \":8080\"", "bind: \"127.0.0.1:" + proxy + "\"")
                .replace("127.0.0.1:5353", "127.0.0.1:" + dns);
        assertThat(yaml).contains(":" + admin).contains(":" + metrics).contains(":" + backend1).contains(":" + proxy)
                .contains(":" + dns);
        config = dir.resolve("cairn.yml");
        Files.writeString(config, yaml);
        Files.createDirectories(dir.resolve("zones"));
        Files.copy(CairnProcess.DIST.resolve("config/zones/cairn.test.zone"), dir.resolve("zones/cairn.test.zone"));
    }

    private String adminUrl() {
        return "http://127.0.0.1:" + admin;
    }

    @Test
    void defaultConfigServesStatusDemoBackendsAndMetricsThatPromtoolAccepts() throws Exception {
        try (CairnProcess p = CairnProcess.start(dir, "run", "-c", config.toString())) {
            p.awaitHttp(adminUrl() + "/api/status");
            // The launcher execs the JVM with its block of footprint options (the unit runs the launcher).
            String cmdline = Files.readString(Path.of("/proc/" + p.pid() + "/cmdline")).replace('\0', ' ');
            assertThat(cmdline).contains("-XX:+UseSerialGC", "-Xms16m", "-XX:TieredStopAtLevel=4",
                    "-Xmn4m", "-XX:MinHeapFreeRatio=20", "-XX:MaxHeapFreeRatio=40", "dev.cairn.core.cli.Main run");
            Runtime.Version v = Runtime.version();
            if ((v.feature() == 17 && v.update() >= 9) || (v.feature() == 21 && v.update() >= 1) || v.feature() >= 22) {
                assertThat(cmdline).contains("-XX:TrimNativeHeapInterval=1000");
            } else {
                assertThat(cmdline).doesNotContain("TrimNativeHeapInterval");
            }
            JsonNode status = JSON.readTree(CairnProcess.get(adminUrl() + "/api/status").body());
            assertThat(status.path("modules").findValuesAsText("name")).contains("demo", "metrics");
            assertThat(CairnProcess.get("http://127.0.0.1:" + backend1 + "/").body()).startsWith("hello from demo backend");
            // The shipped config balances the demo service behind the proxy: both backends answer in turn.
            java.util.Set<String> seen = new java.util.HashSet<>();
            for (int i = 0; i < 10; i++) {
                seen.add(CairnProcess.get("http://127.0.0.1:" + proxy + "/").body());
            }
            assertThat(seen).containsExactlyInAnyOrder(
                    "hello from demo backend 127.0.0.1:" + backend1 + "\n", "hello from demo backend 127.0.0.1:" + backend2 + "\n");

            // ... and answers the example zone with dig, the demo name bound to the service's health.
            String a = dig("www.cairn.test", "A");
            assertThat(a).contains("status: NOERROR").contains("flags: qr aa").containsPattern("www\\.cairn\\.test\\.\\s+\\d+\\s+IN\\s+A\\s+127\\.0\\.0\\.1");
            assertThat(dig("_http._tcp.demo.cairn.test", "SRV")).contains(" " + backend1 + " ").contains(" " + backend2 + " ");
            assertThat(dig("nope.cairn.test", "A")).contains("status: NXDOMAIN");
            // bin/cairn run on this machine's Java 17 (with jdk.incubator.foreign) enables the batched UDP path.
            assertThat(p.stdout()).contains("DNS UDP: batched recvmmsg/sendmmsg, batch 32");

            String metricsUrl = "http://127.0.0.1:" + metrics + "/metrics";
            p.awaitHttp(metricsUrl);
            TestHost.await(Duration.ofSeconds(15), "both demo endpoints checked up", () -> {
                try {
                    String m = CairnProcess.get(metricsUrl).body();
                    return m.contains("cairn_service_endpoint_up{endpoint=\"127.0.0.1:" + backend1 + "\",service=\"demo\"} 1.0")
                            && m.contains("cairn_service_endpoint_up{endpoint=\"127.0.0.1:" + backend2 + "\",service=\"demo\"} 1.0");
                } catch (Exception e) {
                    return false;
                }
            });
            String text = CairnProcess.get(metricsUrl).body();
            assertThat(text).contains("cairn_build_info{", "node_cpu_seconds_total{cpu=\"0\",mode=\"idle\"}",
                    "node_memory_MemAvailable_bytes ", "node_load1 ", "node_filesystem_avail_bytes{",
                    "cairn_health_check_duration_seconds_bucket{", "cairn_config_reload_success 1.0",
                    "cairn_config_last_reload_timestamp_seconds ", "jvm_memory_used_bytes{");
            assertThat(promtoolProblems(text)).isEmpty();
        }
    }

    private String dig(String name, String type) throws Exception {
        Process p = new ProcessBuilder("dig", "@127.0.0.1", "-p", Integer.toString(dns), "+tries=3", "+time=2", name, type)
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return out;
    }

    /**
     * {@code promtool check metrics} on the exposition; returns every line it printed except the
     * camelCase lint on node_exporter's own node_memory_* names, which dashboards query verbatim.
     */
    static List<String> promtoolProblems(String exposition) throws Exception {
        Process p = new ProcessBuilder("promtool", "check", "metrics").redirectErrorStream(true).start();
        p.getOutputStream().write(exposition.getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        p.getInputStream().transferTo(out);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        List<java.util.regex.Pattern> allowed = Files.readAllLines(
                        Path.of(System.getProperty("cairn.repo", "..")).resolve("docs/monitoring/promtool-allowlist.txt"))
                .stream().filter(l -> !l.isBlank() && !l.startsWith("#")).map(java.util.regex.Pattern::compile).toList();
        List<String> problems = new ArrayList<>();
        for (String line : out.toString(StandardCharsets.UTF_8).split("\n")) {
            if (line.isBlank()) continue;
            if (allowed.stream().anyMatch(a -> a.matcher(line).matches())) continue;
            problems.add(line);
        }
        return problems;
    }

    @Test
    void sighupWithAnInvalidFileKeepsServingAndAValidOneIsApplied() throws Exception {
        try (CairnProcess p = CairnProcess.start(dir, "run", "-c", config.toString())) {
            p.awaitHttp(adminUrl() + "/api/status");
            String good = Files.readString(config);
            String hash = JSON.readTree(CairnProcess.get(adminUrl() + "/api/status").body()).path("config").path("hash").asText();

            Files.writeString(config, good.replace("service: demo", "service: demoo"));
            p.signal("HUP");
            TestHost.await(Duration.ofSeconds(15), "reload rejected", () -> lastReloadOk().equals("false"));
            JsonNode st = JSON.readTree(CairnProcess.get(adminUrl() + "/api/status").body());
            assertThat(st.path("config").path("hash").asText()).isEqualTo(hash);
            assertThat(st.path("config").path("last_reload").path("errors").get(0).asText())
                    .endsWith("demo.service: unknown service 'demoo' (did you mean 'demo'?)");
            assertThat(CairnProcess.get("http://127.0.0.1:" + backend1 + "/").statusCode()).isEqualTo(200);
            assertThat(p.stdout()).contains("reload rejected").contains("CAIRN-CORE-0002");

            Files.writeString(config, good.replace("      - 127.0.0.1:" + backend1 + "\n", ""));
            p.signal("HUP");
            TestHost.await(Duration.ofSeconds(15), "reload applied", () -> lastReloadOk().equals("true"));
            JsonNode cat = JSON.readTree(CairnProcess.get(adminUrl() + "/api/catalog").body());
            assertThat(cat.path("services").get(0).path("endpoints")).hasSize(1);
            assertThat(p.alive()).isTrue();
        }
    }

    /**
     * Started under nohup, the JVM keeps SIGHUP ignored (it cannot install a handler for a signal
     * its parent ignored): Cairn says so at start, and the admin API's reload still works.
     */
    @Test
    void startedUnderNohupItSaysSighupIsIgnoredAndTheApiReloads() throws Exception {
        Path nohupped = dir.resolve("nohup-cairn");
        Files.writeString(nohupped, "#!/bin/sh\nexec nohup " + CairnProcess.DIST.resolve("bin/cairn") + " \"$@\"\n");
        nohupped.toFile().setExecutable(true);
        List<String> cmd = List.of(nohupped.toString(), "run", "-c", config.toString());
        Path out = dir.resolve("nohup.out");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        try {
            TestHost.await(Duration.ofSeconds(30), "admin API up", () -> {
                try {
                    return CairnProcess.get(adminUrl() + "/api/status").statusCode() == 200;
                } catch (Exception e) {
                    return false;
                }
            });
            assertThat(Files.readString(out)).contains("SIGHUP is ignored by this process");
            Files.writeString(config, Files.readString(config) + "\n# edited\n");
            assertThat(CairnProcess.post(adminUrl() + "/api/reload").statusCode()).isEqualTo(200);
            assertThat(lastReloadOk()).isEqualTo("true");
        } finally {
            p.destroy();
            p.waitFor(15, TimeUnit.SECONDS);
        }
    }

    private String lastReloadOk() {
        try {
            return JSON.readTree(CairnProcess.get(adminUrl() + "/api/status").body())
                    .path("config").path("last_reload").path("ok").asText();
        } catch (Exception e) {
            return "";
        }
    }

    @Test
    void sigtermStopsGracefullyWithinTenSeconds() throws Exception {
        try (CairnProcess p = CairnProcess.start(dir, "run", "-c", config.toString())) {
            p.awaitHttp(adminUrl() + "/api/status");
            long t0 = System.nanoTime();
            p.signal("TERM");
            int exit = p.waitFor(Duration.ofSeconds(12));
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertThat(exit).as("exit code after SIGTERM").isEqualTo(143);
            assertThat(ms).isLessThan(10_000);
            assertThat(p.stdout()).contains("cairn stopping").contains("cairn stopped");
            try (ServerSocket s = new ServerSocket(admin, 1, java.net.InetAddress.getLoopbackAddress())) {
                assertThat(s.getLocalPort()).isEqualTo(admin);
            }
        }
    }

    @Test
    void jsonLogFormatWritesOneObjectPerLine() throws Exception {
        try (CairnProcess p = CairnProcess.start(dir, "run", "-c", config.toString(), "--log-format", "json")) {
            p.awaitHttp(adminUrl() + "/api/status");
            CairnProcess.post("http://127.0.0.1:" + backend1 + "/_demo/fail");
            TestHost.await(Duration.ofSeconds(20), "health change logged", () -> {
                try {
                    return p.stdout().contains("is now DOWN");
                } catch (Exception e) {
                    return false;
                }
            });
            List<String> lines = p.stdout().lines().toList();
            assertThat(lines).isNotEmpty();
            for (String line : lines) {
                JsonNode j = JSON.readTree(line);
                assertThat(j.has("ts") && j.has("level") && j.has("module") && j.has("msg")).as(line).isTrue();
            }
            assertThat(lines).anySatisfy(l -> assertThat(JSON.readTree(l).path("module").asText()).isEqualTo("metrics"));
            JsonNode down = JSON.readTree(lines.stream().filter(l -> l.contains("is now DOWN")).findFirst().orElseThrow());
            assertThat(down.path("level").asText()).isEqualTo("WARN");
            assertThat(down.path("service").asText()).isEqualTo("demo");
        }
    }

    @Test
    void aModuleThatCannotStartStopsTheProcessWithAClearError() throws Exception {
        try (ServerSocket taken = new ServerSocket(metrics, 1, java.net.InetAddress.getLoopbackAddress())) {
            CairnProcess.Result r = CairnProcess.run(dir, "run", "-c", config.toString());
            assertThat(r.exit()).isEqualTo(1);
            // bin/cairn run enables jdk.incubator.foreign for DNS's batched UDP path: the JVM's one-line notice comes first.
            assertThat(r.stderr().replaceFirst("\\AWARNING: Using incubator modules: [^\n]*\n", ""))
                    .startsWith("cairn: not started: module metrics failed to start");
            assertThat(r.stdout()).contains("CAIRN-CORE-0001");
        }
    }

    @Test
    void configErrorsStopTheStartWithFileAndLine() throws Exception {
        Files.writeString(config, Files.readString(config).replace("rise: 2", "rise: two"));
        CairnProcess.Result r = CairnProcess.run(dir, "run", "-c", config.toString());
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.stderr()).contains(config + ":").contains(": services.demo.check.rise: 'two' is not a whole number")
                .contains("cairn: 1 config error(s), not started");
    }

    @Test
    void aNodeFindsItselfByItsAddressInTheCluster() throws Exception {
        Files.writeString(dir.resolve("cluster.key"), "0123456789abcdef0123456789abcdef\n");
        Files.writeString(config, Files.readString(config) + """

                cluster:
                  name: lab
                  secret_file: cluster.key
                  nodes:
                    - { name: far, address: 192.0.2.7 }
                    - { name: here, address: 127.0.0.1 }
                """);
        try (CairnProcess p = CairnProcess.start(dir, "run", "-c", config.toString())) {
            p.awaitHttp(adminUrl() + "/api/status");
            JsonNode st = JSON.readTree(CairnProcess.get(adminUrl() + "/api/status").body());
            assertThat(st.path("node").asText()).isEqualTo("here");
            assertThat(st.path("cluster").asText()).isEqualTo("lab");
        }
        CairnProcess.Result wrong = CairnProcess.run(dir, "check", "-c", config.toString(), "--node", "hre");
        assertThat(wrong.exit()).isEqualTo(1);
        assertThat(wrong.stderr()).contains("--node: no node named 'hre' in cluster.nodes (did you mean 'here'?)");
    }

    @Test
    void statusCommandShowsServicesAndDrainWorksFromTheCli() throws Exception {
        try (CairnProcess p = CairnProcess.start(dir, "run", "-c", config.toString())) {
            p.awaitHttp(adminUrl() + "/api/status");
            CairnProcess.Result drain = CairnProcess.run(dir, "drain", "-c", config.toString(), "demo", "127.0.0.1:" + backend2);
            assertThat(drain.exit()).as(drain.stderr()).isEqualTo(0);
            assertThat(drain.stdout()).contains("demo/127.0.0.1:" + backend2 + ": drained");
            CairnProcess.Result status = CairnProcess.run(dir, "status", "-c", config.toString());
            // Exit 2: the default config's replication sandbox is not running, and only that is unhealthy.
            assertThat(status.exit()).as(status.stderr()).isEqualTo(2);
            assertThat(status.stdout()).contains("replication   UNHEALTHY  sandbox: ")
                    .doesNotContainPattern("(?m)^(?!replication)\\S+\\s+UNHEALTHY");
            // Health and rotation are two columns: draining does not change what the checks say.
            assertThat(status.stdout()).contains("MODULE").contains("metrics       healthy")
                    .containsPattern("(?m)^demo\\s+127\\.0\\.0\\.1:" + backend2 + "\\s+\\w+\\s+.*\\sdrained\\s");
        }
    }
}
