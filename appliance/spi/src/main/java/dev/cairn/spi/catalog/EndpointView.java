package dev.cairn.spi.catalog;

import java.time.Instant;
import java.util.Set;

/**
 * A snapshot of one endpoint of a service.
 *
 * @param service the service's name
 * @param name the endpoint's name, unique in the service (defaults to {@code host:port})
 * @param weight the effective weight (config or runtime override), 0..256 as in HAProxy
 * @param health UP or DOWN as decided by the active check with rise/fall
 * @param drained true while an operator has drained it: it takes no new traffic
 * @param since when {@code health} last changed
 * @param lastCheck a short description of the last check result, for operators
 */
public record EndpointView(
        String service,
        String name,
        String host,
        int port,
        int weight,
        Set<String> tags,
        Health health,
        boolean drained,
        Instant since,
        String lastCheck) {

    public EndpointView {
        tags = Tags.ordered(tags);
    }

    /** Up and not drained: may receive new requests. */
    public boolean available() {
        return health == Health.UP && !drained && weight > 0;
    }

    /** {@code host:port}, IPv6 hosts in brackets. */
    public String address() {
        return host.contains(":") ? "[" + host + "]:" + port : host + ":" + port;
    }
}
