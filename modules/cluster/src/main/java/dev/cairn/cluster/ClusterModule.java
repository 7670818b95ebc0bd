package dev.cairn.cluster;

import dev.cairn.spi.Module;
import dev.cairn.spi.ModuleContext;
import dev.cairn.spi.ModuleStatus;
import dev.cairn.spi.ValidationContext;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/** The {@code cluster:} section: which nodes share this config file. */
public final class ClusterModule implements Module<ClusterConfig> {

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,62}");

    private volatile ClusterConfig config;
    private volatile String node;

    @Override
    public String name() {
        return "cluster";
    }

    @Override
    public Class<ClusterConfig> configType() {
        return ClusterConfig.class;
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
            } else if (!addresses.add(n.address())) {
                ctx.problems().error(n, "address", "two nodes share address " + n.address());
            }
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
    public void start(ClusterConfig config, ModuleContext ctx) {
        this.config = config;
        this.node = ctx.nodeName();
    }

    @Override
    public void reload(ClusterConfig config, ModuleContext ctx) {
        this.config = config;
    }

    @Override
    public void stop() {
    }

    @Override
    public ModuleStatus status() {
        ClusterConfig c = config;
        if (c == null) return ModuleStatus.down("not started");
        return new ModuleStatus(true, "node " + node + " of cluster " + c.name() + " (" + c.nodes().size() + " nodes)",
                Map.of("nodes", c.nodes().stream().map(NodeConfig::name).toList()));
    }
}
