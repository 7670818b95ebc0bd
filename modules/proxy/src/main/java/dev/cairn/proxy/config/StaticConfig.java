package dev.cairn.proxy.config;

import dev.cairn.spi.config.Doc;
import java.nio.file.Path;

/** {@code routes[].static_files}: a directory served under a path prefix, as nginx's {@code location /static { alias DIR; }}. */
public record StaticConfig(
        @Doc(value = "Directory the files are served from.", required = true)
        Path root,
        @Doc(value = "Path prefix mapped to root (stripped: /static/app.css is ROOT/app.css).", dflt = "/static")
        String prefix) {

    public StaticConfig {
        if (!prefix.startsWith("/")) {
            throw new IllegalArgumentException("static prefix '" + prefix + "' must start with /");
        }
    }
}
