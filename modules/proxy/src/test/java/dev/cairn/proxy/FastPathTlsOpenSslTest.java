package dev.cairn.proxy;

/** Every HTTPS case of {@link FastPathTlsTest} (SNI, renewal under load, resumption, h2 by ALPN) on proxy.tls.engine: openssl. */
class FastPathTlsOpenSslTest extends FastPathTlsTest {

    @Override
    String engine() {
        return "openssl";
    }
}
