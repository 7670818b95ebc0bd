package dev.cairn.backup.source;

import dev.cairn.spi.catalog.Catalog;
import dev.cairn.spi.catalog.EndpointView;
import dev.cairn.spi.catalog.Health;
import dev.cairn.spi.catalog.PublishedService;
import dev.cairn.spi.catalog.ServiceView;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The catalog as the replication module would have published it ({@code mysql-primary},
 * {@code mysql-replicas}), for source tests that run without a host: the replication module is
 * built on another branch. Only reads are served.
 */
public final class StaticCatalog implements Catalog {

    private final Map<String, List<EndpointView>> services = new LinkedHashMap<>();

    public StaticCatalog endpoint(String service, String host, int port, Health health) {
        services.computeIfAbsent(service, k -> new ArrayList<>()).add(new EndpointView(service, host + ":" + port, host, port,
                1, Set.of(), health, false, Instant.now(), "test"));
        return this;
    }

    @Override
    public List<ServiceView> services() {
        return services.entrySet().stream().map(e -> new ServiceView(e.getKey(), e.getValue())).toList();
    }

    @Override
    public Optional<ServiceView> service(String name) {
        return Optional.ofNullable(services.get(name)).map(l -> new ServiceView(name, l));
    }

    @Override
    public boolean markDown(String service, String endpoint, String reason) {
        return false;
    }

    @Override
    public boolean publish(PublishedService service) {
        return false;
    }

    @Override
    public Optional<Long> publishedEpoch(String service) {
        return Optional.empty();
    }

    @Override
    public Subscription subscribe(CatalogListener listener) {
        return () -> { };
    }
}
