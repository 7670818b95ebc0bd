package dev.cairn.proxy.config;

import dev.cairn.spi.config.Doc;

/** {@code proxy.access_log}: one line per request on logger {@code cairn.proxy.access}. */
public record AccessLogConfig(
        @Doc(value = "Write the access log.", dflt = "true")
        boolean enabled,
        @Doc(value = "json (one object per line) or combined (Apache/nginx combined + upstream and timings).", dflt = "json")
        Format format) {

    public enum Format { JSON, COMBINED }
}
