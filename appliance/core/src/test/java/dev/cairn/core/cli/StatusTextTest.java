package dev.cairn.core.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code cairn status} without --json: sections and aligned tables from the admin API's JSON. */
class StatusTextTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    static final String STATUS = """
            {"node":"lb1","cluster":"pair","version":"1.0","uptime_seconds":300,
             "config":{"file":"/etc/cairn/cairn.yml","hash":"abc123","last_reload":{"ok":false,"at":"2026-12-04T10:00:01.123456Z",
               "errors":["cairn.yml:3:5: proxy.listeners[0].bind: port 70000 is out of range 1..65535"],"restart_keys":["dns.listen"]}},
             "modules":[
              {"name":"cluster","healthy":true,"summary":"node lb1 of pair: 2/2 nodes up","details":{"node":"lb1","quorum":"majority (2 of 2)",
                "nodes":[{"name":"lb1","address":"10.0.0.1","self":true,"up":true,"priority":150,"config_hash":"abc123"},
                         {"name":"lb2","address":"10.0.0.2","self":false,"up":true,"priority":100,"last_advert":"2026-12-04T10:00:00.5Z",
                          "config_hash":"def456","config_hash_matches":false}],
                "vips":[{"vip":"10.0.0.100/24","dev":"eth0","state":"MASTER","master":"lb1","priority":150,"since":"2026-12-04T09:00:00Z","reason":"highest priority"}],
                "config_hash_mismatches":["lb2"]}},
              {"name":"proxy","healthy":true,"summary":"1 listeners","details":{"listener web":":8080","tcp 127.0.0.1:3306":"mysql-primary",
                "service demo":"1/2 endpoints up","future_key":"kept","sessions":{"demo":{"127.0.0.1:18081":3,"127.0.0.1:18082":0}}}},
              {"name":"dns","healthy":true,"summary":"1 zone(s)","details":{"listen":"127.0.0.1:5353","udp":"batched","udp_largest_batch":4,
                "zones":{"cairn.test.":{"serial":2026120401,"records":13,"file":"zones/cairn.test.zone","loaded_at":"2026-12-04T09:59:00.250Z",
                  "loaded_by":"file change","last_reload":"failed","last_reload_at":"2026-12-04T10:00:00Z",
                  "last_reload_error":"[zones/cairn.test.zone:14: bad address 300.1.1.1]"},
                  "inline.test.":{"serial":1,"records":3,"file":"(inline records)","loaded_at":"2026-12-04T09:00:00Z","loaded_by":"start",
                  "last_reload":"ok","last_reload_at":"2026-12-04T09:00:00Z"}}}},
              {"name":"replication","healthy":true,"summary":"db: primary db1","details":{"clusters":{"db":{"primary":"db1","analysis":["NoProblem"],"epoch":2,
                "nodes":[{"name":"db1","address":"127.0.0.1:13306","role":"primary","reach":"up","read_only":false,"serves_reads":false},
                         {"name":"db2","address":"127.0.0.1:13307","role":"replica","reach":"up","read_only":true,"source":"db1",
                          "lag_seconds":0.25,"lag_from":"heartbeat","serves_reads":true,"replication":{"source":"db1","io":"yes","sql":false,
                          "last_sql_error":"1062: Duplicate entry"}}],
                "findings":[],"tree":"db1\\n  db2","failover":{"mode":"manual","durability":"lossless","phase":"idle","automation":"enabled",
                "last_failover":{"ok":true,"old_primary":"db2","new_primary":"db1","epoch":2,"detail":"switchover","duration_ms":812,
                "write_unavailable_ms":604,"audit":["2026-12-04T09:59:59.1Z lease: held","2026-12-04T10:00:00.2Z publish: mysql-primary -> db1"],
                "started_at":"2026-12-04T09:59:59.1Z","at":"2026-12-04T10:00:00.2Z"}}}}}},
              {"name":"backup","healthy":false,"summary":"1 jobs","details":{"jobs":{"files":{"last_success":"2026-12-03T02:00:00.9Z",
                "last_error":null,"snapshots":7,"next_run":"2026-12-05T02:00:00Z","sla":{"sla_met":false,"breaches":["rpo: last success 32h ago"]}}}}},
              {"name":"metrics","healthy":true,"summary":"serving","details":{"listen":":9100","path":"/metrics","host_metrics":true}}]}
            """;

    static final String CATALOG = """
            {"services":[{"name":"demo","endpoints":[
              {"name":"127.0.0.1:18081","address":"127.0.0.1:18081","weight":1,"health":"up","drained":false,"since":"2026-12-04T09:00:00Z","last_check":"HTTP 200","last_check_ms":1.5},
              {"name":"web2","address":"10.0.0.12:80","weight":3,"health":"down","drained":true,"since":"2026-12-04T09:30:00Z","last_check":"connection refused","last_check_ms":0.3}]},
             {"name":"mysql-replicas","endpoints":[]}]}
            """;

    private static String render() throws Exception {
        JsonNode s = JSON.readTree(STATUS);
        JsonNode c = JSON.readTree(CATALOG);
        return StatusText.render(s, c);
    }

    /** The line of {@code text} that starts with {@code start} (after indentation). */
    private static String lineStarting(String text, String start) {
        return text.lines().filter(l -> l.stripLeading().startsWith(start)).findFirst()
                .orElseThrow(() -> new AssertionError("no line starting with '" + start + "' in:\n" + text));
    }

    @Test
    void configStatusIsApartFromHealthAndARejectedReloadSaysWhatStillRuns() throws Exception {
        String t = render();
        assertThat(t).startsWith("node lb1  cluster pair  version 1.0  up 5m\nconfig /etc/cairn/cairn.yml  hash abc123\n")
                .contains("  last reload REJECTED (the previous config is still running) at 2026-12-04 10:00:01Z\n")
                .contains("    cairn.yml:3:5: proxy.listeners[0].bind: port 70000 is out of range 1..65535\n")
                .contains("  needs a restart to apply: dns.listen\n");
        assertThat(t).contains("MODULE        HEALTH     SUMMARY\n").contains("backup        UNHEALTHY  1 jobs\n");
    }

    @Test
    void eachModuleHasASectionWithAlignedTables() throws Exception {
        String t = render();
        // cluster: nodes and VIPs, drift named
        String header = lineStarting(t, "NODE  ");
        String lb2 = lineStarting(t, "lb2 ");
        assertThat(lb2.indexOf("10.0.0.2")).isEqualTo(header.indexOf("ADDRESS"));
        assertThat(lb2.indexOf("2026-12-04 10:00:00Z")).isEqualTo(header.indexOf("LAST ADVERT"));
        assertThat(lb2).contains("def456 DIFFERS (drift)");
        assertThat(lineStarting(t, "lb1 (this node)")).doesNotContain("DIFFERS");
        assertThat(lineStarting(t, "10.0.0.100/24")).containsPattern("eth0\\s+MASTER\\s+lb1\\s+150\\s+2026-12-04 09:00:00Z\\s+highest priority");
        // proxy: addresses as the operator writes them
        assertThat(lineStarting(t, "web ")).endsWith(":8080");
        assertThat(lineStarting(t, "127.0.0.1:3306")).endsWith("mysql-primary");
        // dns: serial, file, last load and the last attempt
        String zones = lineStarting(t, "ZONE ");
        String cairn = lineStarting(t, "cairn.test.");
        assertThat(cairn.indexOf("zones/cairn.test.zone")).isEqualTo(zones.indexOf("FILE"));
        assertThat(cairn).contains("2026-12-04 09:59:00Z  file change  FAILED at 2026-12-04 10:00:00Z");
        assertThat(lineStarting(t, "inline.test.")).contains("(inline records)").contains("ok at 2026-12-04 09:00:00Z");
        assertThat(t).contains("reload failed, still serving the zone loaded before: cairn.test. [zones/cairn.test.zone:14: bad address 300.1.1.1]");
        // what a section does not lay out is still printed, as aligned lines
        assertThat(t).contains("\n  udp_largest_batch  4\n").contains("\n  future_key  kept\n").doesNotContain("sessions");
        // replication: a node table, failover state
        assertThat(t).contains("cluster db: primary db1, analysis NoProblem, epoch 2");
        assertThat(t).containsPattern("NODE\\s+ADDRESS\\s+ROLE\\s+REACHABLE\\s+LAG\\s+IO THREAD\\s+SQL THREAD\\s+READ ONLY\\s+SOURCE");
        assertThat(lineStarting(t, "db2 ")).containsPattern("127\\.0\\.0\\.1:13307\\s+replica\\s+yes\\s+0\\.25 s \\(heartbeat\\)\\s+yes\\s+no"
                + "\\s+yes\\s+db1\\s+yes\\s+SQL 1062: Duplicate entry");
        assertThat(t).contains("failover: mode manual, lossless, enabled, phase idle");
        assertThat(t).contains("last failover: succeeded at 2026-12-04 10:00:00Z, db2 -> db1, epoch 2, took 812 ms (writes unavailable 604 ms)")
                .contains("      switchover\n").contains("audit: 2 steps, last: 2026-12-04T10:00:00.2Z publish: mysql-primary -> db1");
        // backup: job, last success, SLA broken with why
        assertThat(lineStarting(t, "files ")).containsPattern("2026-12-03 02:00:00Z\\s+BROKEN: rpo: last success 32h ago\\s+7\\s+2026-12-05 02:00:00Z");
        // others: aligned key/value lines
        assertThat(t).contains("  listen        :9100\n  path          /metrics\n  host_metrics  yes\n");
        // never the old key=value dump, never Java's address form
        assertThat(t).doesNotContain("name=").doesNotContain("/127.0.0.1").doesNotContain("[0:0:0:0");
    }

    @Test
    void endpointsShowHealthAndRotationAsTwoColumns() throws Exception {
        String t = render();
        String header = lineStarting(t, "SERVICE         ENDPOINT  ");
        assertThat(header).containsPattern("SERVICE\\s+ENDPOINT\\s+ADDRESS\\s+HEALTH\\s+SINCE\\s+TRAFFIC\\s+WEIGHT\\s+SESSIONS\\s+LAST CHECK\\s+CHECK TIME");
        String web2 = lineStarting(t, "demo            web2");
        assertThat(web2.indexOf("DOWN")).isEqualTo(header.indexOf("HEALTH"));
        assertThat(web2.indexOf("drained")).isEqualTo(header.indexOf("TRAFFIC"));
        assertThat(web2.indexOf("10.0.0.12:80")).isEqualTo(header.indexOf("ADDRESS"));
        String first = lineStarting(t, "demo            127.0.0.1:18081");
        assertThat(first.indexOf("in rotation")).isEqualTo(header.indexOf("TRAFFIC"));
        assertThat(first.indexOf("3")).isGreaterThan(0);
        assertThat(first).containsPattern("in rotation\\s+1\\s+3\\s+HTTP 200\\s+1\\.5 ms$");
        assertThat(lineStarting(t, "mysql-replicas")).endsWith("(none)");
        assertThat(List.of(t.split("\n"))).allMatch(l -> l.equals(l.stripTrailing()));
    }
}
