package dev.cairn.metrics.host;

import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Host metrics under node_exporter's names, types, labels and help texts, so that the dashboards
 * built for node_exporter (Grafana "Node Exporter Full", id 1860) work unchanged. Everything is
 * read from /proc (and statfs) during the scrape itself: no background thread, values are as
 * fresh as the scrape.
 *
 * <p>A source that is missing or cannot be parsed drops only its own families from the scrape; it
 * is logged once, at debug. Thread-safe: settings are swapped atomically, scrapes share nothing
 * but the filesystem probe, which serializes itself.
 */
public final class HostCollector implements MultiCollector, AutoCloseable {

    /** The kernel's USER_HZ for /proc/stat, fixed at 100 on every Linux ABI (as node_exporter's procfs assumes). */
    static final double USER_HZ = 100.0;

    /** /proc/diskstats counts "standard UNIX 512-byte sectors" whatever the device's block size. */
    static final double SECTOR_BYTES = 512.0;

    /** /proc/diskstats times are milliseconds. */
    static final double SECONDS_PER_TICK = 1.0 / 1000.0;

    private static final Logger log = LoggerFactory.getLogger(HostCollector.class);
    private static final Pattern MEMINFO_PARENS = Pattern.compile("\\((.*)\\)");
    private static final Pattern INVALID_NAME_CHARS = Pattern.compile("[^a-zA-Z0-9_]");

    /** /proc/stat cpu columns, in order, with node_exporter's mode label. */
    private static final String[] CPU_MODES = {"user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal"};

    /** /proc/net/dev columns, in order, with node_exporter's (non-"detailed") names. */
    private static final String[] NETDEV_KEYS = {
        "receive_bytes", "receive_packets", "receive_errs", "receive_drop",
        "receive_fifo", "receive_frame", "receive_compressed", "receive_multicast",
        "transmit_bytes", "transmit_packets", "transmit_errs", "transmit_drop",
        "transmit_fifo", "transmit_colls", "transmit_carrier", "transmit_compressed",
    };

    /** /proc/diskstats columns after the device name: node_exporter name, help, scale; gauges do not end in _total. */
    private static final Object[][] DISKSTATS = {
        {"node_disk_reads_completed_total", "The total number of reads completed successfully.", 1.0},
        {"node_disk_reads_merged_total", "The total number of reads merged.", 1.0},
        {"node_disk_read_bytes_total", "The total number of bytes read successfully.", SECTOR_BYTES},
        {"node_disk_read_time_seconds_total", "The total number of seconds spent by all reads.", SECONDS_PER_TICK},
        {"node_disk_writes_completed_total", "The total number of writes completed successfully.", 1.0},
        {"node_disk_writes_merged_total", "The number of writes merged.", 1.0},
        {"node_disk_written_bytes_total", "The total number of bytes written successfully.", SECTOR_BYTES},
        {"node_disk_write_time_seconds_total", "This is the total number of seconds spent by all writes.", SECONDS_PER_TICK},
        {"node_disk_io_now", "The number of I/Os currently in progress.", 1.0},
        {"node_disk_io_time_seconds_total", "Total seconds spent doing I/Os.", SECONDS_PER_TICK},
        {"node_disk_io_time_weighted_seconds_total", "The weighted # of seconds spent doing I/Os.", SECONDS_PER_TICK},
        {"node_disk_discards_completed_total", "The total number of discards completed successfully.", 1.0},
        {"node_disk_discards_merged_total", "The total number of discards merged.", 1.0},
        {"node_disk_discarded_sectors_total", "The total number of sectors discarded successfully.", 1.0},
        {"node_disk_discard_time_seconds_total", "This is the total number of seconds spent by all discards.", SECONDS_PER_TICK},
        {"node_disk_flush_requests_total", "The total number of flush requests completed successfully", 1.0},
        {"node_disk_flush_requests_time_seconds_total", "This is the total number of seconds spent by all flush requests.", SECONDS_PER_TICK},
    };

    private static final String[] FILESYSTEM_LABELS = {"device", "fstype", "mountpoint"};

    private final Path proc;
    private final KernelStats kernel;
    private final SysStats sys;
    private final Filesystems filesystems = new Filesystems();
    private final Set<String> reportedSources = ConcurrentHashMap.newKeySet();
    private final List<String> names;
    private volatile boolean enabled = true;
    private volatile HostFilters filters;

    /**
     * @param proc the procfs mount, {@code /proc} on a host; another directory with the same
     *     layout (tests, a container's {@code /host/proc})
     */
    public HostCollector(Path proc, HostFilters filters) {
        this(proc, proc.resolveSibling("sys"), proc.resolveSibling("etc"), filters);
    }

