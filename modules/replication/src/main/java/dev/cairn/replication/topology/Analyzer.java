package dev.cairn.replication.topology;

import dev.cairn.replication.ReplicationErrors;
import dev.cairn.replication.ReplicationConfig.ClusterConfig;
import dev.cairn.replication.ReplicationConfig.NodeConfig;
import dev.cairn.replication.flavour.Flavour;
import dev.cairn.replication.flavour.GtidSet;
import dev.cairn.replication.flavour.MariaDbGtidPosition;
import dev.cairn.replication.flavour.MySqlGtidSet;
import dev.cairn.replication.probe.IoState;
import dev.cairn.replication.probe.NodeState;
import dev.cairn.replication.probe.Reach;
import dev.cairn.replication.probe.ReplicaChannel;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Turns one round of probe results into a {@link TopologySnapshot}: who is primary, each node's
 * role, source and true lag, the findings and the cluster's analysis codes. A pure function of
 * its arguments (the previous snapshot only remembers the primary and roles of nodes that stopped
 * answering), so tests drive it with recorded states and part 2 can replay sequences.
 */
public final class Analyzer {

    private Analyzer() {
    }

    /**
     * @param states one per configured node, in config order
     * @param previous the cluster's previous snapshot, or null for the first round
     */
    public static TopologySnapshot analyze(String cluster, ClusterConfig config, List<NodeState> states,
                                           TopologySnapshot previous, long seq, Instant at) {
        Map<String, NodeState> byName = new LinkedHashMap<>();
        for (NodeState s : states) byName.put(s.node(), s);
        Map<String, Long> serverIds = new HashMap<>();
        if (previous != null) {
            for (NodeView v : previous.nodes()) {
                if (v.state().serverId() != null) serverIds.put(v.name(), v.state().serverId());
            }
        }
        for (NodeState s : states) {
            if (s.serverId() != null) serverIds.put(s.node(), s.serverId());
        }

        // Who follows whom.
        Map<String, String> sourceOf = new HashMap<>();
        Map<String, Integer> followers = new HashMap<>();
        for (NodeState s : states) {
            ReplicaChannel ch = s.up() ? s.channel() : null;
            if (ch == null) continue;
            String src = resolve(config, ch, serverIds);
            if (src != null && !src.equals(s.node())) {
                sourceOf.put(s.node(), src);
                followers.merge(src, 1, Integer::sum);
            }
        }
        String primary = pickPrimary(config, states, byName, followers, previous);

        // Roles.
        Map<String, Role> roles = new LinkedHashMap<>();
        for (NodeState s : states) {
            Role r;
            if (s.node().equals(primary)) r = Role.PRIMARY;
            else if (s.up() && s.channelsKnown() && s.channel() != null) r = Role.REPLICA;
            else if (s.up() && s.channelsKnown()) r = Role.STANDALONE;
            else r = previous == null ? Role.UNKNOWN
                    : previous.node(s.node()).map(NodeView::role).filter(x -> x != Role.PRIMARY).orElse(Role.UNKNOWN);
            if (r == Role.UNKNOWN && !s.up() && primary != null) r = Role.REPLICA; // configured, not the primary
            roles.put(s.node(), r);
        }

        List<Finding> findings = new ArrayList<>();
        NodeState p = primary == null ? null : byName.get(primary);
        Map<String, GtidSet> errant = new HashMap<>();
        for (NodeState s : states) {
            nodeFindings(s, roles.get(s.node()), findings);
            if (s.up() && p != null && p.up() && !s.node().equals(primary) && s.version() != null && p.version() != null
                    && s.version().flavour() == p.version().flavour()) {
                GtidSet e = errantTransactions(s, p);
                if (!e.isEmpty()) {
                    errant.put(s.node(), e);
                    findings.add(new Finding(Finding.Kind.ERRANT_GTID, s.node(), "has transactions the primary " + primary
                            + " never had: " + e + " (binlog " + s.gtidBinlog() + ", primary " + p.gtidBinlog() + ")"));
                }
            }
        }

        List<NodeView> views = new ArrayList<>();
        for (NodeState s : states) {
            Role role = roles.get(s.node());
            String src = sourceOf.get(s.node());
            ReplicaChannel ch = s.up() ? s.channel() : null;
            Double lag = null;
            boolean fromHb = false;
            if (role == Role.REPLICA && ch != null) {
                if (config.heartbeat().enabled() && s.heartbeat() != null) {
                    lag = Math.max(0, Duration.between(s.heartbeat().ts(), s.probedAt()).toNanos() / 1e9);
                    fromHb = true;
                } else if (ch.secondsBehind() != null) {
                    lag = ch.secondsBehind().doubleValue();
                }
                if (ch.source() != null && primary != null && !primary.equals(src)) {
                    findings.add(new Finding(Finding.Kind.WRONG_SOURCE, s.node(), "replicates from "
                            + (src != null ? src : ch.source() + " (not a node of this cluster)") + ", not from the primary " + primary));
                }
                if (lag != null && lag >= config.maxLag().toNanos() / 1e9) {
                    findings.add(new Finding(Finding.Kind.LAG_ABOVE_MAX, s.node(), String.format(Locale.ROOT,
                            "lags %.1fs, max_lag is %ss", lag, config.maxLag().toSeconds())));
                } else if (lag != null && lag >= config.warnLag().toNanos() / 1e9) {
                    findings.add(new Finding(Finding.Kind.LAGGING, s.node(), String.format(Locale.ROOT,
                            "lags %.1fs, warn_lag is %ss", lag, config.warnLag().toSeconds())));
                }
            }
            boolean serves = role == Role.REPLICA && ch != null && ch.replicating() && primary != null && primary.equals(src)
                    && lag != null && lag < config.maxLag().toNanos() / 1e9 && !errant.containsKey(s.node());
            views.add(new NodeView(s.node(), s.address(), role, s, src, lag, fromHb, serves));
        }

        long writable = states.stream().filter(NodeState::writable).count();
        if (writable > 1) {
            findings.add(new Finding(Finding.Kind.MULTIPLE_WRITABLE, null, writable + " nodes are writable: "
                    + String.join(", ", states.stream().filter(NodeState::writable).map(NodeState::node).toList())));
        }
        if (p != null && p.up() && semiSyncLocked(p)) {
            findings.add(new Finding(Finding.Kind.SEMI_SYNC_LOCKED, primary, "semi-sync is on, no replica acknowledges and "
                    + p.semiSyncStatus().getOrDefault(semi(p, "wait_sessions"), "?") + " sessions wait for an ack"));
        }

        Set<AnalysisCode> codes = codes(primary, p, views, findings, writable);
        return new TopologySnapshot(cluster, seq, at, primary, views, findings, codes);
    }

