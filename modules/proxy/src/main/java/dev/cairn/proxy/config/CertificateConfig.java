package dev.cairn.proxy.config;

import dev.cairn.spi.config.Doc;
import java.nio.file.Path;

/** One certificate: PEM chain + key (certbot's fullchain.pem / privkey.pem) or a PKCS12 file. */
public record CertificateConfig(
        @Doc(value = "PEM certificate chain, leaf first (certbot's fullchain.pem).")
        Path cert,
        @Doc(value = "PEM private key, PKCS#8 or PKCS#1 RSA (certbot's privkey.pem).")
        Path key,
        @Doc(value = "PKCS12 keystore holding the key and chain (instead of cert and key).")
        Path pkcs12,
        @Doc(value = "File with the PKCS12 password (empty password when absent).")
        Path passwordFile) {

    public CertificateConfig {
        boolean pem = cert != null || key != null;
        if (pem && pkcs12 != null) {
            throw new IllegalArgumentException("give either cert + key or pkcs12, not both");
        }
        if (pkcs12 == null && (cert == null || key == null)) {
            throw new IllegalArgumentException("a certificate needs cert and key (PEM) or pkcs12");
        }
    }
}
