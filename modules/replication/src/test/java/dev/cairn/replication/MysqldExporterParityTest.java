package dev.cairn.replication;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.core.testing.TestHost;
import dev.cairn.core.testing.mariadb.MariaDbServer;
import dev.cairn.replication.metrics.ReplicationMetrics;
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
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Debian's real prometheus-mysqld-exporter and Cairn scrape the same MariaDB replica; every
 * mysqld_exporter family Cairn serves must have the exporter's name, type and label names (plus
 * Cairn's cluster and instance), and every exporter family of the mirrored groups must be served.
 */
class MysqldExporterParityTest {

    @TempDir
    static Path dir;
    static ReplicationFixture f;

    @BeforeAll
    static void start() throws Exception {
        f = new ReplicationFixture(dir);
        f.startHost("replication:\n  clusters:\n" + f.cluster("main", "monitor.password", ReplicationFixture.MONITOR_USER,
                "      heartbeat: { interval: 250ms }\n"));
    }

    @AfterAll
    static void stop() {
        if (f != null) f.close();
    }

    /** A family as the text format shows it: its type and the label names of its samples. */
    record Family(String type, Set<String> labels) {
    }

    private static final Pattern TYPE = Pattern.compile("^# TYPE (\\S+) (\\S+)$");
    private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(.*)})? \\S+$");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");

    /** Families of a text exposition; samples without {@code instance=only} are skipped when it is set. */
    static Map<String, Family> parse(String text, String only) {
        Map<String, String> types = new TreeMap<>();
        Map<String, Set<String>> labels = new TreeMap<>();
        for (String line : text.split("\n")) {
            Matcher t = TYPE.matcher(line);
            if (t.matches()) {
                types.put(t.group(1), t.group(2));
                continue;
            }
            if (line.startsWith("#") || line.isBlank()) continue;
            Matcher s = SAMPLE.matcher(line);
            if (!s.matches()) continue;
            Set<String> names = new TreeSet<>();
            String instance = null;
            if (s.group(3) != null) {
                Matcher l = LABEL.matcher(s.group(3));
                while (l.find()) {
                    if (l.group(1).equals("instance")) instance = l.group(2);
                    names.add(l.group(1));
                }
            }
            if (only != null && !only.equals(instance)) continue;
            labels.computeIfAbsent(s.group(1), k -> new TreeSet<>()).addAll(names);
        }
        Map<String, Family> out = new TreeMap<>();
        labels.forEach((name, l) -> {
            if (types.containsKey(name)) out.put(name, new Family(types.get(name), l));
        });
        return out;
    }

    @Test
    void ptHeartbeatReadsTheLagFromCairnsHeartbeat() throws Exception {
        MariaDbServer replica = f.db.replicas().get(1);
        f.await("main", Duration.ofSeconds(15), "node3 read the heartbeat", s ->
                s.node("node3").map(v -> v.state().heartbeat() != null).orElse(false));
        Process p = new ProcessBuilder("pt-heartbeat", "--check", "--utc", "--master-server-id=1", "-D", "cairn",
                "-h", replica.host(), "-P", Integer.toString(replica.port()), "-u", ReplicationFixture.MONITOR_USER,
                "-p", ReplicationFixture.MONITOR_PASSWORD).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isEqualTo(0);
        // Cairn writes every 250ms here: pt-heartbeat sees well under a second of delay.
        assertThat(Double.parseDouble(out)).as(out).isBetween(0.0, 1.0);
    }

    static boolean mirrored(String family) {
        return ReplicationMetrics.mirroredPrefixes().stream()
                .anyMatch(p -> p.endsWith("_") ? family.startsWith(p) : family.equals(p));
    }

    @Test
    void everyMirroredFamilyHasTheExportersNameTypeAndLabels() throws Exception {
        MariaDbServer replica = f.db.replicas().get(0);
        f.await("main", Duration.ofSeconds(15), "node2 read the heartbeat", s ->
                s.node("node2").map(v -> v.state().heartbeat() != null).orElse(false));

        Path cnf = dir.resolve("exporter.cnf");
        Files.writeString(cnf, "[client]\nuser=" + ReplicationFixture.MONITOR_USER + "\npassword=" + ReplicationFixture.MONITOR_PASSWORD
                + "\nhost=127.0.0.1\nport=" + replica.port() + "\n");
        int port = TestHost.freePort();
        Process exporter = new ProcessBuilder("prometheus-mysqld-exporter", "--config.my-cnf=" + cnf,
                "--web.listen-address=127.0.0.1:" + port, "--collect.slave_status", "--collect.global_status",
                "--collect.global_variables", "--collect.heartbeat", "--collect.heartbeat.database=cairn",
                "--collect.heartbeat.table=heartbeat", "--collect.heartbeat.utc")
                .redirectErrorStream(true).redirectOutput(dir.resolve("exporter.log").toFile()).start();
        String theirs;
        try {
            HttpClient http = HttpClient.newHttpClient();
            String[] body = new String[1];
            TestHost.await(Duration.ofSeconds(15), "mysqld_exporter answers with mysql_up 1", () -> {
                try {
                    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                            .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
                    body[0] = r.body();
                    return r.statusCode() == 200 && r.body().contains("\nmysql_up 1")
                            && r.body().contains("mysql_heartbeat_stored_timestamp_seconds");
                } catch (Exception e) {
                    return false;
                }
            });
            theirs = body[0];
        } finally {
            exporter.destroy();
            exporter.waitFor(5, TimeUnit.SECONDS);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new PrometheusTextFormatWriter(false).write(out, f.host.host().metrics().scrape());
        String ours = out.toString(StandardCharsets.UTF_8);

        Map<String, Family> exp = parse(theirs, null);
        Map<String, Family> cairn = parse(ours, "node2");
        Map<String, Family> cairnMysql = new TreeMap<>();
        cairn.forEach((name, fam) -> {
            if (name.startsWith("mysql_")) {
                Set<String> l = new TreeSet<>(fam.labels());
                assertThat(l).as(name + " carries cluster and instance").contains("cluster", "instance");
                l.remove("cluster");
                l.remove("instance");
                cairnMysql.put(name, new Family(fam.type(), l));
            }
        });
        assertThat(cairnMysql).as("Cairn serves the issue's families").containsKeys("mysql_up", "mysql_global_variables_read_only",
                "mysql_slave_status_slave_io_running", "mysql_slave_status_slave_sql_running", "mysql_slave_status_seconds_behind_master",
                "mysql_slave_status_last_errno", "mysql_slave_status_sql_delay", "mysql_heartbeat_stored_timestamp_seconds",
                "mysql_heartbeat_now_timestamp_seconds", "mysql_global_status_rpl_semi_sync_master_status");
        assertThat(cairnMysql.keySet().stream().filter(n -> n.startsWith("mysql_slave_status_")).count())
                .as("every numeric replica-status column").isGreaterThan(15);
        assertThat(cairnMysql.keySet().stream().filter(n -> n.startsWith("mysql_global_status_rpl_semi_sync_")).count())
                .as("the semi-sync status variables").isGreaterThan(10);
        for (Map.Entry<String, Family> e : cairnMysql.entrySet()) {
            assertThat(exp).as("mysqld_exporter has " + e.getKey()).containsKey(e.getKey());
            assertThat(e.getValue()).as(e.getKey()).isEqualTo(exp.get(e.getKey()));
        }
        // promtool accepts Cairn's exposition, but for one lint on a name the exporter itself serves (dashboards use it).
        Process promtool = new ProcessBuilder("promtool", "check", "metrics").redirectErrorStream(true).start();
        promtool.getOutputStream().write(ours.getBytes(StandardCharsets.UTF_8));
        promtool.getOutputStream().close();
        String lint = new String(promtool.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines()
                .filter(l -> !l.equals("mysql_slave_status_skip_counter metric name should not include type 'counter'"))
                .collect(java.util.stream.Collectors.joining("\n")).trim();
        assertThat(promtool.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(lint).as("promtool check metrics").isEmpty();
        Set<String> missing = new TreeSet<>();
        exp.keySet().stream().filter(MysqldExporterParityTest::mirrored).filter(n -> !cairnMysql.containsKey(n)).forEach(missing::add);
        assertThat(missing).as("exporter families of the mirrored groups that Cairn does not serve").isEmpty();
    }
}
