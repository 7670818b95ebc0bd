package dev.cairn.core.catalog;

import dev.cairn.spi.config.Doc;
import dev.cairn.spi.config.HostPort;
import dev.cairn.spi.config.Range;
import dev.cairn.spi.config.Scalar;
import java.util.Set;

/** {@code services.NAME.endpoints[]}: one endpoint, written as {@code host:port} or as a mapping. */
public record EndpointConfig(
        @Doc(value = "host:port of the endpoint.", required = true)
        @Scalar
        HostPort address,
        @Doc(value = "Name unique in the service, used by the admin API; defaults to host:port.")
        String name,
        @Doc(value = "Relative share of traffic, 0..256 (0: no new traffic), as HAProxy's weight.", dflt = "1")
        @Range(min = 0, max = 256)
        int weight,
        @Doc(value = "Free-form tags, for modules that select endpoints by tag.")
        Set<String> tags) {

    public EndpointConfig {
        if (address.port() == 0) {
            throw new IllegalArgumentException("port 0 is out of range 1..65535");
        }
        if (address.host().isEmpty()) {
            throw new IllegalArgumentException("an endpoint needs a host (write host:port)");
        }
    }

    /** The name the admin API and metrics use. */
    public String effectiveName() {
        return name == null || name.isBlank() ? address.toString() : name;
    }
}
