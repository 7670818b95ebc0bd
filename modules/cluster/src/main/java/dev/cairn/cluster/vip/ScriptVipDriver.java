package dev.cairn.cluster.vip;

import dev.cairn.cluster.DriverConfig;
import dev.cairn.cluster.VipConfig;
import java.io.IOException;
import java.util.Map;

/**
 * Runs operator commands instead of touching interfaces: on a cloud, moving a secondary private
 * IP or an elastic IP through the provider's CLI. The VIP is passed in CAIRN_VIP* variables.
 */
public final class ScriptVipDriver implements VipDriver {

    private final DriverConfig config;
    private final String node;

    public ScriptVipDriver(DriverConfig config, String node) {
        this.config = config;
        this.node = node;
    }

    @Override
    public void acquire(VipConfig vip) throws IOException {
        run(config.onMaster(), vip, "MASTER");
    }

    @Override
    public void release(VipConfig vip) throws IOException {
        run(config.onBackup(), vip, "BACKUP");
    }

    private void run(String command, VipConfig vip, String state) throws IOException {
        if (command == null || command.isBlank()) return;
        Commands.Result r = Commands.shell(command, env(vip, node, state), config.commandTimeout());
        if (!r.ok()) {
            throw new IOException("'" + command + "' exited " + r.exit() + ": " + r.output());
        }
    }

    /** The variables every hook sees. */
    public static Map<String, String> env(VipConfig vip, String node, String state) {
        return Map.of("CAIRN_VIP", vip.address(), "CAIRN_VIP_IP", vip.ip(), "CAIRN_VIP_PREFIX", Integer.toString(vip.prefix()),
                "CAIRN_VIP_DEV", vip.dev(), "CAIRN_VIP_LABEL", vip.label() == null ? "" : vip.label(), "CAIRN_NODE", node,
                "CAIRN_STATE", state);
    }
}
