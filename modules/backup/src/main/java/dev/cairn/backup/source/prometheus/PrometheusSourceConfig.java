package dev.cairn.backup.source.prometheus;

import dev.cairn.spi.config.Doc;
import java.nio.file.Path;
import java.time.Duration;

/**
 * {@code backup.jobs.<name>.source.prometheus}: a TSDB snapshot taken through Prometheus' admin
 * API ({@code --web.enable-admin-api}), read from its data directory, then deleted.
 */
public record PrometheusSourceConfig(
        @Doc(value = "Prometheus' base URL", required = true)
        String url,
        @Doc(value = "Prometheus' storage directory (`--storage.tsdb.path`) on this host: snapshots are read from its `snapshots/` directory", required = true)
        Path dataDir,
        @Doc(value = "leave the head block (the last ~2h not yet compacted) out of the snapshot", dflt = "false")
        boolean skipHead,
        @Doc(value = "a snapshot request or read taking longer than this fails the run", dflt = "10m")
        Duration timeout) {
}
