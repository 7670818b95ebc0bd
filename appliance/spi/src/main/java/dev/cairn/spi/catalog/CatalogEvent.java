package dev.cairn.spi.catalog;

/**
 * One change in the catalog.
 *
 * @param kind what changed
 * @param service the service concerned
 * @param before the endpoint before the change, null when added or for a whole-catalog reload
 * @param after the endpoint after the change, null when removed or for a whole-catalog reload
 */
public record CatalogEvent(Kind kind, String service, EndpointView before, EndpointView after) {

    public enum Kind {
        /** An active check moved an endpoint UP or DOWN. */
        HEALTH,
        /** An operator drained or enabled an endpoint, or changed its weight. */
        ADMIN,
        /** A config reload added, removed or changed services or endpoints. */
        RELOAD,
        /** A module published new endpoints or health for a service it owns. */
        PUBLISH
    }
}