    /** The config node a replica's source address (or the source's server_id) is. */
    static String resolve(ClusterConfig config, ReplicaChannel ch, Map<String, Long> serverIds) {
        for (NodeConfig n : config.nodes()) {
            if (n.address().port() == ch.sourcePort() && sameHost(n.address().host(), ch.sourceHost())) {
                return n.displayName();
            }
        }
        if (ch.sourceServerId() != null && ch.sourceServerId() != 0) {
            for (Map.Entry<String, Long> e : serverIds.entrySet()) {
                if (e.getValue().equals(ch.sourceServerId())) {
                    // Only trust the server id when the port matches too (NAT, another name for the host).
                    NodeConfig n = config.node(e.getKey());
                    if (n != null && n.address().port() == ch.sourcePort()) return e.getKey();
                }
            }
        }
        return null;
    }

    private static boolean sameHost(String a, String b) {
        return a.equalsIgnoreCase(b) || (isLoopback(a) && isLoopback(b));
    }

    private static boolean isLoopback(String h) {
        return h.equals("127.0.0.1") || h.equalsIgnoreCase("localhost") || h.equals("::1");
    }

    private static String pickPrimary(ClusterConfig config, List<NodeState> states, Map<String, NodeState> byName,
                                      Map<String, Integer> followers, TopologySnapshot previous) {
        String prev = previous == null ? null : previous.primary();
        // 1. Writable nodes that replicate from nobody: the one most replicas follow.
        List<NodeState> writableRoots = states.stream()
                .filter(s -> s.writable() && s.channelsKnown() && s.channel() == null).toList();
        if (!writableRoots.isEmpty()) {
            return best(writableRoots.stream().map(NodeState::node).toList(), followers, prev);
        }
        // 2. The node replicas follow that is not itself a replica (it may be unreachable or read_only).
        List<String> followed = new ArrayList<>();
        for (String n : followers.keySet()) {
            NodeState s = byName.get(n);
            if (s != null && !(s.up() && s.channelsKnown() && s.channel() != null)) followed.add(n);
        }
        if (!followed.isEmpty()) {
            followed.sort((a, b) -> Integer.compare(order(config, a), order(config, b)));
            return best(followed, followers, prev);
        }
        // 3. Remember the primary of the last round while nobody can tell otherwise.
        if (prev != null && byName.containsKey(prev)) {
            NodeState s = byName.get(prev);
            if (!(s.up() && s.channelsKnown() && s.channel() != null)) return prev;
        }
        // 4. A single read_only root.
        List<NodeState> roots = states.stream().filter(s -> s.up() && s.channelsKnown() && s.channel() == null).toList();
        if (roots.size() == 1) return roots.get(0).node();
        // 5. Replication status unreadable (missing grant): the one writable node.
        List<NodeState> writable = states.stream().filter(NodeState::writable).toList();
        return writable.size() == 1 ? writable.get(0).node() : null;
    }

