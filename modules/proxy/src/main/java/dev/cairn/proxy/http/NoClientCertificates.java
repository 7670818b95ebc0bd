package dev.cairn.proxy.http;

import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.SSLSessionInfo;
import io.undertow.server.ServerConnection;
import java.io.IOException;
import java.security.cert.Certificate;
import javax.net.ssl.SSLSession;
import org.xnio.SslClientAuthMode;

/**
 * The TLS session of a client connection as Undertow's full path sees it, for listeners that never
 * ask for a client certificate (Cairn's do not): there is none to find, so none is looked for.
 * Undertow's {@code ProxyHandler} asks every request's session for the client's certificates, and
 * Undertow's session info answers "none" by throwing two exceptions (the JDK's
 * {@code SSLPeerUnverifiedException}, then Undertow's {@code RenegotiationRequiredException}),
 * each filling in a stack trace of some 25 frames: two per request on HTTP/2 (a new session info per
 * stream) and on the full path's HTTPS, found by a JFR exception recording under h2load.
 * Everything else is the connection's own session. Immutable.
 */
final class NoClientCertificates implements SSLSessionInfo {

    private static final Certificate[] NONE = new Certificate[0];
    @SuppressWarnings({"deprecation", "removal"})
    private static final javax.security.cert.X509Certificate[] NO_CHAIN = new javax.security.cert.X509Certificate[0];

    private final SSLSessionInfo session;

    private NoClientCertificates(SSLSessionInfo session) {
        this.session = session;
    }

    /** {@code next}, with the exchange's TLS session info (if any) answering "no client certificate" at once. */
    static HttpHandler wrapping(HttpHandler next) {
        return ex -> {
            wrap(ex);
            next.handleRequest(ex);
        };
    }

    static void wrap(HttpServerExchange ex) {
        ServerConnection c = ex.getConnection();
        SSLSessionInfo info = c.getSslSessionInfo();
        // HTTP/1.1 keeps one connection object (wrapped once); HTTP/2 has one per stream.
        if (info != null && !(info instanceof NoClientCertificates)) c.setSslSessionInfo(new NoClientCertificates(info));
    }

    @Override
    public byte[] getSessionId() {
        return session.getSessionId();
    }

    @Override
    public String getCipherSuite() {
        return session.getCipherSuite();
    }

    @Override
    public int getKeySize() {
        return session.getKeySize();
    }

    @Override
    public Certificate[] getPeerCertificates() {
        return NONE;
    }

    @Override
    @SuppressWarnings({"deprecation", "removal"})
    public javax.security.cert.X509Certificate[] getPeerCertificateChain() {
        return NO_CHAIN;
    }

    @Override
    public void renegotiate(HttpServerExchange exchange, SslClientAuthMode mode) throws IOException {
        session.renegotiate(exchange, mode);
    }

    @Override
    public SSLSession getSSLSession() {
        return session.getSSLSession();
    }

    @Override
    public String getSecureProtocol() {
        return session.getSecureProtocol();
    }
}
