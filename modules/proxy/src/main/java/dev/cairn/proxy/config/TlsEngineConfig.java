package dev.cairn.proxy.config;

import dev.cairn.spi.config.Doc;

/** {@code proxy.tls}: how every HTTPS listener does TLS. */
public record TlsEngineConfig(
        @Doc(value = "TLS implementation of every HTTPS listener: openssl (BoringSSL through netty-tcnative, about 2 to 4 times less CPU per handshake than the JDK's) or jdk (the JDK's SSLEngine). Certificates, SNI, reloads, versions, ciphers and session resumption are the same with both; openssl falls back to jdk, with a log line, when its native library cannot load (it is built for x86_64 Linux). Nothing native is loaded without an HTTPS listener.", dflt = "openssl", restart = true)
        Engine engine) {

    public enum Engine { JDK, OPENSSL }
}
