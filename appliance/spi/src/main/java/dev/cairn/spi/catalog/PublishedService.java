package dev.cairn.spi.catalog;

import java.util.List;

/**
 * A service whose endpoints a module sets, e.g. replication's {@code mysql-primary}. The proxy,
 * DNS and every other module see it like a service from {@code services:}.
 *
 * <p>The epoch orders decisions that must not be undone by a stale decision-maker: the catalog
 * refuses a publication whose epoch is lower than the one it holds for that service. A module
 * that moves a primary bumps the epoch; updates within one epoch (health, lag) keep it.
 *
 * @param name the service's name, one the module declared in {@code Module.publishedServices}
 * @param epoch a number that only grows across decisions for this service (0 for "no decision yet")
 * @param endpoints the endpoints in the order the module ranks them
 */
public record PublishedService(String name, long epoch, List<PublishedEndpoint> endpoints) {

    public PublishedService {
        if (name == null || name.isBlank()) throw new IllegalArgumentException("name is required");
        if (epoch < 0) throw new IllegalArgumentException("epoch " + epoch + " is negative");
        endpoints = List.copyOf(endpoints);
        long distinct = endpoints.stream().map(PublishedEndpoint::name).distinct().count();
        if (distinct != endpoints.size()) throw new IllegalArgumentException("endpoint names repeat in " + name);
    }
}
