package dev.cairn.metrics.host;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.metrics.MetricsConfig;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The host collector against a procfs written by the test, so that values and edge cases are
 * known exactly. statfs still runs for real, on "/" and on a mount point that does not exist.
 */
class HostCollectorTest {

    private static final HostFilters DEFAULTS = HostFilters.compile(MetricsConfig.DEFAULT_MOUNT_POINTS_EXCLUDE,
            MetricsConfig.DEFAULT_FS_TYPES_EXCLUDE, MetricsConfig.DEFAULT_DISK_DEVICES_EXCLUDE);

    @TempDir
    Path proc;

    private HostCollector collector;

    @BeforeEach
    void writeProc() throws IOException {
        write("stat", """
                cpu  300 20 100 5000 40 0 7 0 0 0
                cpu0 100 10 50 2500 20 0 3 0 0 0
                cpu1 200 10 50 2500 20 0 4 0 0 0
                intr 123456 0 9 0 0
                ctxt 987654
                btime 1700000000
                processes 4242
                procs_running 3
                procs_blocked 1
                softirq 1 0 0 0 0 0 0 0 0 0 0
                """);
        write("meminfo", """
                MemTotal:       16384000 kB
                MemFree:         1024000 kB
                MemAvailable:    8192000 kB
                Buffers:           10240 kB
                Cached:          2048000 kB
                Active(anon):     512000 kB
                SwapTotal:             0 kB
                SwapFree:              0 kB
                HugePages_Total:       0
                Hugepagesize:       2048 kB
                """);
        write("loadavg", "0.50 1.25 2.00 2/345 6789\n");
        write("net/dev", """
                Inter-|   Receive                                                |  Transmit
                 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
                    lo: 1000      10    0    0    0     0          0         0     1000      10    0    0    0     0       0          0
                  eth0: 18446744073709551615 20 1 2 3 4 5 6 2000 30 7 8 9 10 11 12
                """);
        write("diskstats", """
                   7       0 loop0 1 0 8 0 0 0 0 0 0 0 0
                 254       0 vda 100 5 2048 300 50 6 4096 700 0 400 1000 1 2 3 4 5 6
                 254       1 vda1 90 5 2000 290 40 6 4000 690 0 390 990
                   8       0 sda 10 0 80 20 5 0 40 10 2 30 30
                """);
        write("self/mounts", """
                proc /proc proc rw,nosuid 0 0
                /dev/vda / ext4 rw,relatime 0 0
                /dev/vda / ext4 rw,relatime 0 0
                tmpfs /run/my\\040mount tmpfs ro,nosuid 0 0
                cgroup2 /sys/fs/cgroup cgroup2 rw 0 0
                overlay /var/lib/docker/overlay2/abc/merged overlay rw 0 0
                """);
        write("sys/kernel/ostype", "Linux\n");
        write("sys/kernel/osrelease", "6.1.0-test\n");
        write("sys/kernel/version", "#1 SMP PREEMPT_DYNAMIC Debian 6.1.0 (2024-01-01)\n");
        write("sys/kernel/hostname", "node-a\n");
        write("sys/kernel/domainname", "(none)\n");
        write("sys/kernel/arch", "x86_64\n");
        collector = new HostCollector(proc, DEFAULTS);
    }

    @AfterEach
    void close() {
        collector.close();
    }

    @Test
    void cpuAndKernelCountersAreScaledAsNodeExporter() throws IOException {
        String text = scrape();

        assertThat(text).contains(
                "# HELP node_cpu_seconds_total Seconds the CPUs spent in each mode.\n"
                        + "# TYPE node_cpu_seconds_total counter\n",
                "node_cpu_seconds_total{cpu=\"0\",mode=\"user\"} 1.0\n",
                "node_cpu_seconds_total{cpu=\"1\",mode=\"idle\"} 25.0\n",
                "node_cpu_seconds_total{cpu=\"1\",mode=\"softirq\"} 0.04\n",
                "node_intr_total 123456.0\n",
                "node_context_switches_total 987654.0\n",
                "node_forks_total 4242.0\n",
                "# TYPE node_boot_time_seconds gauge\nnode_boot_time_seconds 1.7E9\n",
                "node_procs_running 3.0\n",
                "node_procs_blocked 1.0\n",
                "node_load1 0.5\n", "node_load5 1.25\n", "node_load15 2.0\n");
        assertThat(text).doesNotContain("cpu=\"\"").doesNotContain("softirqs");
    }

    @Test
    void meminfoFollowsNodeExporterNaming() throws IOException {
        String text = scrape();

        assertThat(text).contains(
                "# HELP node_memory_MemTotal_bytes Memory information field MemTotal_bytes.\n"
                        + "# TYPE node_memory_MemTotal_bytes gauge\n"
                        + "node_memory_MemTotal_bytes 1.6777216E10\n",
                "node_memory_Active_anon_bytes 5.24288E8\n",
                "node_memory_HugePages_Total 0.0\n",
                "node_memory_Hugepagesize_bytes 2097152.0\n");
        assertThat(collector.getPrometheusNames()).contains("node_memory_MemTotal_bytes", "node_cpu_seconds");
    }

