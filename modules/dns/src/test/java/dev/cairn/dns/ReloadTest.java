package dev.cairn.dns;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.core.config.ConfigException;
import dev.cairn.core.config.ConfigLoader;
import dev.cairn.core.config.ModuleRegistry;
import dev.cairn.core.lifecycle.ReloadResult;
import dev.cairn.core.testing.TestHost;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/** Zone file edits and config reloads swap zones atomically; a broken zone keeps the old one serving. */
class ReloadTest {

    @TempDir
    Path dir;
    DnsFixture dns;

    static final String YAML = """
            dns:
              listen: 127.0.0.1:0
              zone_reload_interval: 100ms
              zones:
                example.test:
                  file: zones/example.test.zone
            """;

    @AfterEach
    void stop() {
        if (dns != null) dns.close();
    }

    private List<String> a(String name) throws IOException {
        return dns.query(name, Type.A).getSection(Section.ANSWER).stream().map(Record::rdataToString).toList();
    }

    private Path zoneFile() {
        return dir.resolve("zones/example.test.zone");
    }

    @Test
    void editedZoneFileIsServedWithoutAConfigReload() throws Exception {
        dns = DnsFixture.start(dir, YAML);
        Files.writeString(zoneFile(), Files.readString(zoneFile()).replace("192.0.2.10", "192.0.2.11"));
        TestHost.await(Duration.ofSeconds(5), "new www address", () -> quietly(() -> a("www.example.test").equals(List.of("192.0.2.11"))));
        // The file's serial did not move: the served serial still does, so secondaries notice.
        assertThat(dns.module().zones().zone(org.xbill.DNS.Name.fromConstantString("example.test.")).serial()).isEqualTo(2024010102L);
        assertThat(dns.host.metric("cairn_dns_zone_reloads", "zone", "example.test.", "result", "success")).isEqualTo(1);
    }

    @Test
    void brokenZoneFileKeepsTheOldVersionServingAndIsReported() throws Exception {
        dns = DnsFixture.start(dir, YAML);
        Files.writeString(zoneFile(), Files.readString(zoneFile()) + "oops IN A 300.1.1.1\n");
        TestHost.await(Duration.ofSeconds(5), "reload failure counted",
                () -> dns.host.metric("cairn_dns_zone_reloads", "zone", "example.test.", "result", "failure") >= 1);
        assertThat(a("www.example.test")).containsExactly("192.0.2.10");
        assertThat(dns.module().status().details()).containsKey("last_zone_error");
        assertThat(dns.module().status().details().get("last_zone_error").toString()).contains("example.test.zone:");
    }

    @SuppressWarnings("unchecked")
    private java.util.Map<String, Object> zoneStatus(String zone) {
        return (java.util.Map<String, Object>) ((java.util.Map<String, Object>) dns.module().status().details().get("zones")).get(zone);
    }

