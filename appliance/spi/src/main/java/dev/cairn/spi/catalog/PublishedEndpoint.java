package dev.cairn.spi.catalog;

import java.util.Set;

/**
 * One endpoint of a module-owned service, with the health the owning module decided (for
 * replication: the node's role and lag, not an active check).
 *
 * @param name unique in the service; {@code host:port} when null
 * @param weight 0..256 as for config endpoints
 * @param lastCheck why it has this health, for operators
 */
public record PublishedEndpoint(String name, String host, int port, Health health, int weight,
                                Set<String> tags, String lastCheck) {

    public PublishedEndpoint {
        if (host == null || host.isBlank()) throw new IllegalArgumentException("host is required");
        if (port < 1 || port > 65535) throw new IllegalArgumentException("port " + port + " is out of range 1..65535");
        if (weight < 0 || weight > 256) throw new IllegalArgumentException("weight " + weight + " is out of range 0..256");
        if (health == null) throw new IllegalArgumentException("health is required");
        tags = Tags.ordered(tags);
        if (name == null || name.isBlank()) name = host.contains(":") ? "[" + host + "]:" + port : host + ":" + port;
        lastCheck = lastCheck == null ? "" : lastCheck;
    }

    /** An UP endpoint of weight 1 without tags. */
    public static PublishedEndpoint up(String name, String host, int port, String why) {
        return new PublishedEndpoint(name, host, port, Health.UP, 1, Set.of(), why);
    }
}