    private static int order(ClusterConfig config, String name) {
        for (int i = 0; i < config.nodes().size(); i++) {
            if (config.nodes().get(i).displayName().equals(name)) return i;
        }
        return Integer.MAX_VALUE;
    }

    private static String best(List<String> names, Map<String, Integer> followers, String prev) {
        String best = null;
        for (String n : names) {
            if (best == null) {
                best = n;
                continue;
            }
            int f = followers.getOrDefault(n, 0);
            int bf = followers.getOrDefault(best, 0);
            if (f > bf || (f == bf && n.equals(prev))) best = n;
        }
        return best;
    }

    private static void nodeFindings(NodeState s, Role role, List<Finding> out) {
        switch (s.reach()) {
            case DOWN -> out.add(new Finding(Finding.Kind.NODE_DOWN, s.node(), s.error()));
            case REFUSING -> out.add(new Finding(s.error() != null && s.error().contains(ReplicationErrors.ACCESS_DENIED.id())
                    ? Finding.Kind.ACCESS_DENIED : Finding.Kind.TOO_MANY_CONNECTIONS, s.node(), s.error()));
            case UP -> {
                for (String g : s.missingGrants()) out.add(new Finding(Finding.Kind.MISSING_GRANT, s.node(), g));
                if (Boolean.FALSE.equals(s.logBin())) {
                    out.add(new Finding(Finding.Kind.BINLOG_OFF, s.node(), "binary log is off (log_bin): it cannot be promoted"));
                }
                if (Boolean.FALSE.equals(s.logReplicaUpdates()) && Boolean.TRUE.equals(s.logBin())) {
                    out.add(new Finding(Finding.Kind.LOG_REPLICA_UPDATES_OFF, s.node(),
                            "log_slave_updates is off: replicated transactions are not in its binary log"));
                }
                if (role == Role.PRIMARY && Boolean.TRUE.equals(s.readOnly())) {
                    out.add(new Finding(Finding.Kind.PRIMARY_READ_ONLY, s.node(), "the primary is read_only: nobody accepts writes"));
                }
                if (role == Role.STANDALONE) {
                    out.add(new Finding(Finding.Kind.NOT_REPLICATING, s.node(), "replicates from no node"));
                }
                ReplicaChannel ch = s.channel();
                if (ch != null) {
                    if (!ch.filters().isEmpty()) {
                        out.add(new Finding(Finding.Kind.REPLICATION_FILTERS, s.node(), "replication filters set: " + ch.filters()));
                    }
                    if (ch.io() != IoState.YES) {
                        out.add(new Finding(Finding.Kind.IO_THREAD_NOT_RUNNING, s.node(), "IO thread " + ch.io().name().toLowerCase(Locale.ROOT)
                                + (ch.lastIoErrno() != 0 ? " (error " + ch.lastIoErrno() + ": " + ch.lastIoError() + ")" : "")));
                    }
                    if (!ch.sqlRunning()) {
                        out.add(new Finding(Finding.Kind.SQL_THREAD_NOT_RUNNING, s.node(), "SQL thread stopped"
                                + (ch.lastSqlErrno() != 0 ? " (error " + ch.lastSqlErrno() + ": " + ch.lastSqlError() + ")" : "")));
                    }
                    if (ch.lastSqlErrno() != 0 && ch.sqlRunning()) {
                        out.add(new Finding(Finding.Kind.REPLICATION_ERROR, s.node(), "last SQL error " + ch.lastSqlErrno() + ": " + ch.lastSqlError()));
                    }
                    if (ch.usingGtid().equalsIgnoreCase("No") || ch.usingGtid().equals("0")) {
                        out.add(new Finding(Finding.Kind.NOT_GTID, s.node(), "replicates by file and position, not by GTID"));
                    }
                    if (Boolean.FALSE.equals(s.readOnly())) {
                        out.add(new Finding(Finding.Kind.REPLICA_WRITABLE, s.node(), "a replica with read_only off accepts writes (errant transactions)"));
                    }
                }
            }
            default -> {
            }
        }
    }

