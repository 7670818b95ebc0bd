package dev.cairn.cluster;

import dev.cairn.cluster.advert.AdvertCodec;
import dev.cairn.cluster.election.ClusterMetrics;
import dev.cairn.cluster.election.VipElection;
import dev.cairn.cluster.vip.LinuxVipDriver;
import dev.cairn.cluster.vip.ScriptVipDriver;
import dev.cairn.cluster.vip.VipDriver;
import dev.cairn.spi.Module;
import dev.cairn.spi.ModuleContext;
import dev.cairn.spi.ModuleStatus;
import dev.cairn.spi.ValidationContext;
import dev.cairn.spi.config.HostPort;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The {@code cluster:} section: which nodes share this config file (the host asks it who this
 * node is) and the election that moves virtual IPs between them, replacing keepalived.
 */
public final class ClusterModule implements Module<ClusterConfig> {

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,62}");

    private volatile ClusterConfig config;
    private volatile String node;
    private volatile VipElection election;
    private ClusterMetrics metrics;

    @Override
    public String name() {
        return "cluster";
    }

    @Override
    public Class<ClusterConfig> configType() {
        return ClusterConfig.class;
    }

    @Override
    public List<ClusterErrors> errors() {
        return List.of(ClusterErrors.values());
    }

    @Override
    public void validate(ClusterConfig config, ValidationContext ctx) {
        Set<String> names = new HashSet<>();
        Set<String> addresses = new HashSet<>();
        if (config.nodes().isEmpty()) {
            ctx.problems().error(config, "nodes", "a cluster needs at least one node");
        }
        for (NodeConfig n : config.nodes()) {
            if (!NAME.matcher(n.name()).matches()) {
                ctx.problems().error(n, "name", "'" + n.name() + "' is not a valid node name (letters, digits, _ . -)");
            } else if (!names.add(n.name())) {
                ctx.problems().error(n, "name", "duplicate node name '" + n.name() + "'");
            }
            if (!isIpLiteral(n.address())) {
                ctx.problems().error(n, "address", "'" + n.address() + "' is not an IP address");
            } else if (!addresses.add(n.address() + ":" + config.portOf(n))) {
                ctx.problems().error(n, "address", "two nodes share address " + n.address() + " and port " + config.portOf(n));
            }
        }
        if (config.secretFile() == null) {
            if (config.nodes().size() > 1) {
                ctx.problems().error(config, "secret_file", "a cluster of " + config.nodes().size()
                        + " nodes needs secret_file: adverts are authenticated with it (HMAC-SHA256)");
            }
        } else {
            try {
                AdvertCodec.readSecrets(ctx.resolve(config.secretFile()));
            } catch (IOException e) {
                ctx.problems().error(config, "secret_file", "cannot use " + ctx.resolve(config.secretFile()) + ": " + e.getMessage());
            }
        }
        Set<String> vipAddresses = new HashSet<>();
        for (VipConfig v : config.vips()) {
            if (!vipAddresses.add(v.ip())) {
                ctx.problems().error(v, "address", "VIP " + v.ip() + " is listed twice");
            }
            if (config.nodes().stream().anyMatch(n -> n.address().equals(v.ip()))) {
                ctx.problems().error(v, "address", v.ip() + " is a node's own address, not a virtual IP");
            }
            if (v.dev().isBlank() || !v.dev().matches("[A-Za-z0-9_.@:-]{1,15}")) {
                ctx.problems().error(v, "dev", "'" + v.dev() + "' is not an interface name");
            }
            for (String n : v.nodes()) {
                if (!names.contains(n)) {
                    ctx.problems().error(v, "nodes", "no node named '" + n + "' in cluster.nodes");
                }
            }
        }
        for (TrackConfig t : config.track()) {
            if (t.service() != null && !ctx.serviceNames().contains(t.service())) {
                ctx.problems().error(t, "service", "no service named '" + t.service() + "' in services:");
            }
            if (t.module() != null && (t.module().equals("cluster") || !NAME.matcher(t.module()).matches())) {
                ctx.problems().error(t, "module", "'" + t.module() + "' cannot be tracked");
            }
        }
        QuorumMode q = config.quorum();
        if (q == QuorumMode.MAJORITY && config.nodes().size() < 3) {
            ctx.problems().error(config, "quorum", "majority needs 3 or more nodes (with " + config.nodes().size()
                    + " the VIP would go down with any node): use witness or none");
        }
        if (q == QuorumMode.WITNESS && (config.witness() == null || config.witness().isBlank())) {
            ctx.problems().error(config, "witness", "quorum witness needs a witness address (an IP to ping or host:port)");
        }
        if (config.witness() != null && !config.witness().isBlank()) {
            String w = config.witness();
            boolean ok = isIpLiteral(w);
            if (!ok) {
                try {
                    ok = HostPort.parse(w).port() > 0;
                } catch (IllegalArgumentException e) {
                    ok = false;
                }
            }
            if (!ok) ctx.problems().error(config, "witness", "'" + w + "' is neither an IP address nor host:port");
            if (q == QuorumMode.MAJORITY || q == QuorumMode.NONE) {
                ctx.problems().error(config, "witness", "a witness is only used with quorum witness (or auto)");
            }
        }
        DriverConfig d = config.driver();
        if (d.type() == DriverConfig.DriverType.SCRIPT && (d.onMaster() == null || d.onMaster().isBlank())) {
            ctx.problems().error(d, "on_master", "the script driver needs on_master (and usually on_backup)");
        }
        if (d.type() != DriverConfig.DriverType.SCRIPT && (d.onMaster() != null || d.onBackup() != null)) {
            ctx.problems().error(d, "type", "on_master / on_backup are used only with type: script");
        }
    }

    private static boolean isIpLiteral(String s) {
        if (!s.matches("[0-9.]+|[0-9a-fA-F:]+")) return false;
        try {
            InetAddress.getByName(s);
            return true;
        } catch (UnknownHostException e) {
            return false;
        }
    }

    @Override
    public void start(ClusterConfig config, ModuleContext ctx) throws IOException {
        this.config = config;
        this.node = ctx.nodeName();
        if (config.node(node) == null) {
            throw new IllegalStateException("this node '" + node + "' is not in cluster.nodes");
        }
        if (config.driver().type() == DriverConfig.DriverType.LINUX && !config.vips().isEmpty()) {
            // ip addr add/del needs CAP_NET_ADMIN, gratuitous ARP (arping) CAP_NET_RAW: say which is missing now,
            // not as "Operation not permitted" at the first takeover.
            List<String> missing = dev.cairn.spi.Capabilities.missing("CAP_NET_ADMIN", "CAP_NET_RAW");
            if (!missing.isEmpty()) {
                throw new IllegalStateException(ClusterErrors.CAPABILITY_MISSING.id() + ": missing capability " + String.join(", ", missing)
                        + ": the linux driver needs CAP_NET_ADMIN to add and remove VIPs and CAP_NET_RAW for gratuitous ARP"
                        + " (the packaged unit grants both; with driver type none or script it needs neither)");
            }
        }
        this.metrics = new ClusterMetrics(ctx.metrics());
        VipDriver driver = switch (config.driver().type()) {
            case LINUX -> new LinuxVipDriver(config.driver());
            case SCRIPT -> new ScriptVipDriver(config.driver(), node);
            case NONE -> VipDriver.NONE;
        };
        VipElection e = new VipElection(config, node, codec(config, ctx), driver, metrics, ctx::configHash,
                t -> t.service() != null
                        ? ctx.catalog().service(t.service()).map(s -> !s.available().isEmpty()).orElse(false)
                        : ctx.moduleStatus(t.module()).map(ModuleStatus::healthy).orElse(false));
        this.election = e;
        e.start();
    }

    private static AdvertCodec codec(ClusterConfig config, ModuleContext ctx) throws IOException {
        if (config.secretFile() == null) {
            // A one-node cluster sends no adverts; the key only keeps the codec uniform.
            return new AdvertCodec(List.of(("single-node:" + config.name()).getBytes(StandardCharsets.UTF_8)));
        }
        Path p = ctx.configDir().resolve(config.secretFile()).normalize();
        return new AdvertCodec(AdvertCodec.readSecrets(p));
    }

    @Override
    public void reload(ClusterConfig next, ModuleContext ctx) throws Exception {
        ClusterConfig prev = config;
        NodeConfig was = prev.node(node);
        NodeConfig now = next.node(node);
        if (now == null) {
            throw new IllegalArgumentException("this node '" + node + "' was removed from cluster.nodes: stop it instead");
        }
        if (!was.address().equals(now.address()) || prev.portOf(was) != next.portOf(now)) {
            throw new IllegalArgumentException("this node's address or advert port changed: restart to apply");
        }
        if (!prev.driver().equals(next.driver())) {
            throw new IllegalArgumentException("cluster.driver changed: restart to apply");
        }
        // Re-reading the secret here is what makes rotation work without a restart.
        AdvertCodec codec = codec(next, ctx);
        election.reconfigure(next, codec);
        this.config = next;
    }

    @Override
    public void stop() {
        VipElection e = election;
        election = null;
        if (e != null) e.close();
        if (metrics != null) {
            metrics.close();
            metrics = null;
        }
    }

    @Override
    public ModuleStatus status() {
        ClusterConfig c = config;
        VipElection e = election;
        if (c == null || e == null) return ModuleStatus.down("not started");
        VipElection.Snapshot s = e.snapshot();
        long up = s.nodes().stream().filter(n -> Boolean.TRUE.equals(n.get("up"))).count();
        StringBuilder summary = new StringBuilder("node " + node + " of " + c.name() + ": " + up + "/" + c.nodes().size() + " nodes up");
        for (Map<String, Object> v : s.vips()) {
            summary.append("; ").append(v.get("vip")).append(' ').append(v.get("state"));
            if (!"".equals(v.get("master")) && !node.equals(v.get("master"))) summary.append(" (master ").append(v.get("master")).append(')');
        }
        if (s.hashMismatches() > 0) summary.append("; CONFIG DIFFERS on ").append(s.hashMismatches()).append(" peer(s)");
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("node", node);
        details.put("quorum", s.quorum());
        details.put("nodes", s.nodes());
        details.put("vips", s.vips());
        details.put("config_hash_mismatches", s.hashMismatches());
        if (s.witness() != null) details.put("witness", s.witness());
        details.put("adverts", s.adverts());
        boolean healthy = s.quorumOk() && s.hashMismatches() == 0
                && s.vips().stream().noneMatch(v -> "FAULT".equals(v.get("state")) || v.containsKey("driver_error"));
        return new ModuleStatus(healthy, summary.toString(), details);
    }

    /** For tests: the running election, or null. */
    VipElection election() {
        return election;
    }
}
