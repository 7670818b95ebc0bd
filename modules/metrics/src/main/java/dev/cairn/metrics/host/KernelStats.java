package dev.cairn.metrics.host;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * node_exporter's vmstat, netstat, sockstat, filefd, entropy, pressure, conntrack, arp, softnet and
 * udp_queues collectors, read from /proc with node_exporter's names, types, labels and default
 * field filters (1.5). Stateless; every method reads its files once per call.
 */
final class KernelStats {

    /** node_exporter's {@code --collector.vmstat.fields} default. */
    static final Pattern VMSTAT_FIELDS = Pattern.compile("^(oom_kill|pgpg|pswp|pg.*fault).*");

    /** node_exporter's {@code --collector.netstat.fields} default. */
    static final Pattern NETSTAT_FIELDS = Pattern.compile("^(.*_(InErrors|InErrs)|Ip_Forwarding|Ip(6|Ext)_(InOctets|OutOctets)"
            + "|Icmp6?_(InMsgs|OutMsgs)|TcpExt_(Listen.*|Syncookies.*|TCPSynRetrans|TCPTimeouts)"
            + "|Tcp_(ActiveOpens|InSegs|OutSegs|OutRsts|PassiveOpens|RetransSegs|CurrEstab)"
            + "|Udp6?_(InDatagrams|OutDatagrams|NoPorts|RcvbufErrors|SndbufErrors))$");

    private static final double MICROS = 1e-6;

    private final Path proc;
    private volatile long pageSize;

    KernelStats(Path proc) {
        this.proc = proc;
    }

    private String read(String relative) throws IOException {
        return readFully(proc.resolve(relative));
    }

