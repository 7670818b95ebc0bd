package dev.cairn.proxy.config;

import dev.cairn.spi.config.Doc;
import java.util.List;

/** {@code proxy.listeners[].tls}: the certificates of an HTTPS listener, chosen by SNI. */
public record TlsConfig(
        @Doc(value = "Certificates; the first is the default when SNI names none of them. Reloaded from disk when the files change.", required = true)
        List<CertificateConfig> certificates,
        @Doc(value = "Lowest TLS version accepted: TLSv1.2 or TLSv1.3.", dflt = "TLSv1.2")
        String minVersion) {

    public TlsConfig {
        if (certificates.isEmpty()) {
            throw new IllegalArgumentException("tls needs at least one certificate");
        }
        if (!minVersion.equals("TLSv1.2") && !minVersion.equals("TLSv1.3")) {
            throw new IllegalArgumentException("min_version '" + minVersion + "' must be TLSv1.2 or TLSv1.3");
        }
    }
}
