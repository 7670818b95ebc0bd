package dev.cairn.replication.status;

import dev.cairn.replication.probe.NodeState;
import dev.cairn.replication.probe.ReplicaChannel;
import dev.cairn.replication.topology.AnalysisCode;
import dev.cairn.replication.topology.Finding;
import dev.cairn.replication.topology.NodeView;
import dev.cairn.replication.topology.TopologySnapshot;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** A snapshot as JSON-friendly maps, for /api/status, the status page and the admin action. */
public final class SnapshotJson {

    private SnapshotJson() {
    }

    public static Map<String, Object> toMap(TopologySnapshot s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("cluster", s.cluster());
        m.put("at", s.at().toString());
        m.put("primary", s.primary());
        m.put("analysis", analysis(s));
        List<Object> nodes = new ArrayList<>();
        for (NodeView v : s.nodes()) nodes.add(node(v));
        m.put("nodes", nodes);
        List<Object> findings = new ArrayList<>();
        for (Finding f : s.findings()) {
            Map<String, Object> fm = new LinkedHashMap<>();
            fm.put("id", f.kind().id());
            fm.put("kind", f.kind().name().toLowerCase(Locale.ROOT));
            if (f.node() != null) fm.put("node", f.node());
            fm.put("message", f.message());
            findings.add(fm);
        }
        m.put("findings", findings);
        m.put("tree", TopologyTree.render(s));
        return m;
    }

    /** The codes' names in declaration order; {@code ["NoProblem"]} when empty. */
    public static List<String> analysis(TopologySnapshot s) {
        List<String> codes = new ArrayList<>();
        for (AnalysisCode c : AnalysisCode.values()) {
            if (s.has(c)) codes.add(c.code());
        }
        if (codes.isEmpty()) codes.add("NoProblem");
        return codes;
    }

    private static Map<String, Object> node(NodeView v) {
        NodeState st = v.state();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", v.name());
        m.put("address", v.address().toString());
        m.put("role", v.role().name().toLowerCase(Locale.ROOT));
        m.put("reach", st.reach().name().toLowerCase(Locale.ROOT));
        if (st.error() != null) m.put("error", st.error());
        m.put("probe_seconds", round(st.probeSeconds()));
        if (st.version() != null) m.put("version", st.version().raw());
        if (st.serverId() != null) m.put("server_id", st.serverId());
        if (st.readOnly() != null) m.put("read_only", st.readOnly());
        if (st.gtidBinlog() != null) m.put("gtid_binlog", st.gtidBinlog());
        if (st.gtidApplied() != null) m.put("gtid_applied", st.gtidApplied());
        if (v.source() != null) m.put("source", v.source());
        if (v.lagSeconds() != null) m.put("lag_seconds", round(v.lagSeconds()));
        if (v.lagSeconds() != null) m.put("lag_from", v.lagFromHeartbeat() ? "heartbeat" : "seconds_behind_master");
        m.put("serves_reads", v.servesReads());
        ReplicaChannel ch = st.channel();
        if (ch != null) {
            Map<String, Object> c = new LinkedHashMap<>();
            c.put("source", ch.source());
            c.put("io", ch.io().name().toLowerCase(Locale.ROOT));
            c.put("sql", ch.sqlRunning());
            c.put("seconds_behind_master", ch.secondsBehind() == null ? "unknown" : ch.secondsBehind());
            c.put("received_gtid", ch.receivedGtid());
            c.put("applied_gtid", ch.appliedGtid());
            if (ch.lastIoErrno() != 0) c.put("last_io_error", ch.lastIoErrno() + ": " + ch.lastIoError());
            if (ch.lastSqlErrno() != 0) c.put("last_sql_error", ch.lastSqlErrno() + ": " + ch.lastSqlError());
            m.put("replication", c);
        }
        Map<String, Object> semi = new LinkedHashMap<>();
        st.semiSyncStatus().forEach((k, val) -> {
            // The state, not every counter (those are in the metrics).
            if (k.endsWith("_status") || k.endsWith("_clients") || k.endsWith("_wait_sessions")) semi.put(k, val);
        });
        if (!semi.isEmpty()) m.put("semi_sync", semi);
        return m;
    }

    private static double round(double d) {
        return Math.round(d * 1000) / 1000.0;
    }
}
