package dev.cairn.proxy.tls;

import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.OpenSslCachingX509KeyManagerFactory;
import io.netty.handler.ssl.OpenSslSessionContext;
import io.netty.handler.ssl.OpenSslSessionTicketKey;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.SupportedCipherSuiteFilter;
import java.security.KeyStore;
import java.security.Provider;
import java.security.SecureRandom;
import java.util.Arrays;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.KeyManagerFactorySpi;
import javax.net.ssl.ManagerFactoryParameters;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLContextSpi;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocketFactory;
import javax.net.ssl.SSLSessionContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;

/**
 * TLS through BoringSSL (netty-tcnative) behind the JDK's {@link SSLContext} API: the context's
 * engines are netty's OpenSSL engines, so Undertow's SslConduit, its ALPN listener and the fast
 * path use them unchanged. The certificate is chosen per handshake by the listener's
 * {@link CertificateStore} (SNI, renewals), as with the JDK; protocols, ciphers and ALPN are set
 * on the context once. Session resumption: TLS 1.3 and 1.2 tickets under a random key per
 * context, and BoringSSL's session cache for TLS 1.2 session ids. Only this class names netty's
 * types: it is loaded (and the native library with it) for an HTTPS listener on this engine only.
 */
final class OpenSslTls {

    private static final Provider PROVIDER = new Provider("Cairn-OpenSSL", "1.0", "BoringSSL through netty-tcnative") {
        private static final long serialVersionUID = 1L;
    };

    private OpenSslTls() {
    }

    /** Whether the native library loads on this machine; when not, why. */
    static Throwable unavailability() {
        try {
            return OpenSsl.isAvailable() ? null : OpenSsl.unavailabilityCause();
        } catch (LinkageError e) {
            return e;
        }
    }

    static String version() {
        return OpenSsl.versionString();
    }

    /** A server context over {@code store} with these protocols, ciphers (JDK names) and ALPN (h2 first, when on). */
    static SSLContext context(CertificateStore store, String[] protocols, String[] ciphers, boolean h2) throws SSLException {
        SslContextBuilder b = SslContextBuilder.forServer(new OpenSslCachingX509KeyManagerFactory(new StoreFactory(store)))
                .sslProvider(SslProvider.OPENSSL)
                .protocols(protocols)
                .ciphers(Arrays.asList(ciphers), SupportedCipherSuiteFilter.INSTANCE);
        if (h2) {
            b.applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
                    ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                    ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT, "h2", "http/1.1"));
        }
        SslContext ctx = b.build();
        // netty turns tickets off until keys are set (as the JDK's SSLEngine once did): one random
        // key per listener start, as nginx and HAProxy do without a configured key file.
        SecureRandom random = new SecureRandom();
        byte[] name = new byte[OpenSslSessionTicketKey.NAME_SIZE];
        byte[] hmac = new byte[OpenSslSessionTicketKey.HMAC_KEY_SIZE];
        byte[] aes = new byte[OpenSslSessionTicketKey.AES_KEY_SIZE];
        random.nextBytes(name);
        random.nextBytes(hmac);
        random.nextBytes(aes);
        ((OpenSslSessionContext) ctx.sessionContext()).setTicketKeys(new OpenSslSessionTicketKey(name, hmac, aes));
        return new Context(ctx);
    }

    /** The store as netty wants it: a KeyManagerFactory (netty caches each alias's native key; a renewal is a new alias). */
    private static final class StoreFactory extends KeyManagerFactory {
        StoreFactory(CertificateStore store) {
            super(new KeyManagerFactorySpi() {
                @Override
                protected void engineInit(KeyStore ks, char[] password) {
                }

                @Override
                protected void engineInit(ManagerFactoryParameters spec) {
                }

                @Override
                protected KeyManager[] engineGetKeyManagers() {
                    return new KeyManager[] {store};
                }
            }, PROVIDER, "CairnCertificateStore");
        }
    }

    private static final class Context extends SSLContext {
        Context(SslContext netty) {
            super(new Spi(netty), PROVIDER, "TLS");
        }
    }

    /** Engines from netty's context; no sockets (Undertow only asks for engines). */
    private static final class Spi extends SSLContextSpi {
        private final SslContext netty;

        Spi(SslContext netty) {
            this.netty = netty;
        }

        @Override
        protected void engineInit(KeyManager[] km, TrustManager[] tm, SecureRandom sr) {
        }

        @Override
        protected SSLSocketFactory engineGetSocketFactory() {
            throw new UnsupportedOperationException("the openssl engine serves SSLEngines only");
        }

        @Override
        protected SSLServerSocketFactory engineGetServerSocketFactory() {
            throw new UnsupportedOperationException("the openssl engine serves SSLEngines only");
        }

        @Override
        protected SSLEngine engineCreateSSLEngine() {
            return netty.newEngine(UnpooledByteBufAllocator.DEFAULT);
        }

        @Override
        protected SSLEngine engineCreateSSLEngine(String host, int port) {
            return netty.newEngine(UnpooledByteBufAllocator.DEFAULT, host, port);
        }

        @Override
        protected SSLSessionContext engineGetServerSessionContext() {
            return netty.sessionContext();
        }

        @Override
        protected SSLSessionContext engineGetClientSessionContext() {
            return null;
        }

        @Override
        protected SSLParameters engineGetDefaultSSLParameters() {
            return engineCreateSSLEngine().getSSLParameters();
        }

        @Override
        protected SSLParameters engineGetSupportedSSLParameters() {
            SSLEngine e = engineCreateSSLEngine();
            SSLParameters p = e.getSSLParameters();
            p.setCipherSuites(e.getSupportedCipherSuites());
            p.setProtocols(e.getSupportedProtocols());
            return p;
        }
    }
}
