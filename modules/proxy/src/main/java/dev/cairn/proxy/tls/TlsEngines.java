package dev.cairn.proxy.tls;

import dev.cairn.proxy.config.TlsEngineConfig.Engine;
import java.security.GeneralSecurityException;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds the SSLContext of one HTTPS listener on the configured engine: the JDK's, or BoringSSL
 * through netty-tcnative ({@code proxy.tls.engine}), falling back to the JDK with a log line when
 * the native library cannot load. Both serve the listener's {@link CertificateStore}.
 */
public final class TlsEngines {

    private static final Logger log = LoggerFactory.getLogger(TlsEngines.class);
    private static volatile Boolean openSslLoads;

    private TlsEngines() {
    }

    /**
     * The context, and whether protocols and ciphers are already set on it (openssl: once per
     * context rather than on every engine); the JDK's engines get them from the socket options.
     */
    public record Chosen(SSLContext context, Engine engine, boolean protocolsAndCiphersSet) {
    }

    public static Chosen context(Engine wanted, CertificateStore store, String[] protocols, String[] ciphers, boolean h2)
            throws GeneralSecurityException {
        if (wanted == Engine.OPENSSL && openSslLoads()) {
            try {
                return new Chosen(OpenSslTls.context(store, protocols, ciphers, h2), Engine.OPENSSL, true);
            } catch (javax.net.ssl.SSLException | LinkageError e) {
                log.warn("proxy.tls.engine openssl: cannot build a TLS context ({}), using the JDK's TLS", e.toString());
            }
        }
        return new Chosen(store.sslContext(), Engine.JDK, false);
    }

    private static boolean openSslLoads() {
        Boolean loads = openSslLoads;
        if (loads == null) {
            synchronized (TlsEngines.class) {
                if (openSslLoads == null) {
                    Throwable why;
                    try {
                        why = OpenSslTls.unavailability();
                    } catch (LinkageError e) {
                        why = e;
                    }
                    if (why == null) {
                        log.info("proxy TLS: {} (proxy.tls.engine: openssl)", OpenSslTls.version());
                    } else {
                        log.warn("proxy.tls.engine openssl: the native library cannot load ({}), using the JDK's TLS", why.toString());
                    }
                    openSslLoads = why == null;
                }
                loads = openSslLoads;
            }
        }
        return loads;
    }
}
