package dev.cairn.proxy.tls;

import io.undertow.protocols.alpn.ALPNProvider;
import javax.net.ssl.SSLEngine;

/**
 * ALPN for Undertow's ALPN listener over netty's OpenSSL engines, which choose the protocol from
 * their context's list (h2, http/1.1) rather than through the JDK's per-engine selector. Names no
 * netty type: with the JDK engine it is never used and loads nothing.
 */
public final class OpenSslAlpnProvider implements ALPNProvider {

    /** Above Undertow's JDK provider (200), which would call the selector netty does not have. */
    static final int PRIORITY = 1_000;

    @Override
    public boolean isEnabled(SSLEngine engine) {
        return engine.getClass().getName().startsWith("io.netty.handler.ssl.");
    }

    @Override
    public SSLEngine setProtocols(SSLEngine engine, String[] protocols) {
        return engine; // set on the context
    }

    @Override
    public String getSelectedProtocol(SSLEngine engine) {
        return engine.getApplicationProtocol();
    }

    @Override
    public int getPriority() {
        return PRIORITY;
    }
}
