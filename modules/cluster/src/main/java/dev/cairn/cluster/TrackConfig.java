package dev.cairn.cluster;

import dev.cairn.spi.config.Doc;
import dev.cairn.spi.config.Range;

/** {@code cluster.track[]}: a health this node's VIP priority depends on (keepalived's track_script). */
public record TrackConfig(
        @Doc(value = "A catalog service: healthy while at least one of its endpoints is available.")
        String service,
        @Doc(value = "A local module (e.g. proxy): healthy while its status is healthy.")
        String module,
        @Doc(value = "Added to the priority while unhealthy (negative); 0 puts the node in FAULT instead.", dflt = "0")
        @Range(min = -253, max = 0)
        int weight,
        @Doc(value = "Consecutive healthy samples (one per advert interval) before it counts as healthy again.", dflt = "2")
        @Range(min = 1, max = 100)
        int rise,
        @Doc(value = "Consecutive unhealthy samples before it counts as unhealthy.", dflt = "2")
        @Range(min = 1, max = 100)
        int fall) {

    public TrackConfig {
        if ((service == null) == (module == null)) {
            throw new IllegalArgumentException("give exactly one of service or module");
        }
    }

    /** For logs and status. */
    public String what() {
        return service != null ? "service " + service : "module " + module;
    }
}
