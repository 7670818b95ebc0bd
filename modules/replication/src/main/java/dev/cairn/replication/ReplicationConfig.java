package dev.cairn.replication;

import dev.cairn.spi.config.Doc;
import dev.cairn.spi.config.HostPort;
import dev.cairn.spi.config.Scalar;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * {@code replication:} MySQL/MariaDB primary-replica clusters to monitor. Every key applies on
 * reload: a cluster whose section changed is re-probed from scratch (its connections reopen),
 * the others keep running.
 */
public record ReplicationConfig(
        @Doc(value = "Clusters by name (the name is the metrics' cluster label).", required = true)
        Map<String, ClusterConfig> clusters,
        @Doc(value = "Also serve the figures under mysqld_exporter's names (mysql_up, mysql_global_variables_read_only, mysql_slave_status_*, mysql_heartbeat_*, mysql_global_status_rpl_semi_sync_*), so MySQL dashboards and alerts work unchanged.", dflt = "true")
        boolean mysqldMetrics) {

    /** Clusters with mysqld_exporter's families on (the default). */
    public ReplicationConfig(Map<String, ClusterConfig> clusters) {
        this(clusters, true);
    }

    /** {@code replication.clusters.NAME}: one primary and its replicas. */
    public record ClusterConfig(
            @Doc(value = "The cluster's servers: host:port or { address: host:port, name: db1 }; config order breaks ties.", required = true)
            List<NodeConfig> nodes,
            @Doc(value = "Monitor user (grants: see modules/replication/README.md).", required = true)
            String user,
            @Doc(value = "File holding the monitor user's password (first line), relative to the config file.")
            Path passwordFile,
            @Doc(value = "The password as ${env:NAME} instead of password_file (never a real password inline; \"\" for an account without one).")
            String password,
            @Doc(value = "How often every node is probed.", dflt = "1s")
            Duration interval,
            @Doc(value = "TCP connect timeout of a probe (Connector/J connectTimeout).", dflt = "1s")
            Duration connectTimeout,
            @Doc(value = "A node that answers nothing for this long is down (Connector/J socketTimeout and the probe's deadline).", dflt = "2s")
            Duration readTimeout,
            @Doc(value = "Replica lag (heartbeat, else Seconds_Behind_Master) from which the replica is reported lagging.", dflt = "10s")
            Duration warnLag,
            @Doc(value = "Replica lag from which the replica leaves the published replicas service.", dflt = "30s")
            Duration maxLag,
            @Doc(value = "The heartbeat that measures true lag (pt-heartbeat's table).", dflt = "{}")
            HeartbeatConfig heartbeat,
            @Doc(value = "Catalog services this cluster publishes: { primary: mysql-primary, replicas: mysql-replicas }.", dflt = "{}")
            PublishConfig publish,
            @Doc(value = "Automatic failover and planned switchover of the primary (off by default).", dflt = "{}")
            dev.cairn.replication.failover.FailoverConfig failover) {

        /** A cluster without failover (part 1's shape; failover is off). */
        public ClusterConfig(List<NodeConfig> nodes, String user, Path passwordFile, String password, Duration interval,
                             Duration connectTimeout, Duration readTimeout, Duration warnLag, Duration maxLag,
                             HeartbeatConfig heartbeat, PublishConfig publish) {
            this(nodes, user, passwordFile, password, interval, connectTimeout, readTimeout, warnLag, maxLag, heartbeat,
                    publish, dev.cairn.replication.failover.FailoverConfig.OFF);
        }

        public static final Duration INTERVAL = Duration.ofSeconds(1);
        public static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(1);
        public static final Duration READ_TIMEOUT = Duration.ofSeconds(2);
        public static final Duration MIN_TIMEOUT = Duration.ofMillis(100);

        /** The node called {@code name}, or null. */
        public NodeConfig node(String name) {
            return nodes.stream().filter(n -> n.displayName().equals(name)).findFirst().orElse(null);
        }
    }

    /** {@code nodes[]}: one server. */
    public record NodeConfig(
            @Doc(value = "host:port of the server.", required = true)
            @Scalar
            HostPort address,
            @Doc(value = "Name in status, metrics (instance label) and commands; default host:port.")
            String name) {

        public String displayName() {
            return name != null && !name.isBlank() ? name : address.toString();
        }
    }

    /**
     * {@code heartbeat:} a row per writer in a pt-heartbeat-compatible table, written on the
     * writable primary only; a replica's lag is the age of the newest row it has applied.
     */
    public record HeartbeatConfig(
            @Doc(value = "Write and read the heartbeat; off: lag falls back to Seconds_Behind_Master.", dflt = "true")
            boolean enabled,
            @Doc(value = "schema.table of the heartbeat (created on the primary if missing).", dflt = "cairn.heartbeat")
            String table,
            @Doc(value = "How often the primary's row is written.", dflt = "1s")
            Duration interval) {

        /** The schema part of {@link #table()}. */
        public String schema() {
            return table.substring(0, table.indexOf('.'));
        }

        /** The table part of {@link #table()}. */
        public String tableName() {
            return table.substring(table.indexOf('.') + 1);
        }
    }

    /** {@code publish:} catalog service names; an absent key publishes nothing for that role. */
    public record PublishConfig(
            @Doc(value = "Service whose one endpoint is the writable primary.")
            String primary,
            @Doc(value = "Service of the replicas that replicate and lag less than max_lag.")
            String replicas) {
    }
}
