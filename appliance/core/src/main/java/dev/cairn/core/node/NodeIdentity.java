package dev.cairn.core.node;

import dev.cairn.spi.cluster.ClusterMembership;
import dev.cairn.spi.cluster.NodeSpec;
import java.io.IOException;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Decides which node of the cluster this process is: {@code --node NAME} when given, else the
 * one node whose address is on one of this machine's interfaces, else (no cluster) the host name.
 */
public final class NodeIdentity {

    private NodeIdentity() {
    }

    /** Thrown when the node cannot be told; the message says what to do. */
    public static final class UnknownNodeException extends Exception {
        public UnknownNodeException(String message) {
            super(message);
        }
    }

    public static String resolve(ClusterMembership cluster, String override) throws UnknownNodeException {
        return resolve(cluster, override, localAddresses());
    }

    static String resolve(ClusterMembership cluster, String override, Set<InetAddress> local) throws UnknownNodeException {
        if (override != null && !override.isBlank()) {
            return override;
        }
        if (cluster == null) {
            return hostName();
        }
        List<String> matches = new ArrayList<>();
        for (NodeSpec n : cluster.members()) {
            try {
                if (local.contains(InetAddress.getByName(n.address()))) {
                    matches.add(n.name());
                }
            } catch (IOException e) {
                // An unresolvable address is simply not ours.
            }
        }
        if (matches.size() == 1) {
            return matches.get(0);
        }
        if (matches.isEmpty()) {
            throw new UnknownNodeException("none of the cluster.nodes addresses is on this machine; "
                    + "start with --node NAME");
        }
        throw new UnknownNodeException("several cluster.nodes addresses are on this machine ("
                + String.join(", ", matches) + "); start with --node NAME");
    }

    public static Set<InetAddress> localAddresses() {
        Set<InetAddress> out = new HashSet<>();
        try {
            for (NetworkInterface nif : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                out.addAll(Collections.list(nif.getInetAddresses()));
            }
        } catch (SocketException e) {
            // No interfaces readable: no address matches, the error message says to use --node.
        }
        return out;
    }

    static String hostName() {
        try {
            String h = Files.readString(Path.of("/etc/hostname")).trim();
            if (!h.isEmpty()) return h;
        } catch (IOException e) {
            // fall through
        }
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "localhost";
        }
    }
}
