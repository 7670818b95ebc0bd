package dev.cairn.dist;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cairn.core.testing.TestHost;
import dev.cairn.core.testing.mariadb.MariaDbCluster;
import dev.cairn.core.testing.mariadb.MariaDbServer;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

/**
 * The dashboards operators already use, unmodified, against a running Cairn: Debian's Prometheus
 * scrapes the built distribution (the demo config: proxy with traffic through it, DNS with
 * queries, metrics; a real MariaDB primary and replica under the replication module, switched
 * over once; a backup job that runs, with an SLA and a copy in a second repository) every second
 * for {@link #SCRAPE_WINDOW}, then every panel's queries of the
 * community dashboards in ../shared/dashboards and of Cairn's own in docs/monitoring/dashboards
 * are asked of Prometheus with the template variables resolved. A panel has data when one of its
 * queries returns at least one series. Prints N of M per dashboard and the panels without data.
 */
class DashboardsIT {

    static final Duration SCRAPE_WINDOW = Duration.ofSeconds(32);

    /**
     * The least share of panels with data per community dashboard, and the panels that must have
     * data whatever the share (what a host, proxy or DNS operator opens first). The floors sit a
     * few panels under what this test measured (see docs/monitoring/README.md for every panel that
     * stays empty and why), so a lost family fails the test and a new one does not.
     */
    static final Map<String, Floor> COMMUNITY = Map.of(
            // Measured 99 of 125: the rest need adjtimex, hwmon/thermal/power, systemd's D-Bus, or
            // collectors node_exporter itself ships off (processes, tcpstat, interrupts, schedstat).
            "node-exporter-full.json", new Floor(0.75, List.of("CPU Busy", "Sys Load", "RAM Used", "SWAP Used",
                    "Root FS Used", "Uptime", "CPU Basic", "Memory Basic", "Network Traffic Basic", "Disk Space Used Basic",
                    "Network Traffic", "Filesystem Space Available", "Memory Page Faults", "TCP In / Out", "Sockstat TCP")),
            // Measured 35 of 103: the rest are HAProxy internals Cairn has no figure for (limits, maxima, session
            // totals, per-server timings, backend-level transitions, caches, compression, SSL, pools, stick tables, peers).
            "haproxy.json", new Floor(0.30, List.of("Status UP", "Uptime", "Front - HTTP requests Total / Error / Denied",
                    "Front - HTTP responses code", "Back - HTTP responses code", "Server - HTTP responses code",
                    "Front - Status", "Back - Status", "Server - Status", "Back - Active servers", "Back - Current Queue",
                    "Front - Data transfer", "Back - Average total conn. time", "Back - Error / Redispatch / Retry",
                    "Front - Connections Accepted / Denied", "Server - Checks failures", "Server - Checks duration",
                    "Server - UP->DOWN transitions", "Server - Downtime", "Server - Check Last Change")),
            // Measured 10 of 21: the other 11 are a recursive resolver's (Cairn is authoritative only).
            "bind9-full.json", new Floor(0.45, List.of("Incoming DNS Queries", "Incoming Requests", "Responses Sent",
                    "Response RCODEs", "Query Issues", "Zone Transfers", "BIND Process Start Time", "Last Reconfiguration")));

    record Floor(double share, List<String> mustHaveData) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;

    private static CairnProcess cairn;
    private static String metricsUrl;
    private static MariaDbCluster db;
    private static int https;
    private static int tcp;
    /** A listener whose allow list refuses this test's address: its requests are denied (403). */
    private static int guarded;
    private static Prometheus prometheus;
    private static final Map<String, String> report = new LinkedHashMap<>();