    @Test
    void statusShowsEachZonesLastLoadItsFileAndTheLastAttemptsResult() throws Exception {
        dns = DnsFixture.start(dir, YAML);
        java.util.Map<String, Object> atStart = zoneStatus("example.test.");
        assertThat(atStart).containsEntry("file", "zones/example.test.zone").containsEntry("loaded_by", "start")
                .containsEntry("last_reload", "ok").containsKeys("serial", "loaded_at", "last_reload_at")
                .doesNotContainKey("last_reload_error");
        java.time.Instant started = java.time.Instant.parse((String) atStart.get("loaded_at"));
        // The reload counters exist at 0 from the start, so the first failure is an increase an alert sees.
        assertThat(dns.host.metric("cairn_dns_zone_reloads", "zone", "example.test.", "result", "failure")).isZero();
        assertThat(dns.host.metric("cairn_dns_zone_reloads", "zone", "example.test.", "result", "success")).isZero();

        Files.writeString(zoneFile(), Files.readString(zoneFile()).replace("192.0.2.10", "192.0.2.11"));
        TestHost.await(Duration.ofSeconds(5), "the edited file loaded", () -> "file change".equals(zoneStatus("example.test.").get("loaded_by")));
        java.util.Map<String, Object> edited = zoneStatus("example.test.");
        java.time.Instant reloaded = java.time.Instant.parse((String) edited.get("loaded_at"));
        assertThat(reloaded).isAfterOrEqualTo(started);
        assertThat(edited).containsEntry("last_reload", "ok");

        // A broken edit: the zone keeps the load before it; the attempt is reported failed, with the line.
        Files.writeString(zoneFile(), Files.readString(zoneFile()) + "oops IN A 300.1.1.1\n");
        TestHost.await(Duration.ofSeconds(5), "the broken edit reported", () -> "failed".equals(zoneStatus("example.test.").get("last_reload")));
        java.util.Map<String, Object> broken = zoneStatus("example.test.");
        assertThat(broken).containsEntry("loaded_at", edited.get("loaded_at")).containsEntry("loaded_by", "file change");
        assertThat((String) broken.get("last_reload_error")).contains("example.test.zone:");
        assertThat(a("www.example.test")).containsExactly("192.0.2.11");
        // The console's DNS section and cairn status show the same: the load before, and the failed attempt.
        String page = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create(dns.host.adminUrl() + "/")).build(), java.net.http.HttpResponse.BodyHandlers.ofString()).body();
        assertThat(page).containsPattern("<tr data-zone=\"example\\.test\\.\" class=\"alarm\"><td>example\\.test\\.</td><td>\\d+</td>"
                + "<td>\\d+</td><td>zones/example\\.test\\.zone</td><td>[-0-9]+ [:0-9]+Z</td><td>file change</td>"
                + "<td class=\"wrap bad\">FAILED at [-0-9]+ [:0-9]+Z: \\[.*example\\.test\\.zone:");
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        java.io.PrintStream old = System.out;
        System.setOut(new java.io.PrintStream(out, true, java.nio.charset.StandardCharsets.UTF_8));
        try {
            dev.cairn.core.cli.Main.execute("status", "--url", dns.host.adminUrl());
        } finally {
            System.setOut(old);
        }
        assertThat(out.toString(java.nio.charset.StandardCharsets.UTF_8))
                .containsPattern("(?m)^  example\\.test\\.\\s+\\d+\\s+\\d+\\s+zones/example\\.test\\.zone\\s+[-0-9]+ [:0-9]+Z\\s+file change\\s+FAILED at ")
                .contains("reload failed, still serving the zone loaded before: example.test. [");

        // Fixed: picked up again; then a config reload re-reads the file.
        Files.writeString(zoneFile(), Files.readString(zoneFile()).replace("oops IN A 300.1.1.1\n", ""));
        TestHost.await(Duration.ofSeconds(5), "the fixed file loaded", () -> "ok".equals(zoneStatus("example.test.").get("last_reload")));
        ReloadResult r = dns.host.reload(YAML.replace("100ms", "200ms"));
        assertThat(r.ok()).as(r.toString()).isTrue();
        java.util.Map<String, Object> after = zoneStatus("example.test.");
        assertThat(after).containsEntry("loaded_by", "config reload").containsEntry("last_reload", "ok").doesNotContainKey("last_reload_error");
    }

    @Test
    void inlineZonesSayTheyHaveNoFile() throws Exception {
        dns = DnsFixture.start(dir, zonesYaml(List.of("inline.test")));
        assertThat(zoneStatus("inline.test.")).containsEntry("file", "(inline records)").containsEntry("last_reload", "ok");
    }

    @Test
    void configReloadAddsAndRemovesZonesAndAnInvalidOneChangesNothing() throws Exception {
        dns = DnsFixture.start(dir, YAML);
        String withSecond = YAML + """
                    second.test:
                      records:
                        - "@ SOA ns hostmaster 1 3600 900 604800 60"
                        - "@ NS ns"
                        - "ns A 192.0.2.7"
                """;
        ReloadResult ok = dns.host.reload(withSecond);
        assertThat(ok.ok()).as(ok.toString()).isTrue();
        assertThat(a("ns.second.test")).containsExactly("192.0.2.7");
        int port = dns.port();

        ReloadResult bad = dns.host.reload(withSecond.replace("192.0.2.7", "192.0.2.999"));
        assertThat(bad.ok()).isFalse();
        assertThat(String.join("\n", bad.errors())).contains("records[2]");
        assertThat(a("ns.second.test")).containsExactly("192.0.2.7");

        assertThat(dns.host.reload(YAML).ok()).isTrue();
        assertThat(dns.query("ns.second.test", Type.A).getRcode()).isEqualTo(Rcode.REFUSED);
        assertThat(dns.port()).isEqualTo(port);
    }

    @Test
    void reopeningTheListenersRefusesNoQuery() throws Exception {
        int port = TestHost.freePort();
        String yaml = YAML.replace("listen: 127.0.0.1:0", "listen: 127.0.0.1:" + port);
        dns = DnsFixture.start(dir, yaml);
        java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.atomic.AtomicInteger refused = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicInteger attempts = new java.util.concurrent.atomic.AtomicInteger();
        java.net.InetSocketAddress to = new java.net.InetSocketAddress("127.0.0.1", port);
        byte[] query = org.xbill.DNS.Message.newQuery(Record.newRecord(
                org.xbill.DNS.Name.fromConstantString("www.example.test."), Type.A, org.xbill.DNS.DClass.IN)).toWire();
        Thread tcp = new Thread(() -> {
            while (!done.get()) {
                attempts.incrementAndGet();
                try (java.net.Socket s = new java.net.Socket()) {
                    s.connect(to, 1000);
                } catch (java.net.ConnectException e) {
                    refused.incrementAndGet();
                } catch (IOException e) {
                    // a timeout is not a refusal
                }
            }
        });
        Thread udp = new Thread(() -> {
            try (java.nio.channels.DatagramChannel ch = java.nio.channels.DatagramChannel.open()) {
                ch.connect(to);
                ch.configureBlocking(false);
                java.nio.ByteBuffer in = java.nio.ByteBuffer.allocate(4096);
                while (!done.get()) {
                    attempts.incrementAndGet();
                    try {
                        ch.write(java.nio.ByteBuffer.wrap(query));
                        in.clear();
                        ch.read(in);
                    } catch (java.net.PortUnreachableException e) {
                        refused.incrementAndGet();
                    }
                }
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        tcp.start();
        udp.start();
        try {
            // udp_batch and tcp_max_connections are marked restart: each reload re-opens the listeners.
            for (int i = 0; i < 20; i++) {
                String next = yaml.replace("zone_reload_interval: 100ms", "zone_reload_interval: 100ms\n  udp_batch: "
                        + (i % 2 == 0 ? 16 : 32) + "\n  tcp_max_connections: " + (100 + i));
                ReloadResult r = dns.host.reload(next);
                assertThat(r.ok()).as(r.toString()).isTrue();
                assertThat(r.restartKeys()).contains("dns.tcp_max_connections");
            }
        } finally {
            done.set(true);
            tcp.join(5000);
            udp.join(5000);
        }
        assertThat(attempts.get()).isGreaterThan(100);
        assertThat(refused.get()).as("connections and datagrams refused while the listeners were re-opened").isZero();
        assertThat(a("www.example.test")).containsExactly("192.0.2.10");
        assertThat(dns.port()).isEqualTo(port);
    }

    @Test
    void statusListsZonesInConfigOrderAcrossReloads() throws Exception {
        List<String> names = List.of("zulu.test", "alpha.test", "mike.test", "bravo.test", "yankee.test",
                "charlie.test", "x-ray.test", "delta.test", "whiskey.test", "echo.test");
        dns = DnsFixture.start(dir, zonesYaml(names));
        assertThat(zoneNames()).containsExactlyElementsOf(names.stream().map(n -> n + ".").toList());
        List<String> reversed = new java.util.ArrayList<>(names);
        java.util.Collections.reverse(reversed);
        assertThat(dns.host.reload(zonesYaml(reversed)).ok()).isTrue();
        assertThat(zoneNames()).containsExactlyElementsOf(reversed.stream().map(n -> n + ".").toList());
    }

    private List<String> zoneNames() {
        @SuppressWarnings("unchecked")
        java.util.Map<String, Object> zones = (java.util.Map<String, Object>) dns.module().status().details().get("zones");
        return List.copyOf(zones.keySet());
    }

    private static String zonesYaml(List<String> names) {
        StringBuilder b = new StringBuilder("dns:\n  listen: 127.0.0.1:0\n  zones:\n");
        for (String n : names) {
            b.append("    ").append(n).append(":\n      records:\n")
                    .append("        - \"@ SOA ns hostmaster 1 3600 900 604800 60\"\n")
                    .append("        - \"@ NS ns\"\n")
                    .append("        - \"ns A 192.0.2.7\"\n");
        }
        return b.toString();
    }

    @Test
    void aReloadPlanListsZonesTheirSerialsAndTheListeners() throws Exception {
        DnsFixture.copyZones(dir);
        String second = """
                    second.test:
                      records:
                        - "@ SOA ns hostmaster 7 3600 900 604800 60"
                        - "@ NS ns"
                        - "ns A 192.0.2.7"
                """;
        Path a = Files.writeString(dir.resolve("running.yml"), YAML + second);
        Path b = Files.writeString(dir.resolve("next.yml"), YAML.replace("listen: 127.0.0.1:0", "listen: 127.0.0.1:5353")
                + second.replace("hostmaster 7", "hostmaster 8") + """
                    third.test:
                      records:
                        - "@ SOA ns hostmaster 3 3600 900 604800 60"
                        - "@ NS ns"
                        - "ns A 192.0.2.8"
                """);
        ModuleRegistry modules = ModuleRegistry.of(new DnsModule());
        List<String> plan = dev.cairn.core.lifecycle.ReloadPlan.lines(modules,
                new ConfigLoader(modules, java.util.Map.of()).load(a, null), new ConfigLoader(modules, java.util.Map.of()).load(b, null));
        assertThat(plan).contains("  listeners re-open on 127.0.0.1:5353 (dns.listen; the new sockets are bound before the old ones close)",
                "  zone second.test: serial 7 -> 8", "  zone third.test: added, serial 3");
        assertThat(plan).noneMatch(l -> l.contains("example.test"));
    }

    @Test
    void checkReportsZoneErrorsWithFileAndLine() throws Exception {
        DnsFixture.copyZones(dir);
        Files.writeString(zoneFile(), Files.readString(zoneFile()) + "bad IN MX mail\n");
        Path cfg = dir.resolve("cairn.yml");
        Files.writeString(cfg, """
                admin:
                  listen: 127.0.0.1:0
                dns:
                  listen: 127.0.0.1:0
                  zones:
                    example.test:
                      file: zones/example.test.zone
                      service_records:
                        web: { service: nosuch }
                """);
        try {
            new ConfigLoader(ModuleRegistry.of(new DnsModule())).load(cfg, null);
            throw new AssertionError("expected errors");
        } catch (ConfigException e) {
            List<String> msgs = ConfigLoader.messages(e);
            int lines = Files.readAllLines(zoneFile()).size();
            assertThat(msgs).anyMatch(m -> m.contains("dns.zones.example.test.file: CAIRN-DNS-0001 ")
                    && m.contains("example.test.zone:" + lines + ": "));
            assertThat(msgs).anyMatch(m -> m.contains("dns.zones.example.test.service_records.web.service: unknown service 'nosuch'"));
        }
    }

    interface IoCheck {
        boolean get() throws IOException;
    }

    static boolean quietly(IoCheck c) {
        try {
            return c.get();
        } catch (IOException e) {
            return false;
        }
    }
}
