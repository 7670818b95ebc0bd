package dev.cairn.replication.failover;

import dev.cairn.replication.ReplicationConfig.ClusterConfig;
import dev.cairn.replication.ReplicationErrors;
import dev.cairn.replication.ReplicationConfig.NodeConfig;
import dev.cairn.replication.catalog.ServicePublisher;
import dev.cairn.spi.Module.ActionException;
import dev.cairn.spi.ModuleContext;
import dev.cairn.spi.config.ConfigProblems;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * Where the replication module meets its failover: validating {@code failover:}, creating a
 * cluster's {@link FailoverController}, and serving the operator actions
 * ({@code switchover}, {@code ack}, {@code rejoin}, {@code failover}) of the admin API.
 */
public final class Failovers {

    private Failovers() {
    }

    /** Checks {@code clusters.NAME.failover}; {@code resolve} turns a config-relative path absolute. */
    public static void validate(ClusterConfig c, ConfigProblems p, Function<Path, Path> resolve) {
        FailoverConfig f = c.failover();
        if (f == null || f.mode() == FailoverConfig.Mode.OFF) {
            return;
        }
        Set<String> names = new java.util.HashSet<>();
        c.nodes().forEach(n -> names.add(n.displayName()));
        for (String n : f.promotion().prefer()) {
            if (!names.contains(n)) p.error(f.promotion(), "prefer", "'" + n + "' is not a node of this cluster " + names);
        }
        for (String n : f.promotion().never()) {
            if (!names.contains(n)) p.error(f.promotion(), "never", "'" + n + "' is not a node of this cluster " + names);
        }
        if (f.minReplicas() > c.nodes().size() - 1) {
            p.error(f, "min_replicas", f.minReplicas() + " is more than the cluster's " + (c.nodes().size() - 1) + " replica(s)");
        }
        if (f.hooks().timeout().isNegative() || f.hooks().timeout().isZero()) {
            p.error(f.hooks(), "timeout", "must be more than 0s");
        }
        if (f.drainStall().toMillis() < 1000) {
            p.error(f, "drain_stall", "must be at least 1s");
        }
        if (f.replicationPasswordFile() != null) {
            Path file = resolve.apply(f.replicationPasswordFile());
            if (!Files.isReadable(file)) {
                p.error(f, "replication_password_file", ReplicationErrors.FAILOVER_PASSWORD_FILE.id() + " cannot read " + file);
            }
        }
    }

    /**
     * The controller of a cluster whose failover is on, else null. Feed it the monitor's snapshots.
     *
     * @param history the cluster's failover memory, kept by the module across reloads
     */
    public static FailoverController create(String cluster, ClusterConfig c, String password, ModuleContext ctx,
                                            ServicePublisher monitorPublisher, FailoverMetrics metrics, Clock clock,
                                            FailoverHistory history)
            throws IOException {
        FailoverConfig f = c.failover();
        if (f == null || f.mode() == FailoverConfig.Mode.OFF) {
            return null;
        }
        List<NodeSql> nodes = new ArrayList<>();
        for (NodeConfig n : c.nodes()) {
            nodes.add(new NodeSql(n.displayName(), n.address().host(), n.address().port(), c.user(), password,
                    c.connectTimeout(), c.readTimeout()));
        }
        String repl = null;
        if (f.replicationPasswordFile() != null) {
            repl = firstLine(ctx.configDir().resolve(f.replicationPasswordFile()).normalize());
        }
        PrimaryPublisher.Fences fences = monitorPublisher == null ? PrimaryPublisher.Fences.NONE : new PrimaryPublisher.Fences() {
            @Override
            public void fence(String node) {
                monitorPublisher.fence(node);
            }

            @Override
            public void unfence(String node) {
                monitorPublisher.unfence(node);
            }

            @Override
            public void epoch(long epoch) {
                monitorPublisher.epoch(epoch);
            }

            @Override
            public void ready() {
                monitorPublisher.releasePrimary();
            }
        };
        if (monitorPublisher != null) {
            monitorPublisher.holdPrimary();
        }
        PrimaryPublisher pub = new PrimaryPublisher(ctx.catalog(), c.publish().primary(), fences);
        return new FailoverController(cluster, f, nodes, pub, metrics, clock, repl, ctx.configDir(), history);
    }

    static String firstLine(Path file) throws IOException {
        String text = Files.readString(file);
        int nl = text.indexOf('\n');
        String first = nl < 0 ? text : text.substring(0, nl);
        return first.endsWith("\r") ? first.substring(0, first.length() - 1) : first;
    }

    /**
     * Serves a failover action, or empty when {@code action} is not one:
     * {@code failover} (GET: state and last audit log), {@code switchover} (POST; {@code to},
     * {@code force}, {@code dry_run}), {@code ack} (POST), {@code rejoin} (POST; {@code node}).
     */
    public static Optional<Object> action(Map<String, FailoverController> controllers, String action,
                                          Map<String, String> params, boolean post) throws Exception {
        if (!Set.of("failover", "switchover", "ack", "rejoin").contains(action)) {
            return Optional.empty();
        }
        boolean text = "text".equals(params.get("format"));
        try {
            Object r = serve(controllers, action, params, post);
            return Optional.of(text ? FailoverCommands.text(action, r) : r);
        } catch (ActionException e) {
            if (text && e.status() == 409) {
                return Optional.of("REFUSED " + e.getMessage() + "\n");
            }
            throw e;
        }
    }

    private static Object serve(Map<String, FailoverController> controllers, String action,
                                Map<String, String> params, boolean post) throws Exception {
        String cluster = params.get("cluster");
        if (action.equals("failover")) {
            Map<String, Object> out = new LinkedHashMap<>();
            for (Map.Entry<String, FailoverController> e : controllers.entrySet()) {
                if (cluster == null || cluster.equals(e.getKey())) out.put(e.getKey(), e.getValue().status());
            }
            return out;
        }
        if (cluster == null) {
            throw new ActionException(400, action + " needs cluster=NAME");
        }
        FailoverController fc = controllers.get(cluster);
        if (fc == null) {
            throw new ActionException(409, "cluster " + cluster + " has failover.mode off: set it to manual or auto");
        }
        boolean dryRun = Boolean.parseBoolean(params.getOrDefault("dry_run", "false"));
        if (!post && !(action.equals("switchover") && dryRun)) {
            throw new ActionException(405, action + " changes the cluster: use POST");
        }
        switch (action) {
            case "switchover" -> {
                return fc.switchover(params.get("to"), Boolean.parseBoolean(params.getOrDefault("force", "false")), dryRun);
            }
            case "ack" -> {
                return fc.ack(params.getOrDefault("by", "operator"));
            }
            default -> {
                String node = params.get("node");
                if (node == null) throw new ActionException(400, "rejoin needs node=NAME");
                return fc.rejoin(node);
            }
        }
    }
}