    /**
     * @param sys the sysfs mount ({@code /sys}), for /sys/class/net and the clock sources
     * @param etc where os-release lives ({@code /etc})
     */
    public HostCollector(Path proc, Path sys, Path etc, HostFilters filters) {
        this.proc = proc;
        this.kernel = new KernelStats(proc);
        this.sys = new SysStats(sys, etc);
        this.filters = filters;
        this.names = names();
    }

    /** Turns collection on or off and swaps the filters; takes effect at the next scrape. */
    public void update(boolean enabled, HostFilters filters) {
        this.filters = filters;
        this.enabled = enabled;
    }

    @Override
    public MetricSnapshots collect() {
        if (!enabled) {
            return MetricSnapshots.of();
        }
        Families all = new Families();
        Families scrape = new Families();
        // Collector names are node_exporter's, so that node_scrape_collector_* reads the same.
        read(all, scrape, "cpu", this::cpu);
        read(all, scrape, "stat", this::stat);
        read(all, scrape, "meminfo", this::meminfo);
        read(all, scrape, "loadavg", this::loadavg);
        read(all, scrape, "netdev", this::netdev);
        read(all, scrape, "diskstats", this::diskstats);
        read(all, scrape, "filesystem", f -> filesystem(f, filters));
        read(all, scrape, "uname", this::uname);
        read(all, scrape, "vmstat", kernel::vmstat);
        read(all, scrape, "netstat", kernel::netstat);
        read(all, scrape, "sockstat", kernel::sockstat);
        read(all, scrape, "filefd", kernel::filefd);
        read(all, scrape, "entropy", kernel::entropy);
        read(all, scrape, "pressure", kernel::pressure);
        read(all, scrape, "conntrack", kernel::conntrack);
        read(all, scrape, "arp", kernel::arp);
        read(all, scrape, "softnet", kernel::softnet);
        read(all, scrape, "udp_queues", kernel::udpQueues);
        read(all, scrape, "netclass", sys::netclass);
        read(all, scrape, "os", sys::os);
        read(all, scrape, "time", f -> {
            f.gauge("node_time_seconds", "System time in seconds since epoch (1970).", System.currentTimeMillis() / 1000.0);
            sys.time(f);
        });
        all.addAll(scrape);
        return new MetricSnapshots(all.snapshots());
    }

    /**
     * Every name this collector can expose, so that the registry refuses another module's metric
     * of the same name. The node_memory_* names depend on the kernel and are read once, here;
     * when /proc/meminfo cannot be read the list is empty, which turns the registry's check off
     * rather than letting it skip this collector for a name it does not know.
     */
    @Override
    public List<String> getPrometheusNames() {
        return names;
    }

    @Override
    public void close() {
        filesystems.close();
    }

    private interface Source {
        void readInto(Families families) throws IOException;
    }

    /**
     * Reads one source into its own families, so a failure half-way leaves nothing behind, and
     * records its duration and success as node_exporter's node_scrape_collector_* do.
     */
    private void read(Families all, Families scrape, String collector, Source reader) {
        Families part = new Families();
        long start = System.nanoTime();
        boolean ok;
        try {
            reader.readInto(part);
            all.addAll(part);
            ok = true;
        } catch (IOException | RuntimeException e) {
            ok = false;
            if (reportedSources.add(collector)) {
                log.debug("host metrics: skipping the {} collector under {} (logged once): {}", collector, proc, e.toString());
            }
        }
        scrape.gauge("node_scrape_collector_duration_seconds", "node_exporter: Duration of a collector scrape.",
                (System.nanoTime() - start) / 1e9, "collector", collector);
        scrape.gauge("node_scrape_collector_success", "node_exporter: Whether a collector succeeded.", ok ? 1 : 0,
                "collector", collector);
    }

    private String readProc(String relative) throws IOException {
        return KernelStats.readFully(proc.resolve(relative));
    }