    /**
     * Transactions in the replica's binary log that the primary does not have and did not write
     * itself (the primary's own transactions may just be newer than its probe). MariaDB also
     * counts a last GTID the replica wrote itself that replication never applied.
     */
    static GtidSet errantTransactions(NodeState replica, NodeState primary) {
        Flavour f = replica.version().flavour();
        GtidSet mine = GtidSet.parse(f, replica.gtidBinlog());
        GtidSet theirs = GtidSet.parse(f, primary.gtidBinlog());
        if (f == Flavour.MARIADB) {
            MariaDbGtidPosition applied = MariaDbGtidPosition.parse(replica.gtidApplied());
            Map<Long, MariaDbGtidPosition.Gtid> out = new TreeMap<>();
            ((MariaDbGtidPosition) mine.subtract(theirs)).domains().forEach((d, g) -> {
                if (primary.serverId() == null || g.server() != primary.serverId()) out.put(d, g);
            });
            ((MariaDbGtidPosition) mine).domains().forEach((d, g) -> {
                MariaDbGtidPosition.Gtid a = applied.domains().get(d);
                if (replica.serverId() != null && g.server() == replica.serverId() && !g.equals(a)) out.put(d, g);
            });
            StringBuilder b = new StringBuilder();
            out.values().forEach(g -> b.append(b.length() == 0 ? "" : ",").append(g));
            return MariaDbGtidPosition.parse(b.toString());
        }
        MySqlGtidSet extra = (MySqlGtidSet) mine.subtract(theirs);
        if (primary.serverUuid() == null) return extra;
        StringBuilder b = new StringBuilder();
        extra.sources().forEach((src, ivs) -> {
            if (!src.startsWith(primary.serverUuid().toLowerCase(Locale.ROOT))) {
                b.append(b.length() == 0 ? "" : ",").append(src);
                ivs.forEach(i -> b.append(':').append(i));
            }
        });
        return MySqlGtidSet.parse(b.toString());
    }

    /** The status variable of a semi-sync key under MariaDB's (master) or MySQL 8.0.26+'s (source) name. */
    private static String semi(NodeState p, String suffix) {
        String master = "rpl_semi_sync_master_" + suffix;
        return p.semiSyncStatus().containsKey(master) ? master : "rpl_semi_sync_source_" + suffix;
    }

    static boolean semiSyncLocked(NodeState p) {
        String status = p.semiSyncStatus().get(semi(p, "status"));
        String clients = p.semiSyncStatus().get(semi(p, "clients"));
        String waiting = p.semiSyncStatus().get(semi(p, "wait_sessions"));
        return "ON".equalsIgnoreCase(status) && "0".equals(clients) && waiting != null && !waiting.equals("0");
    }

    private static Set<AnalysisCode> codes(String primary, NodeState p, List<NodeView> views, List<Finding> findings, long writable) {
        Set<AnalysisCode> codes = EnumSet.noneOf(AnalysisCode.class);
        List<NodeView> others = views.stream().filter(v -> !v.name().equals(primary)).toList();
        if (views.stream().noneMatch(v -> v.state().reach() != Reach.DOWN)) {
            codes.add(AnalysisCode.DEAD_PRIMARY_AND_REPLICAS);
            return codes;
        }
        if (primary == null) {
            codes.add(AnalysisCode.NO_PRIMARY);
        } else if (p.reach() == Reach.DOWN) {
            // Evidence: reachable replicas whose channel follows the primary.
            List<NodeView> witnesses = others.stream()
                    .filter(v -> v.role() == Role.REPLICA && v.state().up() && v.state().channelsKnown()
                            && v.state().channel() != null && primary.equals(v.source()))
                    .toList();
            boolean allLost = !witnesses.isEmpty() && witnesses.stream().allMatch(v -> v.state().channel().io() != IoState.YES);
            boolean someUnreachable = others.stream().anyMatch(v -> !v.state().up());
            if (allLost) {
                codes.add(someUnreachable ? AnalysisCode.DEAD_PRIMARY_AND_SOME_REPLICAS : AnalysisCode.DEAD_PRIMARY);
            } else {
                codes.add(AnalysisCode.UNREACHABLE_PRIMARY);
            }
        } else if (p.reach() == Reach.REFUSING) {
            codes.add(AnalysisCode.UNREACHABLE_PRIMARY);
        } else {
            if (Boolean.TRUE.equals(p.readOnly())) codes.add(AnalysisCode.NO_WRITABLE_PRIMARY);
            List<NodeView> replicas = others.stream()
                    .filter(v -> v.role() == Role.REPLICA && v.state().up() && v.state().channel() != null).toList();
            long notReplicating = replicas.stream().filter(v -> !v.state().channel().replicating()).count();
            if (!replicas.isEmpty() && notReplicating == replicas.size()) {
                codes.add(AnalysisCode.ALL_REPLICAS_NOT_REPLICATING);
            } else if (notReplicating > 0) {
                codes.add(AnalysisCode.REPLICATION_STOPPED);
            }
        }
        if (writable > 1) codes.add(AnalysisCode.MULTIPLE_WRITABLE_NODES);
        for (Finding f : findings) {
            switch (f.kind()) {
                case ERRANT_GTID -> codes.add(AnalysisCode.ERRANT_GTID);
                case WRONG_SOURCE -> codes.add(AnalysisCode.WRONG_SOURCE);
                case SEMI_SYNC_LOCKED -> codes.add(AnalysisCode.LOCKED_SEMI_SYNC_PRIMARY);
                default -> {
                }
            }
        }
        return codes;
    }
}
