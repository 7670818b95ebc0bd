package dev.cairn.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cairn.spi.ValidationContext;
import dev.cairn.spi.config.ConfigProblems;
import dev.cairn.spi.config.HostPort;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.ConnectException;
import java.net.ServerSocket;
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
import java.util.ServiceLoader;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MetricsModuleTest {

    private static final HostPort LOOPBACK_ANY_PORT = HostPort.parse("127.0.0.1:0");
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();


    @TempDir
    Path configDir;

    private PrometheusRegistry registry;
    private TestModuleContext ctx;
    private MetricsModule module;

    @BeforeEach
    void setUp() {
        registry = new PrometheusRegistry();
        ctx = new TestModuleContext(registry, configDir);
        module = new MetricsModule();
    }

    @AfterEach
    void tearDown() {
        module.stop();
    }

    @Test
    void isFoundByServiceLoaderAsTheMetricsSection() {
        @SuppressWarnings("rawtypes")
        List<String> names = ServiceLoader.load(dev.cairn.spi.Module.class).stream()
                .map(p -> p.get().name()).toList();
        assertThat(names).contains("metrics");
        assertThat(module.configType()).isEqualTo(MetricsConfig.class);
    }

    @Test
    void hostMetricsMatchProcAndNodeExporterNames() throws Exception {
        module.start(config(), ctx);
        Exposition e = Exposition.parse(scrape("/metrics"));

        long memTotalKb = meminfoKb("MemTotal");
        assertThat(e.value("node_memory_MemTotal_bytes")).isEqualTo(memTotalKb * 1024.0);
        for (String field : List.of("MemAvailable", "MemFree", "Buffers", "Cached", "SwapTotal", "SwapFree")) {
            assertThat(e.find("node_memory_" + field + "_bytes")).as(field).isPresent();
        }
        assertThat(e.types()).containsEntry("node_memory_MemTotal_bytes", "gauge");

        List<String> cpus = Files.readAllLines(Path.of("/proc/stat")).stream()
                .filter(l -> l.matches("^cpu\\d+ .*")).map(l -> l.substring(3, l.indexOf(' '))).toList();
        assertThat(cpus).isNotEmpty();
        for (String cpu : cpus) {
            for (String mode : List.of("user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal")) {
                assertThat(e.find("node_cpu_seconds_total", "cpu", cpu, "mode", mode)).as(cpu + "/" + mode).isPresent();
            }
            assertThat(e.value("node_cpu_seconds_total", "cpu", cpu, "mode", "idle")).isGreaterThan(0);
        }
        assertThat(e.samples("node_cpu_seconds_total")).hasSize(cpus.size() * 8);
        assertThat(e.types()).containsEntry("node_cpu_seconds_total", "counter");
        assertThat(e.helps()).containsEntry("node_cpu_seconds_total", "Seconds the CPUs spent in each mode.");

        assertThat(e.value("node_filesystem_size_bytes", "mountpoint", "/")).isPositive();
        assertThat(e.value("node_filesystem_avail_bytes", "mountpoint", "/")).isPositive();
        assertThat(e.value("node_filesystem_free_bytes", "mountpoint", "/"))
                .isGreaterThanOrEqualTo(e.value("node_filesystem_avail_bytes", "mountpoint", "/"));
        assertThat(e.value("node_filesystem_files", "mountpoint", "/")).isPositive();
        assertThat(e.find("node_filesystem_files_free", "mountpoint", "/")).isPresent();
        assertThat(e.value("node_filesystem_device_error", "mountpoint", "/")).isZero();
        assertThat(e.find("node_filesystem_size_bytes", "mountpoint", "/")).get()
                .extracting(s -> s.labels().keySet()).isEqualTo(Set.of("device", "fstype", "mountpoint"));
        // node_exporter's default excludes: no /proc, /sys, /dev, cgroup, devpts ...
        assertThat(e.samples("node_filesystem_size_bytes")).allSatisfy(s -> {
            assertThat(s.labels().get("mountpoint")).doesNotStartWith("/proc").doesNotStartWith("/sys")
                    .isNotEqualTo("/dev");
            assertThat(s.labels().get("fstype")).isNotIn("proc", "sysfs", "cgroup", "cgroup2", "devpts", "devtmpfs");
        });

        for (String load : List.of("node_load1", "node_load5", "node_load15")) {
            assertThat(e.value(load)).isGreaterThanOrEqualTo(0);
        }
        assertThat(e.value("node_network_receive_bytes_total", "device", "lo")).isGreaterThanOrEqualTo(0);
        for (String stat : List.of("bytes", "packets", "errs", "drop")) {
            assertThat(e.find("node_network_receive_" + stat + "_total", "device", "lo")).isPresent();
            assertThat(e.find("node_network_transmit_" + stat + "_total", "device", "lo")).isPresent();
        }
        assertThat(e.types()).containsEntry("node_network_receive_bytes_total", "counter");

        List<String> disks = Files.readAllLines(Path.of("/proc/diskstats")).stream()
                .map(l -> l.trim().split("\\s+")[2])
                .filter(d -> !Pattern.compile(MetricsConfig.DEFAULT_DISK_DEVICES_EXCLUDE).matcher(d).find())
                .toList();
        for (String disk : disks) {
            for (String m : List.of("node_disk_read_bytes_total", "node_disk_written_bytes_total",
                    "node_disk_reads_completed_total", "node_disk_writes_completed_total",
                    "node_disk_io_time_seconds_total")) {
                assertThat(e.find(m, "device", disk)).as(m + " " + disk).isPresent();
            }
        }
        assertThat(e.samples("node_disk_read_bytes_total")).noneMatch(s -> s.labels().get("device").startsWith("loop"));

        double now = System.currentTimeMillis() / 1000.0;
        assertThat(e.value("node_time_seconds")).isCloseTo(now, org.assertj.core.data.Offset.offset(60.0));
        assertThat(e.value("node_boot_time_seconds")).isPositive().isLessThan(now);
        assertThat(e.value("node_procs_running")).isGreaterThanOrEqualTo(1);
        assertThat(e.find("node_procs_blocked")).isPresent();
        assertThat(e.value("node_context_switches_total")).isPositive();
        assertThat(e.value("node_forks_total")).isPositive();
        assertThat(e.value("node_intr_total")).isGreaterThanOrEqualTo(0);
        assertThat(e.types()).containsEntry("node_uname_info", "gauge");
        assertThat(e.value("node_uname_info", "sysname", "Linux",
                "release", Files.readString(Path.of("/proc/sys/kernel/osrelease")).trim(),
                "nodename", Files.readString(Path.of("/proc/sys/kernel/hostname")).trim())).isEqualTo(1);
        assertThat(e.find("node_uname_info")).get().extracting(s -> s.labels().keySet())
                .isEqualTo(Set.of("sysname", "release", "version", "machine", "nodename", "domainname"));
    }

    @Test
    void buildInfoAndJvmMetricsAreServed() throws Exception {
        module.start(config(), ctx);
        Exposition e = Exposition.parse(scrape("/metrics"));

        Exposition.Sample build = e.find("cairn_build_info").orElseThrow();
        assertThat(build.value()).isEqualTo(1);
        assertThat(build.labels().get("version")).matches("\\d+\\.\\d+\\.\\d+.*");
        assertThat(build.labels().get("java_version")).isEqualTo(System.getProperty("java.version"));
        assertThat(build.labels()).containsKey("revision");
        assertThat(e.samples("cairn_build_info")).hasSize(1);

        assertThat(e.find("jvm_memory_used_bytes", "area", "heap")).isPresent();
        assertThat(e.find("jvm_threads_current")).isPresent();
        assertThat(e.find("process_cpu_seconds_total")).isPresent();
    }

    @Test
    void metricsOfOtherModulesInTheSharedRegistryAreServed() throws Exception {
        Counter before = Counter.builder().name("cairn_dns_queries_total").help("DNS queries answered.")
                .labelNames("rcode").register(registry);
        before.labelValues("NOERROR").inc(3);
        module.start(config(), ctx);
        Counter after = Counter.builder().name("cairn_proxy_requests_total").help("Requests proxied.").register(registry);
        after.inc();

        Exposition e = Exposition.parse(scrape("/metrics"));
        assertThat(e.value("cairn_dns_queries_total", "rcode", "NOERROR")).isEqualTo(3);
        assertThat(e.value("cairn_proxy_requests_total")).isEqualTo(1);
    }

    @Test
    void promtoolFindsNothingButNodeExporterMeminfoNames() throws Exception {
        module.start(config(), ctx);
        Counter.builder().name("cairn_dns_queries_total").help("DNS queries answered.").register(registry).inc();
        String text = scrape("/metrics");

        Promtool.Result result = Promtool.checkMetrics(text);

        assertThat(Promtool.unexpected(result)).as("promtool check metrics output (exit %d)", result.exitCode()).isEmpty();
        // The accepted lines are exactly node_exporter's own CamelCase (and bits) families we serve, nothing more.
        Set<String> flagged = result.lines().stream().map(l -> l.substring(0, l.indexOf(' '))).collect(Collectors.toSet());
        Set<String> nodeExporterStyle = Exposition.parse(text).types().keySet().stream()
                .filter(n -> n.matches("node_(memory|netstat|sockstat)_.*[a-z][A-Z].*|node_entropy_.*_bits"))
                .collect(Collectors.toSet());
        assertThat(flagged).isEqualTo(nodeExporterStyle);
        assertThat(result.exitCode()).isEqualTo(result.lines().isEmpty() ? 0 : 3);
    }

    @Test
    void promtoolIsSilentWithoutHostMetrics() throws Exception {
        module.start(config().withHostMetrics(false), ctx);
        Promtool.Result result = Promtool.checkMetrics(scrape("/metrics"));
        assertThat(result.lines()).isEmpty();
        assertThat(result.exitCode()).isZero();
    }

    @Test
    void otherPathsAnswer404AndOtherMethods405() throws Exception {
        module.start(config(), ctx);
        for (String path : List.of("/", "/metricsx", "/metrics/", "/favicon.ico", "/-/healthy")) {
            assertThat(get(path).statusCode()).as(path).isEqualTo(404);
        }
        HttpResponse<String> post = HTTP.send(HttpRequest.newBuilder(uri("/metrics"))
                .POST(HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(post.statusCode()).isEqualTo(405);
        assertThat(post.headers().firstValue("Allow")).hasValue("GET, HEAD");
        assertThat(get("/metrics").statusCode()).isEqualTo(200);
    }

    @Test
    void negotiatesGzipAndOpenMetrics() throws Exception {
        module.start(config(), ctx);

        HttpResponse<byte[]> gz = HTTP.send(HttpRequest.newBuilder(uri("/metrics"))
                .header("Accept-Encoding", "gzip").build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(gz.headers().firstValue("Content-Encoding")).hasValue("gzip");
        String unzipped = new String(new GZIPInputStream(new ByteArrayInputStream(gz.body())).readAllBytes(),
                StandardCharsets.UTF_8);
        assertThat(unzipped).contains("# TYPE node_cpu_seconds_total counter");

        HttpResponse<String> om = HTTP.send(HttpRequest.newBuilder(uri("/metrics"))
                .header("Accept", "application/openmetrics-text; version=1.0.0; charset=utf-8").build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(om.headers().firstValue("Content-Type")).get().asString().startsWith("application/openmetrics-text");
        assertThat(om.body()).endsWith("# EOF\n").contains("# TYPE node_cpu_seconds counter");

        HttpResponse<String> text = get("/metrics");
        assertThat(text.headers().firstValue("Content-Type")).get().asString().startsWith("text/plain; version=0.0.4");
    }

    @Test
    void stopThenStartAgainInTheSameJvm() throws Exception {
        module.start(config(), ctx);
        assertThat(scrape("/metrics")).contains("cairn_build_info");
        module.stop();
        module.stop();
        assertThat(module.status().healthy()).isFalse();

        module.start(config(), ctx);
        assertThat(scrape("/metrics")).contains("cairn_build_info", "jvm_memory_used_bytes", "node_cpu_seconds_total");
        module.stop();

        // A second instance with a fresh registry, as after a full restart of the host in one JVM.
        MetricsModule other = new MetricsModule();
        PrometheusRegistry fresh = new PrometheusRegistry();
        try {
            other.start(config(), new TestModuleContext(fresh, configDir));
            String body = get(other.boundPort(), "/metrics").body();
            assertThat(body).contains("cairn_build_info", "jvm_memory_used_bytes", "node_load1");
        } finally {
            other.stop();
        }
        assertThat(fresh.scrape().size()).isZero();
    }

    @Test
    void stopIsSafeBeforeStartAndAfterAFailedStart() throws Exception {
        module.stop();
        try (ServerSocket taken = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            MetricsConfig busy = config().withListen(new HostPort("127.0.0.1", taken.getLocalPort()));
            assertThatThrownBy(() -> module.start(busy, ctx))
                    .isInstanceOf(java.net.BindException.class)
                    .hasMessageContaining("CAIRN-METRICS-0004");
        }
        module.stop();
        assertThat(registry.scrape().size()).as("nothing left registered").isZero();
        // Nothing registered twice: the same registry takes the module again.
        module.start(config(), ctx);
        assertThat(scrape("/metrics")).contains("cairn_build_info");
    }

    @Test
    void statusSaysWhereItServes() throws Exception {
        assertThat(module.status().healthy()).isFalse();
        module.start(config(), ctx);
        assertThat(module.status().healthy()).isTrue();
        assertThat(module.status().summary()).isEqualTo("serving on 127.0.0.1:" + module.boundPort());
        assertThat(module.status().details()).containsEntry("path", "/metrics");
    }

    @Test
    void reloadSwapsPathAndCollectorsWithoutRebinding() throws Exception {
        module.start(config(), ctx);
        int port = module.boundPort();

        module.reload(config().withPath("/node"), ctx);
        assertThat(module.boundPort()).isEqualTo(port);
        assertThat(get("/metrics").statusCode()).isEqualTo(404);
        assertThat(scrape("/node")).contains("node_cpu_seconds_total");

        module.reload(config().withPath("/node").withHostMetrics(false).withJvmMetrics(false), ctx);
        String lean = scrape("/node");
        assertThat(lean).contains("cairn_build_info").doesNotContain("node_cpu_seconds_total")
                .doesNotContain("jvm_memory_used_bytes");

        module.reload(config(), ctx);
        assertThat(module.boundPort()).isEqualTo(port);
        assertThat(scrape("/metrics")).contains("node_cpu_seconds_total", "jvm_memory_used_bytes");
    }

    @Test
    void reloadRebindsWhenListenChanges() throws Exception {
        module.start(config(), ctx);
        int oldPort = module.boundPort();
        int newPort = freePort();

        module.reload(config().withListen(new HostPort("127.0.0.1", newPort)), ctx);

        assertThat(module.boundPort()).isEqualTo(newPort);
        assertThat(scrape("/metrics")).contains("cairn_build_info");
        assertThatThrownBy(() -> get(oldPort, "/metrics")).isInstanceOf(ConnectException.class);
    }

    @Test
    void failedReloadKeepsTheOldConfigServing() throws Exception {
        module.start(config(), ctx);
        int port = module.boundPort();
        MetricsConfig bad = new MetricsConfig(new HostPort("127.0.0.1", freePort()), "/other", false, false,
                "([unclosed", MetricsConfig.DEFAULT_FS_TYPES_EXCLUDE, MetricsConfig.DEFAULT_DISK_DEVICES_EXCLUDE);

        assertThatThrownBy(() -> module.reload(bad, ctx)).hasMessageContaining("CAIRN-METRICS-0002");

        assertThat(module.boundPort()).isEqualTo(port);
        assertThat(scrape("/metrics")).contains("node_cpu_seconds_total", "jvm_memory_used_bytes");
    }

    @Test
    void validateReportsBadPathAndRegexesUnderTheirKeys() {
        MetricsConfig bad = new MetricsConfig(HostPort.parse(":9100"), "metrics", true, true,
                "(", MetricsConfig.DEFAULT_FS_TYPES_EXCLUDE, "[a-");
        RecordingProblems problems = new RecordingProblems();

        module.validate(bad, validation(problems));

        assertThat(problems.errors).containsExactly(
                "path: CAIRN-METRICS-0001: path 'metrics' must start with '/' (e.g. /metrics)",
                "filesystem_mount_points_exclude: CAIRN-METRICS-0002: '(' is not a valid regular expression:"
                        + " Unclosed group at index 1",
                "disk_devices_exclude: CAIRN-METRICS-0002: '[a-' is not a valid regular expression:"
                        + " Illegal character range at index 3");

        RecordingProblems none = new RecordingProblems();
        module.validate(MetricsConfig.defaults(), validation(none));
        assertThat(none.errors).isEmpty();
    }

    private MetricsConfig config() {
        return MetricsConfig.defaults().withListen(LOOPBACK_ANY_PORT);
    }

    private String scrape(String path) throws IOException, InterruptedException {
        HttpResponse<String> r = get(path);
        assertThat(r.statusCode()).as("GET " + path + ": " + r.body()).isEqualTo(200);
        return r.body();
    }

    private HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return get(module.boundPort(), path);
    }

    private static HttpResponse<String> get(int port, String path) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + module.boundPort() + path);
    }

    private static long meminfoKb(String field) throws IOException {
        return Files.readAllLines(Path.of("/proc/meminfo")).stream()
                .filter(l -> l.startsWith(field + ":"))
                .map(l -> Long.parseLong(l.replaceAll("[^0-9]", "")))
                .findFirst().orElseThrow();
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private ValidationContext validation(ConfigProblems problems) {
        return new ValidationContext() {
            @Override
            public ConfigProblems problems() {
                return problems;
            }

            @Override
            public Set<String> serviceNames() {
                return Set.of();
            }

            @Override
            public Set<String> nodeNames() {
                return Set.of();
            }

            @Override
            public Path configDir() {
                return configDir;
            }
        };
    }

    /** Keeps each problem as "key: message". */
    private static final class RecordingProblems implements ConfigProblems {
        final List<String> errors = new ArrayList<>();

        @Override
        public void error(Object record, String key, String message) {
            errors.add(key + ": " + message);
        }

        @Override
        public void error(String path, String message) {
            errors.add(path + ": " + message);
        }

        @Override
        public boolean hasErrors() {
            return !errors.isEmpty();
        }
    }
}
