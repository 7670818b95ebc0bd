package dev.cairn.spi.catalog;

import java.util.List;

/** A snapshot of one service and its endpoints. */
public record ServiceView(String name, List<EndpointView> endpoints) {

    public ServiceView {
        endpoints = List.copyOf(endpoints);
    }

    /** Endpoints that may receive new traffic: up and not drained. */
    public List<EndpointView> available() {
        return endpoints.stream().filter(EndpointView::available).toList();
    }
}
