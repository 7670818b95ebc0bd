package dev.cairn.core.config;

import dev.cairn.spi.config.Doc;
import dev.cairn.spi.config.HostPort;
import java.nio.file.Path;

/** {@code admin:} the admin API and status page listener. */
public record AdminConfig(
        @Doc(value = "Address of the admin API and status page; port 0 picks a free port; a change opens the new listener before the old one closes.", dflt = "127.0.0.1:9000", restart = true)
        HostPort listen,
        @Doc(value = "File holding the bearer token the API requires; mandatory when listen is not loopback.")
        Path tokenFile) {

    public static final HostPort DEFAULT_LISTEN = new HostPort("127.0.0.1", 9000);
}
