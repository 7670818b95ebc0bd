package dev.cairn.replication.metrics;

import dev.cairn.replication.flavour.Dialect;
import dev.cairn.replication.flavour.Flavour;
import dev.cairn.replication.probe.NodeState;
import dev.cairn.replication.probe.ReplicaChannel;
import dev.cairn.replication.topology.AnalysisCode;
import dev.cairn.replication.topology.Finding;
import dev.cairn.replication.topology.NodeView;
import dev.cairn.replication.topology.Role;
import dev.cairn.replication.topology.TopologySnapshot;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.prometheus.metrics.model.snapshots.UnknownSnapshot;
import io.prometheus.metrics.model.snapshots.UnknownSnapshot.UnknownDataPointSnapshot;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The module's metrics, computed at scrape time from each cluster's newest snapshot.
 *
 * <p>mysqld_exporter's families with its names, types and label names ({@code mysql_up},
 * {@code mysql_global_variables_read_only}, every numeric {@code mysql_slave_status_*} column,
 * {@code mysql_heartbeat_*}, {@code mysql_global_status_rpl_semi_sync_*}), each with
 * {@code cluster} and {@code instance} added (one Cairn serves many servers; scrape it with
 * {@code honor_labels: true} to keep {@code instance}). One deliberate difference: a NULL
 * Seconds_Behind_Master is served as NaN (unknown) where the exporter drops the sample.
 * On MySQL 8.0.22+ the Replica_/Source_ columns are served under the classic slave/master names.
 *
 * <p>Cairn's own: {@code cairn_replication_lag_seconds} (heartbeat), {@code _role},
 * {@code _analysis}, {@code _probe_duration_seconds}, {@code _findings},
 * {@code _heartbeat_writes_total}.
 */
public final class ReplicationMetrics implements MultiCollector {

    /** One cluster's data for a scrape. */
    public record ClusterSample(String cluster, TopologySnapshot snapshot, long heartbeatWrites, long heartbeatFailures) {
    }

    private static final List<String> SLAVE_LABELS = List.of("channel_name", "connection_name", "master_host", "master_uuid");

    private final Supplier<Collection<ClusterSample>> clusters;
    private volatile boolean mysqldFamilies = true;

    public ReplicationMetrics(Supplier<Collection<ClusterSample>> clusters) {
        this.clusters = clusters;
    }

    /** Turns mysqld_exporter's mysql_* families on or off (replication.mysqld_metrics, live). */
    public void mysqldFamilies(boolean on) {
        mysqldFamilies = on;
    }

    @Override
    public MetricSnapshots collect() {
        Map<String, GaugeSnapshot.Builder> gauges = new LinkedHashMap<>();
        Map<String, UnknownSnapshot.Builder> untyped = new LinkedHashMap<>();
        CounterSnapshot.Builder hbWrites = CounterSnapshot.builder().name("cairn_replication_heartbeat_writes")
                .help("Heartbeat writes on the primary, by result.");
        for (ClusterSample c : clusters.get()) {
            TopologySnapshot s = c.snapshot();
            hbWrites.dataPoint(CounterSnapshot.CounterDataPointSnapshot.builder()
                    .labels(Labels.of("cluster", c.cluster(), "result", "ok")).value(c.heartbeatWrites()).build());
            hbWrites.dataPoint(CounterSnapshot.CounterDataPointSnapshot.builder()
                    .labels(Labels.of("cluster", c.cluster(), "result", "error")).value(c.heartbeatFailures()).build());
            if (s == null) continue;
            for (AnalysisCode code : AnalysisCode.values()) {
                gauge(gauges, "cairn_replication_analysis", "1 while the cluster's analysis has this code (orchestrator style).",
                        Labels.of("cluster", c.cluster(), "code", code.code()), s.has(code) ? 1 : 0);
            }
            for (Finding.Kind k : Finding.Kind.values()) {
                long n = s.findings().stream().filter(f -> f.kind() == k).count();
                gauge(gauges, "cairn_replication_findings", "Current findings by kind (see the README for each id).",
                        Labels.of("cluster", c.cluster(), "kind", k.name().toLowerCase(Locale.ROOT)), n);
            }
            for (NodeView v : s.nodes()) {
                node(gauges, untyped, c.cluster(), v);
            }
        }
        if (!mysqldFamilies) {
            gauges.keySet().removeIf(n -> n.startsWith("mysql_"));
            untyped.keySet().removeIf(n -> n.startsWith("mysql_"));
        }
        MetricSnapshots.Builder out = MetricSnapshots.builder();
        gauges.values().forEach(b -> out.metricSnapshot(b.build()));
        untyped.values().forEach(b -> out.metricSnapshot(b.build()));
        out.metricSnapshot(hbWrites.build());
        return out.build();
    }