    @Test
    void networkAndDiskCountersKeepNodeExporterNamesAndExcludes() throws IOException {
        String text = scrape();

        assertThat(text).contains(
                "# HELP node_network_receive_bytes_total Network device statistic receive_bytes.\n",
                "node_network_receive_bytes_total{device=\"eth0\"} 1.8446744073709552E19\n",
                "node_network_receive_errs_total{device=\"eth0\"} 1.0\n",
                "node_network_receive_drop_total{device=\"eth0\"} 2.0\n",
                "node_network_transmit_packets_total{device=\"eth0\"} 30.0\n",
                "node_network_transmit_colls_total{device=\"eth0\"} 10.0\n",
                "node_network_transmit_compressed_total{device=\"eth0\"} 12.0\n",
                "node_disk_read_bytes_total{device=\"vda\"} 1048576.0\n",
                "node_disk_written_bytes_total{device=\"vda\"} 2097152.0\n",
                "node_disk_reads_completed_total{device=\"vda\"} 100.0\n",
                "node_disk_writes_completed_total{device=\"vda\"} 50.0\n",
                "node_disk_io_time_seconds_total{device=\"vda\"} 0.4\n",
                "node_disk_read_time_seconds_total{device=\"vda\"} 0.3\n",
                "node_disk_discards_completed_total{device=\"vda\"} 1.0\n",
                "node_disk_flush_requests_total{device=\"vda\"} 5.0\n",
                "# TYPE node_disk_io_now gauge\n",
                "node_disk_io_now{device=\"sda\"} 2.0\n");
        // Partitions and loop devices are node_exporter's default ignored devices; an older
        // kernel's 11-column line (sda) has no discard or flush series.
        assertThat(text).doesNotContain("device=\"vda1\"").doesNotContain("device=\"loop0\"")
                .doesNotContain("node_disk_discards_completed_total{device=\"sda\"}");
    }

    @Test
    void filesystemsAreStatfsedWithDefaultExcludes() throws IOException {
        String text = scrape();

        assertThat(text).containsPattern(
                "node_filesystem_size_bytes\\{device=\"/dev/vda\",fstype=\"ext4\",mountpoint=\"/\"} [0-9.E]+\n");
        assertThat(text).contains(
                "node_filesystem_device_error{device=\"/dev/vda\",fstype=\"ext4\",mountpoint=\"/\"} 0.0\n",
                "node_filesystem_readonly{device=\"/dev/vda\",fstype=\"ext4\",mountpoint=\"/\"} 0.0\n",
                // \040 decoded; the mount point does not exist here, so statfs fails for it alone.
                "node_filesystem_device_error{device=\"tmpfs\",fstype=\"tmpfs\",mountpoint=\"/run/my mount\"} 1.0\n",
                "node_filesystem_readonly{device=\"tmpfs\",fstype=\"tmpfs\",mountpoint=\"/run/my mount\"} 1.0\n");
        assertThat(text).doesNotContain("mountpoint=\"/proc\"").doesNotContain("cgroup2")
                .doesNotContain("/var/lib/docker").doesNotContain("node_filesystem_size_bytes{device=\"tmpfs\"");
    }

    @Test
    void unameAndTimeAreExported() throws IOException {
        String text = scrape();

        assertThat(text).contains("# TYPE node_uname_info gauge\n",
                "node_uname_info{domainname=\"(none)\",machine=\"x86_64\",nodename=\"node-a\",release=\"6.1.0-test\","
                        + "sysname=\"Linux\",version=\"#1 SMP PREEMPT_DYNAMIC Debian 6.1.0 (2024-01-01)\"} 1\n",
                "# HELP node_time_seconds System time in seconds since epoch (1970).\n");
    }

    @Test
    void aMissingOrBrokenSourceDropsOnlyItsOwnFamilies() throws IOException {
        Files.delete(proc.resolve("diskstats"));
        write("loadavg", "garbage\n");
        Files.delete(proc.resolve("sys/kernel/arch"));

        String text = scrape();

        assertThat(text).doesNotContain("node_disk_").doesNotContain("node_load");
        assertThat(text).contains("node_cpu_seconds_total", "node_memory_MemTotal_bytes",
                "node_network_receive_bytes_total", "node_filesystem_size_bytes", "node_time_seconds");
        // Without /proc/sys/kernel/arch (kernels before 6.1) the machine comes from os.arch.
        assertThat(text).containsPattern("node_uname_info\\{[^}]*machine=\"[^\"]+\"");
        // The next scrape reads again and fails the same way, without throwing.
        assertThat(scrape()).contains("node_cpu_seconds_total").doesNotContain("node_load");
    }

    @Test
    void disabledCollectsNothingAndFiltersSwapAtRuntime() throws IOException {
        collector.update(false, DEFAULTS);
        assertThat(collector.collect().size()).isZero();

        collector.update(true, HostFilters.compile("^/$", "^$", "^(sda|loop0)$"));
        String text = scrape();
        assertThat(text).doesNotContain("mountpoint=\"/\"").contains("mountpoint=\"/proc\"")
                .contains("device=\"vda1\"").doesNotContain("device=\"sda\"");
    }

    @Test
    void mountFieldsAreUnescaped() {
        assertThat(Filesystems.unescape("/mnt/a\\040b\\011c\\134d")).isEqualTo("/mnt/a b\tc\\d");
        List<Filesystems.Mount> mounts = Filesystems.parseMounts("""
                /dev/sda1 /data ext4 ro,noatime 0 0
                /dev/sda1 /data ext4 rw 0 0
                """);
        assertThat(mounts).containsExactly(new Filesystems.Mount("/dev/sda1", "/data", "ext4", true));
    }

    private String scrape() throws IOException {
        MetricSnapshots snapshots = collector.collect();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new PrometheusTextFormatWriter(false).write(out, snapshots);
        return out.toString(StandardCharsets.UTF_8);
    }

    private void write(String relative, String content) throws IOException {
        Path p = proc.resolve(relative);
        Files.createDirectories(p.getParent());
        Files.writeString(p, content);
    }
}