    @BeforeAll
    static void scrapeARunningCairn() throws Exception {
        DemoConfig demo = DemoConfig.onFreePorts(dir);
        https = TestHost.freePort();
        tcp = TestHost.freePort();
        guarded = TestHost.freePort();
        db = MariaDbCluster.start(dir.resolve("db"), 1);
        withEveryModule(demo);
        firstBackupAndItsCopy(demo);
        cairn = CairnProcess.start(dir, "run", "-c", demo.config().toString(), "--node", "lb1");
        cairn.awaitHttp("http://127.0.0.1:" + demo.admin() + "/api/status");
        metricsUrl = "http://127.0.0.1:" + demo.metrics() + "/metrics";
        cairn.awaitHttp(metricsUrl);
        String admin = "http://127.0.0.1:" + demo.admin();
        String[] seen = {""};
        try {
            TestHost.await(Duration.ofSeconds(30), "replication sees node1 as the primary", () -> {
                try {
                    JsonNode st = JSON.readTree(CairnProcess.get(admin + "/api/status").body());
                    for (JsonNode m : st.path("modules")) {
                        if (m.path("name").asText().equals("replication")) seen[0] = m.toString();
                    }
                    return seen[0].contains("\"primary\":\"node1\"");
                } catch (Exception e) {
                    return false;
                }
            });
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "; replication: " + seen[0], e);
        }
        prometheus = Prometheus.start(dir, """
                global:
                  scrape_interval: 1s
                  evaluation_interval: 1s
                scrape_configs:
                  - job_name: cairn
                    static_configs:
                      - targets: ['127.0.0.1:%d']
                """.formatted(demo.metrics()));
        prometheus.awaitTargetsUp(1);
        // A planned switchover (the failover panels show a real one) and a backup run in the daemon
        // (its duration, added bytes, verification), both while Prometheus scrapes.
        HttpResponse<String> sw = CairnProcess.post(admin + "/api/modules/replication/switchover?cluster=db&to=node2");
        assertThat(sw.statusCode()).as(sw.body()).isEqualTo(200);
        assertThat(JSON.readTree(sw.body()).path("ok").asBoolean()).as(sw.body()).isTrue();
        HttpResponse<String> run = CairnProcess.post(admin + "/api/modules/backup/run?job=files");
        assertThat(run.statusCode()).as(run.body()).isEqualTo(200);
        traffic(demo, SCRAPE_WINDOW);
    }

    /**
     * The demo's replication and backup sections replaced by ones this test owns: the MariaDB
     * primary + replica (monitored as root, failover manual so a switchover can be asked for), and
     * a job backing up a directory every minute into a local repository, with an SLA, plus a
     * second repository that holds a copy (the copy-lag panel).
     */
    private static String ownReplicationAndBackup() throws Exception {
        Path data = Files.createDirectories(dir.resolve("data"));
        Files.writeString(data.resolve("a.txt"), "backed up by DashboardsIT\n");
        Files.writeString(dir.resolve("repl.pw"), MariaDbServer.REPL_PASSWORD + "\n");
        StringBuilder y = new StringBuilder("replication:\n  clusters:\n    db:\n      nodes:\n");
        for (MariaDbServer n : db.nodes()) {
            y.append("        - { address: ").append(n.address()).append(", name: ").append(n.name()).append(" }\n");
        }
        y.append("""
                      user: root
                      password: ""
                      interval: 250ms
                      connect_timeout: 500ms
                      read_timeout: 1s
                      heartbeat: { interval: 250ms }
                      publish: { primary: mysql-primary, replicas: mysql-replicas }
                      failover: { mode: manual, durability: available, replication_password_file: repl.pw }
                backup:
                  repositories:
                    main: { path: backups/main, key_file: backups/key, create: true }
                    offsite: { path: backups/offsite, key_file: backups/key, create: true }
                  jobs:
                    files:
                      source: { directory: { paths: [data] } }
                      schedule: every 1m
                      repository: main
                      keep: { last: 10 }
                      sla: { rpo: 3m, versions: 1, verify: restore-test, rto: 1m }
                """);
        return y.toString();
    }

    /** One snapshot and its copy in the second repository before the daemon starts (the CLI, as an operator would). */
    private static void firstBackupAndItsCopy(DemoConfig demo) throws Exception {
        String c = demo.config().toString();
        // The copy goes to an empty store: it becomes a mirror (same config and keys), as `cairn backup copy` makes one.
        for (String[] args : new String[][] {{"backup", "-c", c, "run", "files"}, {"backup", "-c", c, "copy", "main", "offsite"}}) {
            CairnProcess.Result r = CairnProcess.run(dir, args);
            assertThat(r.exit()).as(String.join(" ", args) + ": " + r.stdout() + r.stderr()).isZero();
        }
    }

    /**
     * The demo config plus what Cairn's own dashboards show: a cluster (this node, and a second
     * node that never runs, both on loopback; driver none, so no address is ever added), a TLS
     * listener with a certificate made here, and a TCP forward to the demo service.
     */
    private static void withEveryModule(DemoConfig demo) throws Exception {
        Path key = dir.resolve("key.pem");
        Path cert = dir.resolve("cert.pem");
        Process openssl = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30",
                "-subj", "/CN=www.cairn.test", "-keyout", key.toString(), "-out", cert.toString())
                .redirectErrorStream(true).start();
        openssl.getInputStream().readAllBytes();
        assertThat(openssl.waitFor()).as("openssl req").isZero();
        Files.writeString(dir.resolve("cluster.secret"), "dashboards-test-secret-0123456789abcdef\n");
        String yaml = Files.readString(demo.config());
        // The demo's replication and backup sections (a sandbox that is not running here, a
        // repository outside the test directory) come last: this test's own replace them.
        int own = yaml.indexOf("\nreplication:\n");
        assertThat(own).as("the demo config has a replication section").isPositive();
        yaml = yaml.substring(0, own + 1) + ownReplicationAndBackup();
        int advert1 = TestHost.freePort();
        int advert2 = TestHost.freePort();
        yaml = yaml.replace("proxy:\n  listeners:\n", "proxy:\n  tcp:\n    - { bind: \"127.0.0.1:" + tcp + "\", service: demo }\n"
                + "  listeners:\n    - name: secure\n      bind: \"127.0.0.1:" + https + "\"\n      tls:\n        certificates:\n"
                + "          - { cert: " + cert + ", key: " + key + " }\n      routes:\n        - { service: demo }\n"
                + "    - name: guarded\n      bind: \"127.0.0.1:" + guarded + "\"\n      allow: [192.0.2.0/24]\n"
                + "      routes:\n        - { service: demo }\n");
        yaml += "cluster:\n  name: dashboards\n  secret_file: cluster.secret\n  quorum: none\n  advert_interval: 200ms\n"
                + "  nodes:\n    - {name: lb1, address: 127.0.0.1, priority: 150, port: " + advert1 + "}\n"
                + "    - {name: lb2, address: 127.0.0.2, priority: 100, port: " + advert2 + "}\n"
                + "  vips:\n    - {address: 127.0.0.10/32, dev: lo}\n  driver:\n    type: none\n";
        Files.writeString(demo.config(), yaml);
    }

    /**
     * HTTP through the proxy (some refused by an allow list) and DNS queries (answers, NXDOMAIN,
     * NODATA), paced, for {@code window}.
     */
    private static void traffic(DemoConfig demo, Duration window) throws Exception {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        SimpleResolver dns = new SimpleResolver(new InetSocketAddress("127.0.0.1", demo.dns()));
        dns.setTimeout(Duration.ofSeconds(2));
        String[][] questions = {{"www.cairn.test.", "A"}, {"nope.cairn.test.", "A"}, {"www.cairn.test.", "MX"},
            {"_http._tcp.demo.cairn.test.", "SRV"}};
        long end = System.nanoTime() + window.toNanos();
        int i = 0;
        while (System.nanoTime() < end) {
            // 20 requests and 8 queries a second at most: enough for every rate() to have points.
            http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + demo.proxy() + (i % 10 == 0 ? "/missing" : "/")))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.discarding());
            if (i % 5 == 0) {
                // Through the TCP forward: the same demo backends, as plain HTTP.
                http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + tcp + "/")).timeout(Duration.ofSeconds(5))
                        .build(), HttpResponse.BodyHandlers.discarding());
            }
            if (i % 5 == 2) {
                // Refused by the guarded listener's allow list: the "denied" panels.
                HttpResponse<Void> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + guarded + "/"))
                        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.discarding());
                assertThat(r.statusCode()).as("the guarded listener refuses 127.0.0.1").isEqualTo(403);
            }
            if (i % 2 == 0) {
                String[] q = questions[(i / 2) % questions.length];
                dns.send(Message.newQuery(Record.newRecord(Name.fromString(q[0]), Type.value(q[1]), DClass.IN)));
            }
            i++;
            Thread.sleep(50); // pacing the load, not waiting for a condition
        }
    }

    @AfterAll
    static void stop() {
        report.forEach((k, v) -> System.out.println("DashboardsIT " + k + ": " + v));
        if (prometheus != null) prometheus.close();
        if (cairn != null) cairn.close();
        if (db != null) db.close();
    }

    /** shared/dashboards beside the checkout: the project root's parent, or (in a worktree) one further up. */
    static Path sharedDashboards() {
        Path root = Path.of(System.getProperty("cairn.repo", "..")).toAbsolutePath().normalize();
        for (Path p = root.getParent(); p != null; p = p.getParent()) {
            Path d = p.resolve("shared/dashboards");
            if (Files.isDirectory(d)) return d;
        }
        throw new AssertionError("no shared/dashboards beside " + root + " or above it");
    }

    @Test
    void communityDashboardsFillAboveTheirFloors() throws Exception {
        List<String> failures = new ArrayList<>();
        for (Map.Entry<String, Floor> e : COMMUNITY.entrySet()) {
            Dashboard d = Dashboard.read(sharedDashboards().resolve(e.getKey()));
            Coverage c = coverage(d);
            report.put(e.getKey(), c.summary());
            if (c.share() < e.getValue().share()) {
                failures.add(e.getKey() + ": " + c.summary() + ", floor " + e.getValue().share());
            }
            for (String must : e.getValue().mustHaveData()) {
                if (!c.withData().contains(must)) failures.add(e.getKey() + ": panel '" + must + "' has no data");
            }
        }
        assertThat(failures).isEmpty();
    }

    /** Cairn's own dashboards, one per module (all of them run here): every panel must have data. */
    static final List<String> OWN_RUNNING = List.of("cairn-overview.json", "cairn-proxy.json", "cairn-dns.json",
            "cairn-cluster.json", "cairn-replication.json", "cairn-backup.json");

    /**
     * Cairn's own dashboards (docs/monitoring/dashboards): the shape Grafana 10 imports (fixed uid,
     * datasource / job / instance variables, a unit on every panel, {@code $__rate_interval} in
     * every range), every query parses, and every panel of every one has data (each module runs
     * here), with no exception.
     */
    @Test
    void cairnDashboardsParseAndFillCompletelyForTheModulesThatRun() throws Exception {
        Path dirOwn = Path.of(System.getProperty("cairn.repo", "..")).resolve("docs/monitoring/dashboards");
        List<String> files;
        try (var s = Files.list(dirOwn)) {
            files = s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".json")).sorted().toList();
        }
        assertThat(files).containsExactlyInAnyOrderElementsOf(OWN_RUNNING);
        List<String> failures = new ArrayList<>();
        for (String f : files) {
            Dashboard d = Dashboard.read(dirOwn.resolve(f));
            if (!("cairn-" + d.uid.substring("cairn-".length()) + ".json").equals(f)) failures.add(f + ": uid " + d.uid);
            List<String> vars = new ArrayList<>();
            d.root.path("templating").path("list").forEach(v -> vars.add(v.path("name").asText()));
            if (!vars.containsAll(List.of("datasource", "job", "instance"))) failures.add(f + ": variables " + vars);
            d.root.path("panels").forEach(p -> {
                if (p.path("type").asText().equals("row")) return;
                if (p.path("fieldConfig").path("defaults").path("unit").asText("").isEmpty()) {
                    failures.add(f + ": panel '" + p.path("title").asText() + "' has no unit");
                }
                p.path("targets").forEach(t -> {
                    String e = t.path("expr").asText();
                    if (e.matches("(?s).*\\[[0-9]+[smhd]].*")) failures.add(f + ": fixed range in " + e);
                    if (!e.contains("$job") || !e.contains("$instance")) failures.add(f + ": no job/instance filter in " + e);
                });
            });
            Coverage c = coverage(d);
            report.put(f, c.summary());
            if (!c.errors().isEmpty()) failures.add(f + ": " + c.errors());
            if (!c.empty().isEmpty()) failures.add(f + ": panels without data " + c.empty());
        }
        assertThat(failures).isEmpty();
    }

    /**
     * Every metric the shipped alert rules (docs/monitoring/alerts) read is one this Cairn serves:
     * a rule on a name no module exports can never fire, and promtool's unit tests (which feed it
     * made-up series) would not notice.
     */
    @Test
    void everyMetricTheAlertRulesReadIsServed() throws Exception {
        java.util.regex.Pattern name = java.util.regex.Pattern.compile("\\b((?:cairn|haproxy|bind|mysql|node)_[a-zA-Z0-9_:]*)");
        java.util.Set<String> read = new java.util.TreeSet<>();
        for (Map<String, Object> rule : MonitoringRulesIT.alerts().values()) {
            java.util.regex.Matcher m = name.matcher(String.valueOf(rule.get("expr")));
            while (m.find()) read.add(m.group(1));
        }
        assertThat(read).as("metrics the alert rules read").hasSizeGreaterThan(15);
        List<String> missing = new ArrayList<>();
        for (String metric : read) {
            if (!prometheus.query(metric).hasData()) missing.add(metric);
        }
        assertThat(missing).as("metrics alert rules read that no running module serves").isEmpty();
    }

    /**
     * The certificate-expiry alert reads cairn_proxy_certificate_expiry_timestamp_seconds: it must
     * be the served certificate's notAfter (made here for 30 days), under its listener's name.
     */
    @Test
    void certificateExpiryIsTheServedCertificatesNotAfter() throws Exception {
        java.security.cert.X509Certificate cert;
        try (var in = Files.newInputStream(dir.resolve("cert.pem"))) {
            cert = (java.security.cert.X509Certificate) java.security.cert.CertificateFactory.getInstance("X.509")
                    .generateCertificate(in);
        }
        long notAfter = cert.getNotAfter().toInstant().getEpochSecond();
        String text = CairnProcess.get(metricsUrl).body();
        java.util.regex.Matcher m = java.util.regex.Pattern
                .compile("(?m)^cairn_proxy_certificate_expiry_timestamp_seconds\\{([^}]*)} (\\S+)$").matcher(text);
        assertThat(m.find()).as("cairn_proxy_certificate_expiry_timestamp_seconds in /metrics").isTrue();
        assertThat(m.group(1)).contains("listener=\"secure\"").contains("certificate=\"www.cairn.test\"");
        assertThat((long) Double.parseDouble(m.group(2))).isEqualTo(notAfter);
        assertThat(m.find()).as("one series: one certificate is served").isFalse();
    }

    /** With every module on and busy, the one exposition passes promtool but for the names the incumbents' own exporters use. */
    @Test
    void theExpositionWithEveryModulePassesPromtool() throws Exception {
        String text = CairnProcess.get(metricsUrl).body();
        assertThat(text).contains("\nnode_", "\nhaproxy_", "\nbind_", "\nmysql_", "\ncairn_backup_", "\ncairn_replication_", "\ncairn_vip_");
        assertThat(RunningCairnIT.promtoolProblems(text)).as("promtool check metrics, less docs/monitoring/promtool-allowlist.txt").isEmpty();
    }

    record Coverage(int panels, List<String> withData, List<String> empty, List<String> errors) {
        double share() {
            return panels == 0 ? 0 : withData.size() / (double) panels;
        }

        String summary() {
            return withData.size() + " of " + panels + " panels with data; empty: " + empty + (errors.isEmpty() ? "" : "; errors: " + errors);
        }
    }

    static Coverage coverage(Dashboard d) throws Exception {
        Map<String, String> vars = d.resolveVariables(prometheus);
        List<String> withData = new ArrayList<>();
        List<String> empty = new ArrayList<>();
        List<String> errors = new ArrayList<>();
        for (Dashboard.Panel p : d.panels) {
            boolean data = false;
            for (String expr : p.exprs()) {
                Prometheus.Result r = prometheus.query(Dashboard.substitute(expr, vars));
                if (r.error() != null) errors.add(p.title() + ": " + r.error());
                if (r.hasData()) {
                    data = true;
                    break;
                }
            }
            (data ? withData : empty).add(p.title());
        }
        return new Coverage(d.panels.size(), withData, empty, errors);
    }
}
