package dev.cairn.metrics.host;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TimeZone;

/**
 * node_exporter's netclass (/sys/class/net), os (/etc/os-release) and time (clock sources, time
 * zone) collectors, with its names, types and labels. Stateless.
 */
final class SysStats {

    /** /sys/class/net/DEV files exported as one gauge each, as node_exporter's netclass collector. */
    private static final String[][] NETCLASS_GAUGES = {
        {"addr_assign_type", "node_network_address_assign_type"},
        {"carrier", "node_network_carrier"},
        {"dev_id", "node_network_device_id"},
        {"dormant", "node_network_dormant"},
        {"flags", "node_network_flags"},
        {"ifindex", "node_network_iface_id"},
        {"iflink", "node_network_iface_link"},
        {"link_mode", "node_network_iface_link_mode"},
        {"mtu", "node_network_mtu_bytes"},
        {"name_assign_type", "node_network_name_assign_type"},
        {"netdev_group", "node_network_net_dev_group"},
        {"tx_queue_len", "node_network_transmit_queue_length"},
        {"type", "node_network_protocol_type"},
    };

    private static final String[][] NETCLASS_COUNTERS = {
        {"carrier_changes", "node_network_carrier_changes_total"},
        {"carrier_up_count", "node_network_carrier_up_changes_total"},
        {"carrier_down_count", "node_network_carrier_down_changes_total"},
    };

    private static final String[] OS_INFO_LABELS = {"build_id", "id", "id_like", "image_id", "image_version", "name",
        "pretty_name", "variant", "variant_id", "version", "version_codename", "version_id"};

    private final Path sys;
    private final Path etc;

    SysStats(Path sys, Path etc) {
        this.sys = sys;
        this.etc = etc;
    }

    void netclass(Families f) throws IOException {
        Path net = sys.resolve("class/net");
        List<Path> devices = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(net)) {
            ds.forEach(devices::add);
        }
        Collections.sort(devices);
        for (Path dir : devices) {
            String device = dir.getFileName().toString();
            String operstate = text(dir.resolve("operstate"));
            f.gauge("node_network_up", "Value is 1 if operstate is 'up', 0 otherwise.", "up".equals(operstate) ? 1 : 0,
                    "device", device);
            f.info("node_network_info", "Non-numeric data from /sys/class/net/<iface>, value is always 1.",
                    "address", orEmpty(text(dir.resolve("address"))), "broadcast", orEmpty(text(dir.resolve("broadcast"))),
                    "device", device, "duplex", orEmpty(text(dir.resolve("duplex"))),
                    "ifalias", orEmpty(text(dir.resolve("ifalias"))), "operstate", orEmpty(operstate));
            for (String[] g : NETCLASS_GAUGES) {
                Long v = number(dir.resolve(g[0]));
                if (v != null) f.gauge(g[1], "Network device property: " + g[0], v, "device", device);
            }
            for (String[] c : NETCLASS_COUNTERS) {
                Long v = number(dir.resolve(c[0]));
                if (v != null) f.counter(c[1], "Network device property: " + c[0], v, "device", device);
            }
            Long speed = number(dir.resolve("speed"));
            if (speed != null) { // -1 (unknown) too, as node_exporter: -125000
                f.gauge("node_network_speed_bytes", "Network device property: speed_bytes", speed * 1000 * 1000 / 8.0,
                        "device", device);
            }
        }
    }

    // /etc/os-release (or /usr/lib/os-release): KEY=value, value optionally quoted.
    void os(Families f) throws IOException {
        Path file = etc.resolve("os-release");
        if (!Files.exists(file)) file = etc.resolveSibling("usr/lib/os-release");
        Map<String, String> fields = new LinkedHashMap<>();
        for (String line : KernelStats.readFully(file).split("\n")) {
            int eq = line.indexOf('=');
            if (eq <= 0 || line.startsWith("#")) continue;
            String value = line.substring(eq + 1).trim();
            if (value.length() >= 2 && (value.startsWith("\"") || value.startsWith("'"))) {
                value = value.substring(1, value.length() - 1);
            }
            fields.put(line.substring(0, eq).trim().toLowerCase(java.util.Locale.ROOT), value);
        }
        String[] labels = new String[OS_INFO_LABELS.length * 2];
        for (int i = 0; i < OS_INFO_LABELS.length; i++) {
            labels[2 * i] = OS_INFO_LABELS[i];
            labels[2 * i + 1] = fields.getOrDefault(OS_INFO_LABELS[i], "");
        }
        f.info("node_os_info", "A metric with a constant '1' value labeled by build_id, id, id_like, image_id, image_version, "
                + "name, pretty_name, variant, variant_id, version, version_codename, version_id.", labels);
        double version = 0;
        try {
            version = Double.parseDouble(fields.getOrDefault("version_id", "0"));
        } catch (NumberFormatException e) {
            // "rolling" and the like: node_exporter reports 0 too.
        }
        f.gauge("node_os_version", "Metric containing the major.minor part of the OS version.", version,
                "id", fields.getOrDefault("id", ""), "id_like", fields.getOrDefault("id_like", ""),
                "name", fields.getOrDefault("name", ""));
    }

    void time(Families f) throws IOException {
        TimeZone zone = TimeZone.getDefault();
        long now = System.currentTimeMillis();
        f.gauge("node_time_zone_offset_seconds", "System time zone offset in seconds.", zone.getOffset(now) / 1000.0,
                "time_zone", zone.getDisplayName(zone.inDaylightTime(new java.util.Date(now)), TimeZone.SHORT));
        Path cs = sys.resolve("devices/system/clocksource");
        if (!Files.isDirectory(cs)) return;
        List<Path> sources = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(cs, "clocksource[0-9]*")) {
            ds.forEach(sources::add);
        }
        Collections.sort(sources);
        for (Path dir : sources) {
            String device = dir.getFileName().toString().substring("clocksource".length());
            String available = text(dir.resolve("available_clocksource"));
            if (available != null) {
                for (String c : available.split("\\s+")) {
                    if (c.isEmpty()) continue;
                    f.info("node_time_clocksource_available_info",
                            "Available clocksources read from '/sys/devices/system/clocksource'.",
                            "clocksource", c, "device", device);
                }
            }
            String current = text(dir.resolve("current_clocksource"));
            if (current != null) {
                f.info("node_time_clocksource_current_info", "Current clocksource read from '/sys/devices/system/clocksource'.",
                        "clocksource", current, "device", device);
            }
        }
    }

    /** The trimmed content, or null when the file is missing or unreadable (a down link's carrier: EINVAL). */
    private static String text(Path p) {
        try {
            return KernelStats.readFully(p).trim();
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private static String orEmpty(String s) {
        return s == null ? "" : s;
    }

    /** A decimal or 0x-hexadecimal number, or null when missing or not a number. */
    private static Long number(Path p) {
        String s = text(p);
        if (s == null || s.isEmpty()) return null;
        try {
            return s.startsWith("0x") ? Long.parseLong(s.substring(2), 16) : Long.parseLong(s);
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