    /**
     * The whole file. Not {@code Files.readString}: for a /proc/sys file (size 0) it returns the
     * first byte only on Java 17 ("845\t0\t2466093" read as "8").
     */
    static String readFully(Path p) throws IOException {
        try (var in = Files.newInputStream(p)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    // /proc/vmstat: "pgfault 123" -> node_vmstat_pgfault, untyped as in node_exporter.
    void vmstat(Families f) throws IOException {
        for (String line : read("vmstat").split("\n")) {
            String[] t = line.trim().split("\\s+");
            if (t.length != 2 || !VMSTAT_FIELDS.matcher(t[0]).find()) continue;
            f.untyped("node_vmstat_" + t[0], "/proc/vmstat information field " + t[0] + ".", Double.parseDouble(t[1]));
        }
    }

    // /proc/net/netstat and /proc/net/snmp: header line + value line per protocol; /proc/net/snmp6: "Ip6InOctets 12".
    void netstat(Families f) throws IOException {
        Map<String, String> fields = new LinkedHashMap<>();
        pairs(read("net/netstat"), fields);
        pairs(read("net/snmp"), fields);
        Path snmp6 = proc.resolve("net/snmp6");
        if (Files.exists(snmp6)) {
            for (String line : readFully(snmp6).split("\n")) {
                String[] t = line.trim().split("\\s+");
                if (t.length != 2) continue;
                int six = t[0].indexOf('6');
                if (six < 0) continue;
                fields.put(t[0].substring(0, six + 1) + "_" + t[0].substring(six + 1), t[1]);
            }
        }
        fields.forEach((key, value) -> {
            if (!NETSTAT_FIELDS.matcher(key).find()) return;
            f.untyped("node_netstat_" + key, "Statistic " + key.replace("_", "") + ".", Double.parseDouble(value));
        });
    }

    private static void pairs(String text, Map<String, String> into) {
        String[] lines = text.split("\n");
        for (int i = 0; i + 1 < lines.length; i += 2) {
            String[] names = lines[i].trim().split("\\s+");
            String[] values = lines[i + 1].trim().split("\\s+");
            if (names.length != values.length || names.length < 2) continue;
            String protocol = names[0].substring(0, names[0].length() - 1);
            for (int j = 1; j < names.length; j++) {
                into.put(protocol + "_" + names[j], values[j]);
            }
        }
    }

    // /proc/net/sockstat(6): "TCP: inuse 5 orphan 0 tw 1 alloc 7 mem 2" -> node_sockstat_TCP_inuse ...; mem is pages.
    void sockstat(Families f) throws IOException {
        sockstatFile(f, read("net/sockstat"));
        Path v6 = proc.resolve("net/sockstat6");
        if (Files.exists(v6)) {
            sockstatFile(f, readFully(v6));
        }
    }

    private void sockstatFile(Families f, String text) throws IOException {
        for (String line : text.split("\n")) {
            int colon = line.indexOf(':');
            if (colon < 0) continue;
            String protocol = line.substring(0, colon).trim();
            String[] t = line.substring(colon + 1).trim().split("\\s+");
            for (int i = 0; i + 1 < t.length; i += 2) {
                String name = protocol.equals("sockets") ? "node_sockstat_sockets_" + t[i] : "node_sockstat_" + protocol + "_" + t[i];
                double value = Double.parseDouble(t[i + 1]);
                f.gauge(name, "Number of " + protocol + " sockets in state " + t[i] + ".", value);
                if (t[i].equals("mem") && !protocol.startsWith("FRAG")) {
                    f.gauge(name + "_bytes", "Number of " + protocol + " sockets in state mem_bytes.", value * pageSize());
                }
            }
        }
    }

    /** The kernel's page size, from the first KernelPageSize of /proc/self/smaps (4 KiB when unreadable). */
    private long pageSize() throws IOException {
        long p = pageSize;
        if (p > 0) return p;
        p = 4096;
        Path smaps = proc.resolve("self/smaps");
        if (Files.exists(smaps)) {
            try (var lines = Files.lines(smaps, StandardCharsets.UTF_8)) {
                p = lines.filter(l -> l.startsWith("KernelPageSize:")).findFirst()
                        .map(l -> Long.parseLong(l.substring(15).trim().split("\\s+")[0]) * 1024).orElse(4096L);
            } catch (RuntimeException e) {
                p = 4096;
            }
        }
        pageSize = p;
        return p;
    }

    // /proc/sys/fs/file-nr: "allocated unused maximum".
    void filefd(Families f) throws IOException {
        String[] t = read("sys/fs/file-nr").trim().split("\\s+");
        f.gauge("node_filefd_allocated", "File descriptor statistics: allocated.", Double.parseDouble(t[0]));
        f.gauge("node_filefd_maximum", "File descriptor statistics: maximum.", Double.parseDouble(t[2]));
    }

    void entropy(Families f) throws IOException {
        f.gauge("node_entropy_available_bits", "Bits of available entropy.",
                Double.parseDouble(read("sys/kernel/random/entropy_avail").trim()));
        f.gauge("node_entropy_pool_size_bits", "Bits of entropy pool.",
                Double.parseDouble(read("sys/kernel/random/poolsize").trim()));
    }

    // /proc/pressure/{cpu,io,memory}: "some avg10=0.00 avg60=0.00 avg300=0.00 total=123" (microseconds).
    void pressure(Families f) throws IOException {
        Map<String, Double> cpu = psi(read("pressure/cpu"));
        Map<String, Double> io = psi(read("pressure/io"));
        Map<String, Double> memory = psi(read("pressure/memory"));
        f.counter("node_pressure_cpu_waiting_seconds_total", "Total time in seconds that processes have waited for CPU time",
                cpu.getOrDefault("some", 0.0));
        f.counter("node_pressure_io_waiting_seconds_total", "Total time in seconds that processes have waited due to IO congestion",
                io.getOrDefault("some", 0.0));
        f.counter("node_pressure_io_stalled_seconds_total", "Total time in seconds no process could make progress due to IO congestion",
                io.getOrDefault("full", 0.0));
        f.counter("node_pressure_memory_waiting_seconds_total", "Total time in seconds that processes have waited for memory",
                memory.getOrDefault("some", 0.0));
        f.counter("node_pressure_memory_stalled_seconds_total", "Total time in seconds no process could make progress due to memory congestion",
                memory.getOrDefault("full", 0.0));
    }

    private static Map<String, Double> psi(String text) {
        Map<String, Double> totals = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            String[] t = line.trim().split("\\s+");
            for (String kv : t) {
                if (kv.startsWith("total=")) totals.put(t[0], Double.parseDouble(kv.substring(6)) * MICROS);
            }
        }
        return totals;
    }

    void conntrack(Families f) throws IOException {
        f.gauge("node_nf_conntrack_entries", "Number of currently allocated flow entries for connection tracking.",
                Double.parseDouble(read("sys/net/netfilter/nf_conntrack_count").trim()));
        f.gauge("node_nf_conntrack_entries_limit", "Maximum size of connection tracking table.",
                Double.parseDouble(read("sys/net/netfilter/nf_conntrack_max").trim()));
    }

    // /proc/net/arp: a header, then "IP HWtype Flags HWaddress Mask Device" per entry.
    void arp(Families f) throws IOException {
        Map<String, Integer> perDevice = new LinkedHashMap<>();
        String[] lines = read("net/arp").split("\n");
        for (int i = 1; i < lines.length; i++) {
            String[] t = lines[i].trim().split("\\s+");
            if (t.length < 6) continue;
            perDevice.merge(t[5], 1, Integer::sum);
        }
        perDevice.forEach((device, n) -> f.gauge("node_arp_entries", "ARP entries by device", n, "device", device));
    }

    // /proc/net/softnet_stat: one line per CPU, hexadecimal columns processed, dropped, time_squeeze.
    void softnet(Families f) throws IOException {
        String[] lines = read("net/softnet_stat").split("\n");
        for (int cpu = 0; cpu < lines.length; cpu++) {
            String[] t = lines[cpu].trim().split("\\s+");
            if (t.length < 3) continue;
            String c = Integer.toString(cpu);
            f.counter("node_softnet_processed_total", "Number of processed packets", Long.parseLong(t[0], 16), "cpu", c);
            f.counter("node_softnet_dropped_total", "Number of dropped packets", Long.parseLong(t[1], 16), "cpu", c);
            f.counter("node_softnet_times_squeezed_total", "Number of times processing packets ran out of quota",
                    Long.parseLong(t[2], 16), "cpu", c);
        }
    }

    // /proc/net/udp(6): the tx_queue:rx_queue column (hexadecimal bytes), summed per file.
    void udpQueues(Families f) throws IOException {
        udpQueues(f, read("net/udp"), "v4");
        Path v6 = proc.resolve("net/udp6");
        if (Files.exists(v6)) {
            udpQueues(f, readFully(v6), "v6");
        }
    }

    private static void udpQueues(Families f, String text, String ip) {
        long tx = 0;
        long rx = 0;
        String[] lines = text.split("\n");
        for (int i = 1; i < lines.length; i++) {
            String[] t = lines[i].trim().split("\\s+");
            if (t.length < 5) continue;
            String[] q = t[4].split(":");
            tx += Long.parseLong(q[0], 16);
            rx += Long.parseLong(q[1], 16);
        }
        f.gauge("node_udp_queues", "Number of allocated memory in the kernel for UDP datagrams in bytes.", tx, "ip", ip, "queue", "tx");
        f.gauge("node_udp_queues", "Number of allocated memory in the kernel for UDP datagrams in bytes.", rx, "ip", ip, "queue", "rx");
    }
}
