package dev.cairn.dns.interop;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.core.testing.Exporters;
import dev.cairn.core.testing.Exporters.Family;
import dev.cairn.dns.DnsFixture;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Type;

/**
 * The DNS module's bind_* families against bind_exporter's names, types and labels. bind_exporter
 * is not packaged in Debian, so it cannot run here: {@link Exporters#BIND_EXPORTER} is its
 * documented families, read from its source, and every bind_* family Cairn serves must be one of
 * them with the same type and label names.
 */
class BindExporterFamiliesTest {

    /** bind_exporter's families, from its source (the table lives with the other exporters' helpers). */
    private static final Map<String, Family> BIND_EXPORTER = Exporters.BIND_EXPORTER;

    @TempDir
    Path dir;

    @Test
    void bindFamiliesHaveBindExportersShapeAndCountWhatWasAnswered() throws Exception {
        try (DnsFixture f = DnsFixture.start(dir, DnsFixture.basicYaml())) {
            assertThat(f.query("www.example.test", Type.A).getRcode()).isEqualTo(Rcode.NOERROR); // Success
            assertThat(f.query("www.example.test", Type.MX).getRcode()).isEqualTo(Rcode.NOERROR); // Nxrrset (NODATA)
            assertThat(f.query("nope.example.test", Type.A).getRcode()).isEqualTo(Rcode.NXDOMAIN);
            assertThat(f.query("host.sub.example.test", Type.A).getRcode()).isEqualTo(Rcode.NOERROR); // Referral
            assertThat(f.query("www.example.org", Type.A).getRcode()).isEqualTo(Rcode.REFUSED); // Failure

            String text = exposition(f);
            Map<String, Family> mine = Exporters.families(text);
            List<String> mismatches = new ArrayList<>();
            for (String name : Exporters.namesWithPrefix(mine, "bind_")) {
                if (!mine.get(name).equals(BIND_EXPORTER.get(name))) {
                    mismatches.add(name + ": Cairn " + mine.get(name) + ", bind_exporter " + BIND_EXPORTER.get(name));
                }
            }
            assertThat(mismatches).isEmpty();
            assertThat(mine).containsKeys("bind_up", "bind_incoming_queries_total", "bind_responses_total",
                    "bind_response_rcodes_total", "bind_zone_serial", "bind_boot_time_seconds");

            assertThat(f.host.metric("bind_up")).isEqualTo(1.0);
            assertThat(f.host.metric("bind_incoming_queries", "type", "A")).isEqualTo(4.0);
            assertThat(f.host.metric("bind_incoming_queries", "type", "MX")).isEqualTo(1.0);
            assertThat(f.host.metric("bind_incoming_requests", "opcode", "QUERY")).isEqualTo(5.0);
            assertThat(f.host.metric("bind_responses", "result", "Success")).isEqualTo(1.0);
            assertThat(f.host.metric("bind_responses", "result", "Nxrrset")).isEqualTo(1.0);
            assertThat(f.host.metric("bind_responses", "result", "NXDOMAIN")).isEqualTo(1.0);
            assertThat(f.host.metric("bind_responses", "result", "Referral")).isEqualTo(1.0);
            assertThat(f.host.metric("bind_query_errors", "error", "Failure")).isEqualTo(1.0);
            assertThat(f.host.metric("bind_response_rcodes", "rcode", "NOERROR")).isEqualTo(3.0);
            assertThat(f.host.metric("bind_response_rcodes", "rcode", "REFUSED")).isEqualTo(1.0);
            assertThat(f.host.metric("bind_zone_serial", "view", "_default", "zone_name", "example.test"))
                    .isEqualTo(2024010101.0);
        }
    }

    @Test
    void bindFamiliesSwitchOffWithTheDnsKey() throws Exception {
        try (DnsFixture f = DnsFixture.start(dir, DnsFixture.basicYaml())) {
            assertThat(f.host.metric("bind_up")).isEqualTo(1.0);
            assertThat(f.host.reload(DnsFixture.basicYaml().replace("dns:\n", "dns:\n  bind_metrics: false\n")).ok()).isTrue();
            assertThat(f.host.metric("bind_up")).isNaN();
            assertThat(exposition(f)).doesNotContain("bind_up").doesNotContain("bind_zone_serial")
                    .contains("cairn_dns_zone_serial{zone=\"example.test.\"}");
        }
    }

    private static String exposition(DnsFixture f) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new PrometheusTextFormatWriter(false).write(out, f.host.host().metrics().scrape());
        return out.toString(StandardCharsets.UTF_8);
    }
}
