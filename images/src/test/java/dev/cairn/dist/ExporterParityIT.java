package dev.cairn.dist;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.core.testing.Exporters;
import dev.cairn.core.testing.Exporters.Family;
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
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Collectors;
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
 * The four drop-in groups of metric families in one place, against one running Cairn (the built
 * distribution with metrics, proxy, DNS and replication on), each beside its incumbent on the same
 * machine at the same moment: Debian's prometheus-node-exporter (host), HAProxy 2.6's built-in
 * exporter in front of the same backends with the same traffic (proxy), Debian's
 * prometheus-mysqld-exporter on the same MariaDB replica (MySQL), and bind_exporter's documented
 * families (it is not packaged in Debian, see {@link Exporters#BIND_EXPORTER}). Every family of an
 * incumbent's prefix that Cairn's one /metrics serves must have the incumbent's type and label names
 * (Cairn's mysql_* also carry {@code cluster} and {@code instance}: one Cairn watches several
 * servers, one mysqld_exporter one). The per-module parity tests (NodeExporterParityTest,
 * HaproxyParityTest, BindExporterFamiliesTest, MysqldExporterParityTest) check the values too.
 */
class ExporterParityIT {

    private static final int REQUESTS = 20;

    @TempDir
    static Path dir;

    private static MariaDbCluster db;
    private static CairnProcess cairn;
    private static final List<Exporters.Incumbent> incumbents = new ArrayList<>();
    private static String cairnText;
    private static final Map<String, String> theirs = new LinkedHashMap<>();

    @BeforeAll
    static void oneCairnBesideEveryIncumbent() throws Exception {
        db = MariaDbCluster.start(dir.resolve("db"), 1);
        // mysqld_exporter refuses a my.cnf without a password: its own user (MariaDB's names for the grants its README lists).
        db.primary().exec("CREATE USER 'exporter'@'127.0.0.1' IDENTIFIED BY 'exporter-secret';"
                + " GRANT PROCESS, REPLICA MONITOR, BINLOG MONITOR, SELECT ON *.* TO 'exporter'@'127.0.0.1'");
        db.awaitCaughtUp(Duration.ofSeconds(30));
        MariaDbServer replica = db.replicas().get(0);
        DemoConfig demo = DemoConfig.onFreePorts(dir);
        String yaml = Files.readString(demo.config());
        int own = yaml.indexOf("\nreplication:\n");
        assertThat(own).as("the demo config has a replication section").isPositive();
        StringBuilder y = new StringBuilder(yaml.substring(0, own + 1)).append("replication:\n  clusters:\n    db:\n      nodes:\n");
        for (MariaDbServer n : db.nodes()) {
            y.append("        - { address: ").append(n.address()).append(", name: ").append(n.name()).append(" }\n");
        }
        y.append("      user: root\n      password: \"\"\n      interval: 250ms\n      heartbeat: { interval: 250ms }\n");
        Files.writeString(demo.config(), y.toString());
        cairn = CairnProcess.start(dir, "run", "-c", demo.config().toString(), "--node", "lb1");
        String metrics = "http://127.0.0.1:" + demo.metrics() + "/metrics";
        cairn.awaitHttp(metrics);

        int node = TestHost.freePort();
        incumbents.add(Exporters.Incumbent.start(dir, "http://127.0.0.1:" + node + "/metrics",
                "prometheus-node-exporter", "--web.listen-address=127.0.0.1:" + node));

        int stats = TestHost.freePort();
        int web = TestHost.freePort();
        Path cfg = dir.resolve("haproxy.cfg");
        Files.writeString(cfg, String.join("\n",
                "global", "  nbthread 2",
                "defaults", "  mode http", "  timeout connect 2s", "  timeout client 10s", "  timeout server 10s",
                "frontend stats", "  bind 127.0.0.1:" + stats,
                "  http-request use-service prometheus-exporter if { path /metrics }",
                "frontend web", "  bind 127.0.0.1:" + web, "  default_backend demo",
                // The demo service's HTTP check, as HAProxy writes it (its check families are served only with one).
                "backend demo", "  balance roundrobin", "  option httpchk GET /health",
                "  server a 127.0.0.1:" + demo.backend1() + " check inter 2s", "  server b 127.0.0.1:" + demo.backend2() + " check inter 2s",
                ""));
        incumbents.add(Exporters.Incumbent.start(dir, "http://127.0.0.1:" + stats + "/metrics", "haproxy", "-db", "-f", cfg.toString()));

        // Cairn's heartbeat reaches the replica first: mysqld_exporter's heartbeat collector reads the same table.
        TestHost.await(Duration.ofSeconds(30), "Cairn's heartbeat on the replica", () -> {
            try {
                return Exporters.scrape(metrics).contains("mysql_heartbeat_stored_timestamp_seconds{");
            } catch (Exception e) {
                return false;
            }
        });
        Path cnf = dir.resolve("exporter.cnf");
        Files.writeString(cnf, "[client]\nuser=exporter\npassword=exporter-secret\nhost=127.0.0.1\nport=" + replica.port() + "\n");
        int mysqld = TestHost.freePort();
        String mysqldUrl = "http://127.0.0.1:" + mysqld + "/metrics";
        incumbents.add(Exporters.Incumbent.start(dir, mysqldUrl, "prometheus-mysqld-exporter", "--config.my-cnf=" + cnf,
                "--web.listen-address=127.0.0.1:" + mysqld, "--collect.slave_status", "--collect.global_status",
                "--collect.global_variables", "--collect.heartbeat", "--collect.heartbeat.database=cairn",
                "--collect.heartbeat.table=heartbeat", "--collect.heartbeat.utc"));
        TestHost.await(Duration.ofSeconds(30), "mysqld_exporter reaching the replica", () -> {
            try {
                String t = Exporters.scrape(mysqldUrl);
                return t.contains("\nmysql_up 1") && t.contains("mysql_heartbeat_stored_timestamp_seconds");
            } catch (Exception e) {
                return false;
            }
        });

        // The same requests through both proxies, and DNS queries (answers, NXDOMAIN, NODATA, REFUSED).
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        for (String base : List.of("http://127.0.0.1:" + demo.proxy(), "http://127.0.0.1:" + web)) {
            for (int i = 0; i < REQUESTS; i++) {
                HttpResponse<Void> r = http.send(HttpRequest.newBuilder(URI.create(base + "/")).timeout(Duration.ofSeconds(10)).build(),
                        HttpResponse.BodyHandlers.discarding());
                assertThat(r.statusCode()).as(base).isEqualTo(200);
            }
        }
        SimpleResolver dns = new SimpleResolver(new InetSocketAddress("127.0.0.1", demo.dns()));
        dns.setTimeout(Duration.ofSeconds(5));
        for (String[] q : new String[][] {{"www.cairn.test.", "A"}, {"nope.cairn.test.", "A"}, {"www.cairn.test.", "MX"},
            {"www.example.org.", "A"}}) {
            dns.send(Message.newQuery(Record.newRecord(Name.fromString(q[0]), Type.value(q[1]), DClass.IN)));
        }

        cairnText = Exporters.scrape(metrics);
        theirs.put("node_exporter", Exporters.scrape("http://127.0.0.1:" + node + "/metrics"));
        theirs.put("haproxy", Exporters.scrape("http://127.0.0.1:" + stats + "/metrics"));
        theirs.put("mysqld_exporter", Exporters.scrape(mysqldUrl));
    }

    @AfterAll
    static void stop() {
        incumbents.forEach(Exporters.Incumbent::close);
        if (cairn != null) cairn.close();
        if (db != null) db.close();
    }

    /** Cairn's families of {@code prefix} that differ from the incumbent's (absent there, or another type or labels). */
    private static List<String> differences(Map<String, Family> mine, Map<String, Family> incumbent, String prefix, String who) {
        List<String> out = new ArrayList<>();
        for (String name : Exporters.namesWithPrefix(mine, prefix)) {
            Family m = mine.get(name);
            Family t = incumbent.get(name);
            if (t == null) out.add(name + ": " + who + " does not serve it");
            else if (!m.equals(t)) out.add(name + ": Cairn " + m.type() + " " + m.labels() + ", " + who + " " + t.type() + " " + t.labels());
        }
        return out;
    }

    @Test
    void oneCairnServesAllFourGroupsEachInItsIncumbentsShape() {
        Map<String, Family> mine = Exporters.families(cairnText);
        Map<String, List<String>> differences = new LinkedHashMap<>();

        differences.put("node_exporter", differences(mine, Exporters.families(theirs.get("node_exporter")), "node_", "node_exporter"));
        assertThat(Exporters.namesWithPrefix(mine, "node_")).hasSizeGreaterThan(150)
                .contains("node_uname_info", "node_boot_time_seconds", "node_time_seconds", "node_filesystem_avail_bytes",
                        "node_network_receive_bytes_total", "node_vmstat_pgfault", "node_netstat_Tcp_InSegs", "node_cpu_seconds_total");

        differences.put("haproxy", differences(mine, Exporters.families(theirs.get("haproxy")), "haproxy_", "HAProxy"));
        assertThat(Exporters.namesWithPrefix(mine, "haproxy_")).contains("haproxy_process_start_time_seconds",
                "haproxy_frontend_status", "haproxy_frontend_http_requests_total", "haproxy_frontend_http_responses_total",
                "haproxy_backend_status", "haproxy_backend_active_servers", "haproxy_backend_http_responses_total",
                "haproxy_server_status", "haproxy_server_weight", "haproxy_server_http_responses_total");

        differences.put("bind_exporter", differences(mine, Exporters.BIND_EXPORTER, "bind_", "bind_exporter"));
        assertThat(Exporters.namesWithPrefix(mine, "bind_")).contains("bind_up", "bind_incoming_queries_total",
                "bind_responses_total", "bind_response_rcodes_total", "bind_zone_serial", "bind_boot_time_seconds");

        // mysqld_exporter watches one server (the replica): Cairn's series of that node, its two own labels aside.
        Map<String, Family> mysql = Exporters.families(onlyInstance(cairnText, "mysql_", "node2")).values().stream()
                .filter(f -> f.name().startsWith("mysql_"))
                .collect(Collectors.toMap(Family::name, f -> withoutLabels(f, "cluster", "instance"), (a, b) -> a, LinkedHashMap::new));
        differences.put("mysqld_exporter", differences(mysql, Exporters.families(theirs.get("mysqld_exporter")), "mysql_",
                "mysqld_exporter"));
        assertThat(mysql).containsKeys("mysql_up", "mysql_global_variables_read_only", "mysql_slave_status_slave_io_running",
                "mysql_slave_status_slave_sql_running", "mysql_slave_status_seconds_behind_master",
                "mysql_heartbeat_stored_timestamp_seconds", "mysql_heartbeat_now_timestamp_seconds");
        assertThat(Exporters.families(cairnText).get("mysql_up").labels()).as("mysql_up carries cluster and instance")
                .contains("cluster", "instance");

        differences.values().removeIf(List::isEmpty);
        assertThat(differences).as("families in Cairn's /metrics that differ from their incumbent's").isEmpty();
    }

    /** The exposition with only the {@code instance=NAME} samples of families starting with {@code prefix}. */
    private static String onlyInstance(String text, String prefix, String instance) {
        return text.lines().filter(l -> !l.startsWith(prefix) || l.contains("instance=\"" + instance + "\""))
                .collect(Collectors.joining("\n", "", "\n"));
    }

    private static Family withoutLabels(Family f, String... drop) {
        TreeSet<String> l = new TreeSet<>(f.labels());
        for (String d : drop) l.remove(d);
        return new Family(f.name(), f.type(), l);
    }

    @Test
    void theIncumbentsRanAndSawTheSameTraffic() {
        // Not a comparison that can pass empty: each incumbent served its families and counted what was sent.
        Function<String, Map<String, Family>> of = k -> Exporters.families(theirs.get(k));
        assertThat(Exporters.namesWithPrefix(of.apply("node_exporter"), "node_")).hasSizeGreaterThan(150);
        assertThat(theirs.get("haproxy")).containsPattern("haproxy_frontend_http_requests_total\\{proxy=\"web\"} " + REQUESTS + "(\\.0)?\n");
        assertThat(cairnText).containsPattern("haproxy_frontend_http_requests_total\\{proxy=\"web\"} " + REQUESTS + "(\\.0)?\n");
        assertThat(theirs.get("mysqld_exporter")).contains("\nmysql_up 1");
        assertThat(cairnText).containsPattern("bind_incoming_queries_total\\{type=\"A\"} 3(\\.0)?\n");
    }
}
