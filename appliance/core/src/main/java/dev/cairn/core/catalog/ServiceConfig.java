package dev.cairn.core.catalog;

import dev.cairn.spi.config.Doc;
import java.util.List;

/** {@code services.NAME}: one service of the catalog. */
public record ServiceConfig(
        @Doc(value = "The service's endpoints: host:port, or a mapping with address, name, weight, tags.", required = true)
        List<EndpointConfig> endpoints,
        @Doc(value = "Active health check run against every endpoint; without it endpoints are always up.")
        CheckConfig check) {
}
