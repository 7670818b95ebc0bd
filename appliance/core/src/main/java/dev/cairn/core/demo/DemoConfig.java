package dev.cairn.core.demo;

import dev.cairn.spi.config.Doc;

/** {@code demo:} small built-in HTTP backends, so the default config has something to check and proxy to. */
public record DemoConfig(
        @Doc(value = "Catalog service whose loopback endpoints the demo backends listen on.", required = true)
        String service) {
}
