package dev.cairn.metrics;

import dev.cairn.spi.config.Doc;
import dev.cairn.spi.config.HostPort;

/**
 * The {@code metrics:} section. Every key can change on reload: a new {@code listen} rebinds the
 * listener, everything else is swapped in place without touching the registry.
 *
 * <p>The three {@code *_exclude} regexes are node_exporter's defaults, so that the same mount
 * points, file system types and disk devices are reported as by node_exporter and its dashboards.
 */
public record MetricsConfig(
        @Doc(value = "Address of the metrics listener: host:port, or :port for every interface; port 0 picks a free port;"
                + " a change opens the new listener before the old one closes.",
                dflt = DEFAULT_LISTEN, restart = true)
        HostPort listen,

        @Doc(value = "HTTP path that serves the metrics; every other path answers 404.", dflt = DEFAULT_PATH)
        String path,

        @Doc(value = "Export host metrics read from /proc and statfs, under node_exporter's names (node_*).", dflt = "true")
        boolean hostMetrics,

        @Doc(value = "Export the Cairn JVM's own metrics (jvm_*, process_*).", dflt = "true")
        boolean jvmMetrics,

        @Doc(value = "Regex of mount points left out of node_filesystem_* (node_exporter's --collector.filesystem.mount-points-exclude).",
                dflt = "'" + DEFAULT_MOUNT_POINTS_EXCLUDE + "'")
        String filesystemMountPointsExclude,

        @Doc(value = "Regex of file system types left out of node_filesystem_* (node_exporter's --collector.filesystem.fs-types-exclude).",
                dflt = "'" + DEFAULT_FS_TYPES_EXCLUDE + "'")
        String filesystemFsTypesExclude,

        @Doc(value = "Regex of block devices left out of node_disk_* (node_exporter's --collector.diskstats.device-exclude).",
                dflt = "'" + DEFAULT_DISK_DEVICES_EXCLUDE + "'")
        String diskDevicesExclude) {

    /** node_exporter's port. */
    public static final String DEFAULT_LISTEN = ":9100";

    public static final String DEFAULT_PATH = "/metrics";

    /** node_exporter's {@code defMountPointsExcluded}. */
    public static final String DEFAULT_MOUNT_POINTS_EXCLUDE =
            "^/(dev|proc|run/credentials/.+|sys|var/lib/docker/.+|var/lib/containers/storage/.+)($|/)";

    /** node_exporter's {@code defFSTypesExcluded}. */
    public static final String DEFAULT_FS_TYPES_EXCLUDE =
            "^(autofs|binfmt_misc|bpf|cgroup2?|configfs|debugfs|devpts|devtmpfs|fusectl|hugetlbfs|iso9660|mqueue"
                    + "|nsfs|overlay|proc|procfs|pstore|rpc_pipefs|securityfs|selinuxfs|squashfs|erofs|sysfs|tracefs)$";

    /** node_exporter's {@code diskstatsDefaultIgnoredDevices}: partitions, ram, loop and floppy devices. */
    public static final String DEFAULT_DISK_DEVICES_EXCLUDE = "^(z?ram|loop|fd|(h|s|v|xv)d[a-z]|nvme\\d+n\\d+p)\\d+$";

    /** The section as if written {@code metrics: {}}. */
    public static MetricsConfig defaults() {
        return new MetricsConfig(HostPort.parse(DEFAULT_LISTEN), DEFAULT_PATH, true, true,
                DEFAULT_MOUNT_POINTS_EXCLUDE, DEFAULT_FS_TYPES_EXCLUDE, DEFAULT_DISK_DEVICES_EXCLUDE);
    }

    public MetricsConfig withListen(HostPort newListen) {
        return new MetricsConfig(newListen, path, hostMetrics, jvmMetrics,
                filesystemMountPointsExclude, filesystemFsTypesExclude, diskDevicesExclude);
    }

    public MetricsConfig withPath(String newPath) {
        return new MetricsConfig(listen, newPath, hostMetrics, jvmMetrics,
                filesystemMountPointsExclude, filesystemFsTypesExclude, diskDevicesExclude);
    }

    public MetricsConfig withHostMetrics(boolean enabled) {
        return new MetricsConfig(listen, path, enabled, jvmMetrics,
                filesystemMountPointsExclude, filesystemFsTypesExclude, diskDevicesExclude);
    }

    public MetricsConfig withJvmMetrics(boolean enabled) {
        return new MetricsConfig(listen, path, hostMetrics, enabled,
                filesystemMountPointsExclude, filesystemFsTypesExclude, diskDevicesExclude);
    }
}
