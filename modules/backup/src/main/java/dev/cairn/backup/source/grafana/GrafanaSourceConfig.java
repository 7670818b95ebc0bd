package dev.cairn.backup.source.grafana;

import dev.cairn.spi.config.Doc;
import java.nio.file.Path;
import java.time.Duration;

/**
 * {@code backup.jobs.<name>.source.grafana}: dashboards, folders, data sources (without their
 * secrets) and alert rules through Grafana's HTTP API.
 */
public record GrafanaSourceConfig(
        @Doc(value = "Grafana's base URL", required = true)
        String url,
        @Doc(value = "file holding a service account token (Viewer is enough to back up, Admin to restore)", required = true)
        Path tokenFile,
        @Doc(value = "a request taking longer than this fails the run", dflt = "30s")
        Duration timeout) {
}