    // /proc/stat cpuN lines: node_exporter's cpu collector (guest and guest_nice are the 9th and 10th columns).
    private void cpu(Families f) throws IOException {
        for (String line : readProc("stat").split("\n")) {
            String[] t = line.trim().split("\\s+");
            if (t.length < 2 || !t[0].startsWith("cpu") || t[0].length() == 3) continue;
            String cpu = t[0].substring(3);
            for (int i = 0; i < CPU_MODES.length && i + 1 < t.length; i++) {
                f.counter("node_cpu_seconds_total", "Seconds the CPUs spent in each mode.",
                        number(t[i + 1]) / USER_HZ, "cpu", cpu, "mode", CPU_MODES[i]);
            }
            if (t.length > 10) {
                f.counter("node_cpu_guest_seconds_total", "Seconds the CPUs spent in guests (VMs) for each mode.",
                        number(t[9]) / USER_HZ, "cpu", cpu, "mode", "user");
                f.counter("node_cpu_guest_seconds_total", "Seconds the CPUs spent in guests (VMs) for each mode.",
                        number(t[10]) / USER_HZ, "cpu", cpu, "mode", "nice");
            }
        }
    }

    // The rest of /proc/stat: node_exporter's stat collector.
    private void stat(Families f) throws IOException {
        for (String line : readProc("stat").split("\n")) {
            String[] t = line.trim().split("\\s+");
            if (t.length < 2) continue;
            String key = t[0];
            if (key.startsWith("cpu")) {
                continue;
            } else {
                switch (key) {
                    case "intr" -> f.counter("node_intr_total", "Total number of interrupts serviced.", number(t[1]));
                    case "ctxt" -> f.counter("node_context_switches_total", "Total number of context switches.", number(t[1]));
                    case "btime" -> f.gauge("node_boot_time_seconds", "Node boot time, in unixtime.", number(t[1]));
                    case "processes" -> f.counter("node_forks_total", "Total number of forks.", number(t[1]));
                    case "procs_running" -> f.gauge("node_procs_running", "Number of processes in runnable state.", number(t[1]));
                    case "procs_blocked" -> f.gauge("node_procs_blocked",
                            "Number of processes blocked waiting for I/O to complete.", number(t[1]));
                    default -> {
                        // softirq, cpu (the sum over CPUs): not exported, as node_exporter by default.
                    }
                }
            }
        }
    }

    // /proc/meminfo: "MemTotal:  24684084 kB" -> node_memory_MemTotal_bytes; "HugePages_Total: 0" -> node_memory_HugePages_Total.
    private void meminfo(Families f) throws IOException {
        for (String line : readProc("meminfo").split("\n")) {
            String name = meminfoName(line);
            if (name == null) continue;
            String[] t = line.substring(line.indexOf(':') + 1).trim().split("\\s+");
            double value = number(t[0]) * (t.length > 1 && t[1].equals("kB") ? 1024 : 1);
            f.gauge(name, "Memory information field " + name.substring("node_memory_".length()) + ".", value);
        }
    }

    /** The node_exporter name of a /proc/meminfo line, or null for a line that is not a field. */
    static String meminfoName(String line) {
        int colon = line.indexOf(':');
        if (colon <= 0) return null;
        String key = MEMINFO_PARENS.matcher(line.substring(0, colon).trim()).replaceAll("_$1");
        key = INVALID_NAME_CHARS.matcher(key).replaceAll("_");
        return "node_memory_" + key + (line.trim().endsWith(" kB") ? "_bytes" : "");
    }

    private void loadavg(Families f) throws IOException {
        String[] t = readProc("loadavg").trim().split("\\s+");
        f.gauge("node_load1", "1m load average.", number(t[0]));
        f.gauge("node_load5", "5m load average.", number(t[1]));
        f.gauge("node_load15", "15m load average.", number(t[2]));
    }

    private void netdev(Families f) throws IOException {
        for (String line : readProc("net/dev").split("\n")) {
            int colon = line.indexOf(':');
            if (colon < 0 || line.contains("|")) continue;
            String device = line.substring(0, colon).trim();
            String[] t = line.substring(colon + 1).trim().split("\\s+");
            for (int i = 0; i < NETDEV_KEYS.length && i < t.length; i++) {
                f.counter("node_network_" + NETDEV_KEYS[i] + "_total", "Network device statistic " + NETDEV_KEYS[i] + ".",
                        number(t[i]), "device", device);
            }
        }
    }

    private void diskstats(Families f) throws IOException {
        HostFilters current = filters;
        for (String line : readProc("diskstats").split("\n")) {
            String[] t = line.trim().split("\\s+");
            if (t.length < 4) continue;
            String device = t[2];
            if (current.excludesDisk(device)) continue;
            for (int i = 0; i < DISKSTATS.length && i + 3 < t.length; i++) {
                String name = (String) DISKSTATS[i][0];
                String help = (String) DISKSTATS[i][1];
                double value = number(t[i + 3]) * (double) DISKSTATS[i][2];
                if (name.endsWith("_total")) {
                    f.counter(name, help, value, "device", device);
                } else {
                    f.gauge(name, help, value, "device", device);
                }
            }
        }
    }

