package dev.cairn.proxy.config;

import dev.cairn.spi.config.Doc;
import dev.cairn.spi.config.Range;
import java.nio.file.Path;

/** {@code proxy.listeners[].routes[]}: requests matching host and path go to a catalog service. */
public record RouteConfig(
        @Doc(value = "Host to match: exact name, *.example.org, or * for any.", dflt = "\"*\"")
        String host,
        @Doc(value = "Path prefix to match (whole segments: /api matches /api and /api/x, not /apix).", dflt = "/")
        String path,
        @Doc(value = "Catalog service to balance across; may be omitted when static serves everything.")
        String service,
        @Doc(value = "roundrobin (weighted), leastconn, source (client address hash) or first (first available in order).", dflt = "roundrobin")
        Balance balance,
        @Doc(value = "Insert a signed cookie that keeps a client on one endpoint while it is available.", dflt = "false")
        boolean sticky,
        @Doc(value = "While this file exists every request gets 503 with it as the HTML body.")
        Path maintenanceFile,
        @Doc(value = "Serve files from a directory under a path prefix, with ETag, Last-Modified and Range.")
        StaticConfig staticFiles,
        @Doc(value = "Extra attempts on another endpoint after a connect failure (any method) or a reset before the response (idempotent methods).", dflt = "2")
        @Range(min = 0, max = 10)
        int retries) {

    public enum Balance { ROUNDROBIN, LEASTCONN, SOURCE, FIRST }

    public RouteConfig {
        if (!path.startsWith("/")) {
            throw new IllegalArgumentException("route path '" + path + "' must start with /");
        }
        if (host.isBlank()) {
            throw new IllegalArgumentException("route host must not be empty (use \"*\" for any host)");
        }
        if (service == null && staticFiles == null) {
            throw new IllegalArgumentException("a route needs a service or static_files");
        }
    }
}
