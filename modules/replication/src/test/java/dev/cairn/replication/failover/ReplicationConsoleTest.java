package dev.cairn.replication.failover;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Replication as an operator reads it in the status console, its JSON twin and {@code cairn
 * status}, on a real MariaDB primary and replica: a table per cluster with each node's role,
 * reachability, lag, IO/SQL threads and read_only; "none" for the last failover until a
 * switchover, then its time, result, old → new primary and epoch, with the audit log.
 */
class ReplicationConsoleTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void consoleAndStatusShowEachNodesRoleAndLagAndTheLastFailover() throws Exception {
        try (FailoverFixture f = FailoverFixture.start(dir, 1, "mode: manual\ndurability: available\n")) {
            String admin = f.host.adminUrl();
            String[] page = {""};
            // The replica's lag needs one probe of its channel after it caught up.
            try {
                dev.cairn.core.testing.TestHost.await(Duration.ofSeconds(20), "node2 shown as a replica with its lag", () -> {
                    try {
                        page[0] = get(admin + "/");
                    } catch (Exception e) {
                        return false;
                    }
                    return row(page[0], "main/node2").matches("(?s).*class=\"lag\">[0-9.]+ s .*");
                });
            } catch (AssertionError e) {
                throw new AssertionError(e.getMessage() + "\n" + section(page[0]), e);
            }
            String primary = row(page[0], "main/node1");
            String replica = row(page[0], "main/node2");
            assertThat(primary).contains("class=\"role\">primary<").contains("<td class=\"up\">yes</td>")
                    .contains(">no</td>"); // read_only off
            assertThat(replica).contains("class=\"role\">replica<").containsPattern("class=\"lag\">[0-9.]+ s <small>\\(")
                    .contains("<td class=\"up\">yes</td><td class=\"up\">yes</td>") // IO and SQL threads
                    .doesNotContain("alarm");
            assertThat(section(page[0])).contains("primary <span class=\"up\">node1</span>")
                    .contains("none since this node started");

            String before = cli(f, "status");
            assertThat(before).contains("NODE   ADDRESS").contains("REACHABLE").contains("IO THREAD").contains("SQL THREAD")
                    .contains("last failover: none since this node started");
            assertThat(before.lines().filter(l -> l.trim().startsWith("node2")).findFirst().orElseThrow())
                    .contains("replica").contains(" s (").contains("yes");

            Map<String, Object> r = f.failover().switchover("node2", false, false);
            assertThat(r.get("ok")).as(r.toString()).isEqualTo(true);
            f.awaitPrimary("node2", Duration.ofSeconds(10));

            String[] seen = {""};
            dev.cairn.core.testing.TestHost.await(Duration.ofSeconds(10), "the console shows node2 as the primary", () -> {
                try {
                    seen[0] = get(admin + "/");
                } catch (Exception e) {
                    return false;
                }
                return row(seen[0], "main/node2").contains("class=\"role\">primary<");
            });
            String after = seen[0];
            Matcher last = Pattern.compile("(?s)<table class=\"last-failover\" data-cluster=\"main\">(.*?)</table>").matcher(after);
            assertThat(last.find()).as(section(after)).isTrue();
            assertThat(last.group(1)).containsPattern("<th>when</th><td>\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\dZ</td>")
                    .contains("class=\"ok\">succeeded").contains("node1 &rarr; node2").contains("<th>epoch</th><td>1</td>")
                    .contains("<details><summary>").contains("steps, last:")
                    .contains("href=\"/api/modules/replication/failover?cluster=main\"");
            assertThat(section(after)).contains("<details><summary>topology</summary><pre>cluster main: primary node2");

            // The JSON twin carries the same, under the keys the module always had, plus when.
            JsonNode lf = JSON.readTree(get(admin + "/api/status")).path("modules").findValue("clusters")
                    .path("main").path("failover").path("last_failover");
            assertThat(lf.path("ok").asBoolean()).isTrue();
            assertThat(lf.path("old_primary").asText()).isEqualTo("node1");
            assertThat(lf.path("new_primary").asText()).isEqualTo("node2");
            assertThat(lf.path("epoch").asLong()).isEqualTo(1);
            assertThat(lf.path("audit").size()).isPositive();
            assertThat(java.time.Instant.parse(lf.path("at").asText()))
                    .isAfterOrEqualTo(java.time.Instant.parse(lf.path("started_at").asText()));

            assertThat(cli(f, "status")).containsPattern("last failover: succeeded at \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\dZ, "
                    + "node1 -> node2, epoch 1, took \\d+ ms").contains("audit: ");
        }
    }

    private static String get(String url) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(url + ": " + r.body()).isEqualTo(200);
        return r.body();
    }

    /** The replication section of the console page. */
    private static String section(String page) {
        int i = page.indexOf("<section id=\"replication\">");
        return i < 0 ? "no replication section in:\n" + page : page.substring(i, page.indexOf("</section>", i));
    }

    /** One node's row of the replication table; empty when absent. */
    private static String row(String page, String node) {
        Matcher m = Pattern.compile("(?s)<tr data-node=\"" + Pattern.quote(node) + "\"[^>]*>.*?</tr>").matcher(page);
        return m.find() ? m.group() : "";
    }

    /** {@code cairn ARGS} against the fixture's daemon: stdout and stderr. */
    private static String cli(FailoverFixture f, String... args) throws Exception {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        java.io.PrintStream oldOut = System.out;
        java.io.PrintStream oldErr = System.err;
        java.io.PrintStream p = new java.io.PrintStream(out, true, java.nio.charset.StandardCharsets.UTF_8);
        System.setOut(p);
        System.setErr(p);
        try {
            java.util.List<String> all = new java.util.ArrayList<>(java.util.List.of(args));
            all.addAll(java.util.List.of("-c", f.host.configFile().toString(), "--url", f.host.adminUrl()));
            dev.cairn.core.cli.Main.execute(dev.cairn.core.config.ModuleRegistry.of(new dev.cairn.replication.ReplicationModule()),
                    all.toArray(String[]::new));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
        return out.toString(java.nio.charset.StandardCharsets.UTF_8);
    }
}
