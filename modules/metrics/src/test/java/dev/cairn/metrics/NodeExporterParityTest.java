package dev.cairn.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.core.testing.Exporters;
import dev.cairn.core.testing.Exporters.Family;
import dev.cairn.core.testing.TestHost;
import dev.cairn.spi.config.HostPort;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Cairn's host metrics against the real node_exporter (Debian's prometheus-node-exporter, default
 * collectors) run on the same machine at the same moment: every node_* family Cairn serves must be
 * one node_exporter serves, with the same type and label names, and every family node_exporter
 * serves here must be one Cairn serves unless it is listed in {@link #NOT_SERVED} with the reason.
 */
class NodeExporterParityTest {

    /**
     * node_exporter families Cairn does not serve, and why. Everything else node_exporter serves on
     * this machine Cairn serves too (the test fails on a family that is in neither).
     */
    private static final Map<String, String> NOT_SERVED = Map.ofEntries(
            Map.entry("^node_timex_", "adjtimex(2) is a system call; the JVM has no way to make it without native code"),
            Map.entry("^node_exporter_build_info$", "node_exporter's own build; Cairn has cairn_build_info"),
            Map.entry("^node_disk_info$", "model/serial/wwn come from udev's database (/run/udev/data), not /proc"),
            Map.entry("^node_nf_conntrack_stat_", "per-CPU /proc/net/stat/nf_conntrack; the entries and limit are served"),
            Map.entry("^node_selinux_", "needs libselinux"),
            Map.entry("^node_textfile_", "Cairn has no textfile collector"),
            Map.entry("^node_(hwmon|thermal_zone|cooling_device|power_supply|rapl|edac|nvme|bonding|infiniband|ipvs"
                    + "|md|mdadm|nfs|nfsd|xfs|zfs|btrfs|fibrechannel|tape|bcache|dmi|cpu_scaling|cpu_frequency|cpu_core"
                    + "|cpu_package|cpu_info|schedstat|watchdog|hwmon_chip|softirqs|interrupts)_",
                    "hardware and subsystems that this machine may not have; not claimed by Cairn"),
            Map.entry("^node_(memory_numa|zoneinfo|ksmd|processes|systemd|network_(receive|transmit)_nohandler)",
                    "collectors off by default in node_exporter, or fields not in /proc/net/dev's 16 columns"));

    @TempDir
    static Path dir;

    private static MetricsModule module;
    private static Exporters.Incumbent nodeExporter;
    private static Map<String, Family> cairn;
    private static Map<String, Family> incumbent;
    private static String cairnText;
    private static String incumbentText;

    @BeforeAll
    static void scrapeBoth() throws Exception {
        int port = TestHost.freePort();
        String url = "http://127.0.0.1:" + port + "/metrics";
        nodeExporter = Exporters.Incumbent.start(dir, url, "prometheus-node-exporter",
                "--web.listen-address=127.0.0.1:" + port);
        module = new MetricsModule();
        module.start(MetricsConfig.defaults().withListen(HostPort.parse("127.0.0.1:0")),
                new TestModuleContext(new PrometheusRegistry(), dir));
        incumbentText = Exporters.scrape(url);
        cairnText = Exporters.scrape("http://127.0.0.1:" + module.boundPort() + "/metrics");
        cairn = Exporters.families(cairnText);
        incumbent = Exporters.families(incumbentText);
    }

    @AfterAll
    static void stop() {
        if (module != null) module.stop();
        if (nodeExporter != null) nodeExporter.close();
    }

    @Test
    void everyNodeFamilyCairnServesHasNodeExportersTypeAndLabelNames() {
        List<String> mismatches = new ArrayList<>();
        for (String name : Exporters.namesWithPrefix(cairn, "node_")) {
            Family mine = cairn.get(name);
            Family theirs = incumbent.get(name);
            if (theirs == null) {
                mismatches.add(name + ": node_exporter does not serve it");
            } else if (!mine.equals(theirs)) {
                mismatches.add(name + ": Cairn " + mine.type() + " " + mine.labels() + ", node_exporter " + theirs.type()
                        + " " + theirs.labels());
            }
        }
        assertThat(mismatches).isEmpty();
        assertThat(Exporters.namesWithPrefix(cairn, "node_")).hasSizeGreaterThan(150);
    }

    @Test
    void everyFamilyNodeExporterServesHereIsServedOrListedWithAReason() {
        List<String> missing = new ArrayList<>();
        for (String name : Exporters.namesWithPrefix(incumbent, "node_")) {
            if (cairn.containsKey(name)) continue;
            if (NOT_SERVED.keySet().stream().anyMatch(p -> Pattern.compile(p).matcher(name).find())) continue;
            missing.add(name);
        }
        assertThat(missing).as("node_exporter families neither served nor listed in NOT_SERVED").isEmpty();
    }

    @Test
    void theFamiliesTheIssueNamesAreServedWithTheSameValuesWhereTheyCannotDiffer() {
        assertThat(cairn).containsKeys("node_uname_info", "node_boot_time_seconds", "node_time_seconds",
                "node_filesystem_avail_bytes", "node_network_receive_bytes_total", "node_network_up",
                "node_network_mtu_bytes", "node_vmstat_pgfault", "node_netstat_Tcp_InSegs", "node_sockstat_sockets_used",
                "node_filefd_maximum", "node_cpu_seconds_total", "node_memory_MemAvailable_bytes",
                "node_scrape_collector_success");
        // Present where the kernel has them (disk stats are empty in some containers).
        if (incumbent.containsKey("node_disk_io_time_seconds_total")) {
            assertThat(cairn).containsKey("node_disk_io_time_seconds_total");
        }
        assertThat(sample(cairnText, "node_uname_info")).isEqualTo(sample(incumbentText, "node_uname_info"));
        assertThat(sample(cairnText, "node_os_info")).isEqualTo(sample(incumbentText, "node_os_info"));
        assertThat(value(cairnText, "node_boot_time_seconds")).isEqualTo(value(incumbentText, "node_boot_time_seconds"));
        assertThat(value(cairnText, "node_filefd_maximum")).isEqualTo(value(incumbentText, "node_filefd_maximum"));
        assertThat(value(cairnText, "node_network_mtu_bytes{device=\"lo\"}"))
                .isEqualTo(value(incumbentText, "node_network_mtu_bytes{device=\"lo\"}"));
        assertThat(value(cairnText, "node_time_seconds")).isCloseTo(value(incumbentText, "node_time_seconds"),
                org.assertj.core.data.Offset.offset(30.0));
    }

    /** The labels part of the first sample line of {@code series}. */
    private static String sample(String text, String series) {
        return text.lines().filter(l -> l.startsWith(series + "{") || l.startsWith(series + " ")).findFirst()
                .map(l -> l.substring(0, l.lastIndexOf(' ')))
                .orElseThrow(() -> new AssertionError("no " + series + " in the exposition"));
    }

    private static double value(String text, String series) {
        return text.lines().filter(l -> l.startsWith(series + " ")).findFirst()
                .map(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
                .orElseThrow(() -> new AssertionError("no " + series + " in the exposition"));
    }
}
