package dev.cairn.proxy.config;

import dev.cairn.spi.config.DataSize;
import dev.cairn.spi.config.Doc;
import dev.cairn.spi.config.Range;

/** {@code proxy.limits}: request size and concurrency limits. */
public record LimitsConfig(
        @Doc(value = "Largest request body accepted (larger: connection closed, 413 when announced by Content-Length).", dflt = "100MiB", restart = true)
        DataSize maxBodySize,
        @Doc(value = "Largest request header block (request line + headers).", dflt = "32KiB", restart = true)
        DataSize maxHeaderSize,
        @Doc(value = "Most headers in one request.", dflt = "100", restart = true)
        @Range(min = 1, max = 10000)
        int maxHeaders,
        @Doc(value = "Concurrent requests per endpoint (0: unlimited), as HAProxy's server maxconn; the rest wait in the queue.", dflt = "0")
        @Range(min = 0, max = 1000000)
        int endpointMaxConnections,
        @Doc(value = "Requests that may wait for an endpoint slot, per service; beyond it 503 + Retry-After at once.", dflt = "1024")
        @Range(min = 0, max = 1000000)
        int queueSize,
        @Doc(value = "Client connections per listener (0: unlimited), as HAProxy's maxconn.", dflt = "0", restart = true)
        @Range(min = 0, max = 10000000)
        int maxConnections) {
}
