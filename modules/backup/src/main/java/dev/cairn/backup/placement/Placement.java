package dev.cairn.backup.placement;

import dev.cairn.spi.ModuleStatus;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Which node of a cluster runs a job, when every node has the same config: the node named by
 * the job's {@code node}, or with {@code on: leader} the node holding the cluster's first VIP
 * (read from the cluster module's status, the only view of it a module has); every other node
 * shows the job's state from the shared repository. Without a cluster module a {@code leader}
 * job runs on this node (a single-node install).
 */
public final class Placement {

    /** {@code on:} of a job. */
    public enum RunOn {
        ANY,
        LEADER
    }

    private Placement() {
    }

    /** Null when this node runs the job, else why another one does. */
    public static String whyNotHere(String node, RunOn on, String thisNode, Optional<ModuleStatus> cluster) {
        if (node != null) return node.equals(thisNode) ? null : "runs on node " + node;
        if (on != RunOn.LEADER || cluster.isEmpty()) return null;
        Object vips = cluster.get().details().get("vips");
        if (!(vips instanceof List<?> list) || list.isEmpty() || !(list.get(0) instanceof Map<?, ?> first)) {
            return "runs on the leader, and the cluster module reports no VIP";
        }
        if ("MASTER".equals(String.valueOf(first.get("state")))) return null;
        Object master = first.get("master");
        return "runs on the leader" + (master == null || "".equals(master) ? " (none elected yet)" : " " + master);
    }
}