    private void filesystem(Families f, HostFilters current) throws IOException {
        List<Filesystems.Mount> mounts = new ArrayList<>();
        for (Filesystems.Mount m : Filesystems.parseMounts(readProc("self/mounts"))) {
            if (!current.excludesMount(m.mountPoint(), m.fsType())) {
                mounts.add(m);
            }
        }
        for (Map.Entry<Filesystems.Mount, Filesystems.Statfs> e : filesystems.statfs(mounts).entrySet()) {
            Filesystems.Mount m = e.getKey();
            Filesystems.Statfs s = e.getValue();
            String[] labels = {
                FILESYSTEM_LABELS[0], m.device(), FILESYSTEM_LABELS[1], m.fsType(), FILESYSTEM_LABELS[2], m.mountPoint(),
            };
            f.gauge("node_filesystem_device_error",
                    "Whether an error occurred while getting statistics for the given device.", s == null ? 1 : 0, labels);
            f.gauge("node_filesystem_readonly", "Filesystem read-only status.", m.readOnly() ? 1 : 0, labels);
            if (s == null) continue;
            f.gauge("node_filesystem_size_bytes", "Filesystem size in bytes.", s.blocks() * s.blockSize(), labels);
            f.gauge("node_filesystem_free_bytes", "Filesystem free space in bytes.", s.blocksFree() * s.blockSize(), labels);
            f.gauge("node_filesystem_avail_bytes", "Filesystem space available to non-root users in bytes.",
                    s.blocksAvailable() * s.blockSize(), labels);
            f.gauge("node_filesystem_files", "Filesystem total file nodes.", s.files(), labels);
            f.gauge("node_filesystem_files_free", "Filesystem total free file nodes.", s.filesFree(), labels);
        }
    }

    // uname(2) without native code: the kernel publishes the same strings under /proc/sys/kernel.
    private void uname(Families f) throws IOException {
        String machine;
        try {
            machine = readProc("sys/kernel/arch").trim();
        } catch (IOException e) {
            machine = machineFromJavaArch(System.getProperty("os.arch", ""));
        }
        f.info("node_uname_info", "Labeled system information as provided by the uname system call.",
                "sysname", readProc("sys/kernel/ostype").trim(),
                "release", readProc("sys/kernel/osrelease").trim(),
                "version", readProc("sys/kernel/version").trim(),
                "machine", machine,
                "nodename", readProc("sys/kernel/hostname").trim(),
                "domainname", readProc("sys/kernel/domainname").trim());
    }

    /** uname -m for kernels older than 6.1 that have no /proc/sys/kernel/arch. */
    static String machineFromJavaArch(String osArch) {
        return switch (osArch.toLowerCase(Locale.ROOT)) {
            case "amd64", "x86_64" -> "x86_64";
            case "x86", "i386", "i686" -> "i686";
            case "arm64", "aarch64" -> "aarch64";
            default -> osArch;
        };
    }

    /** Parses a counter that may exceed a signed long (uint64 in the kernel). */
    private static double number(String token) {
        return Double.parseDouble(token);
    }

    /** The fixed names, and every name the first scrape found (meminfo, vmstat, netstat fields depend on the kernel). */
    private List<String> names() {
        List<String> exposed = new ArrayList<>(List.of(
                "node_cpu_seconds_total", "node_cpu_guest_seconds_total", "node_intr_total", "node_context_switches_total",
                "node_boot_time_seconds", "node_forks_total", "node_procs_running", "node_procs_blocked",
                "node_load1", "node_load5", "node_load15",
                "node_filesystem_device_error", "node_filesystem_readonly", "node_filesystem_size_bytes",
                "node_filesystem_free_bytes", "node_filesystem_avail_bytes", "node_filesystem_files",
                "node_filesystem_files_free", "node_uname_info", "node_time_seconds",
                "node_scrape_collector_duration_seconds", "node_scrape_collector_success"));
        for (String key : NETDEV_KEYS) {
            exposed.add("node_network_" + key + "_total");
        }
        for (Object[] d : DISKSTATS) {
            exposed.add((String) d[0]);
        }
        List<String> registered = new ArrayList<>(exposed.stream().map(Families::registeredName).toList());
        try {
            collect().stream().forEach(snapshot -> registered.add(snapshot.getMetadata().getName()));
        } catch (RuntimeException e) {
            return List.of();
        }
        return registered.stream().distinct().toList();
    }
}