    private static void node(Map<String, GaugeSnapshot.Builder> gauges, Map<String, UnknownSnapshot.Builder> untyped,
                             String cluster, NodeView v) {
        NodeState st = v.state();
        Labels base = Labels.of("cluster", cluster, "instance", v.name());
        gauge(gauges, "mysql_up", "Whether the MySQL server answered (mysqld_exporter).", base, st.up() ? 1 : 0);
        gauge(gauges, "cairn_replication_probe_duration_seconds", "Duration of the node's last probe.", base, st.probeSeconds());
        for (Role r : Role.values()) {
            gauge(gauges, "cairn_replication_role", "1 for the node's current role.",
                    base.merge(Labels.of("role", r.name().toLowerCase(Locale.ROOT))), v.role() == r ? 1 : 0);
        }
        if (v.role() == Role.REPLICA) {
            gauge(gauges, "cairn_replication_lag_seconds",
                    "True replica lag: now minus the newest heartbeat applied (Seconds_Behind_Master without heartbeat); NaN when unknown.",
                    base, v.lagSeconds() == null ? Double.NaN : v.lagSeconds());
        }
        if (!st.up()) return;
        if (st.readOnly() != null) {
            gauge(gauges, "mysql_global_variables_read_only", "Generic gauge metric from SHOW GLOBAL VARIABLES.", base,
                    st.readOnly() ? 1 : 0);
        }
        for (Map.Entry<String, String> e : st.semiSyncStatus().entrySet()) {
            Double d = Dialect.exporterValue(e.getValue());
            if (d != null) {
                unknown(untyped, "mysql_global_status_" + e.getKey(), "Generic metric from SHOW GLOBAL STATUS.", base, d);
            }
        }
        for (ReplicaChannel ch : st.channels()) {
            boolean maria = st.version() != null && st.version().flavour() == Flavour.MARIADB;
            Labels l = base.merge(Labels.of(SLAVE_LABELS.get(0), maria ? "" : ch.name(), SLAVE_LABELS.get(1), maria ? ch.name() : "",
                    SLAVE_LABELS.get(2), ch.sourceHost(), SLAVE_LABELS.get(3), ch.sourceUuid()));
            Map<String, Double> values = new LinkedHashMap<>(ch.numeric());
            values.putIfAbsent("seconds_behind_master", Double.NaN);
            values.forEach((col, d) -> unknown(untyped, "mysql_slave_status_" + col, "Generic metric from SHOW SLAVE STATUS.", l, d));
        }
        if (st.heartbeat() != null) {
            Labels hl = base.merge(Labels.of("server_id", Long.toString(st.heartbeat().serverId())));
            gauge(gauges, "mysql_heartbeat_stored_timestamp_seconds", "Timestamp stored in the heartbeat table.", hl,
                    st.heartbeat().ts().getEpochSecond() + st.heartbeat().ts().getNano() / 1e9);
            gauge(gauges, "mysql_heartbeat_now_timestamp_seconds", "Timestamp of the current server.", hl,
                    st.probedAt().getEpochSecond() + st.probedAt().getNano() / 1e9);
        }
    }

    private static void gauge(Map<String, GaugeSnapshot.Builder> m, String name, String help, Labels labels, double v) {
        m.computeIfAbsent(name, n -> GaugeSnapshot.builder().name(n).help(help))
                .dataPoint(GaugeDataPointSnapshot.builder().labels(labels).value(v).build());
    }

    private static void unknown(Map<String, UnknownSnapshot.Builder> m, String name, String help, Labels labels, double v) {
        m.computeIfAbsent(name, n -> UnknownSnapshot.builder().name(n).help(help))
                .dataPoint(UnknownDataPointSnapshot.builder().labels(labels).value(v).build());
    }

    /** Families this collector serves that mirror mysqld_exporter's (names without samples' suffixes). */
    public static List<String> mirroredPrefixes() {
        return new ArrayList<>(List.of("mysql_up", "mysql_global_variables_read_only", "mysql_slave_status_",
                "mysql_heartbeat_", "mysql_global_status_rpl_semi_sync_"));
    }
}
