package dev.cairn.dist;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.core.testing.TestHost;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * proxy.tls.engine as the distribution runs it: BoringSSL (netty-tcnative) is mapped into the
 * process only once an HTTPS listener exists, so a config without one pays nothing for it.
 */
class TlsEngineIT {

    @TempDir
    Path dir;

    private static boolean nativeTlsMapped(long pid) throws Exception {
        return Files.readString(Path.of("/proc/" + pid + "/maps")).contains("tcnative");
    }

    /** An ECDSA P-256 certificate and key made with openssl, as certbot makes them by default. */
    private void certificate(Path cert, Path key) throws Exception {
        Process openssl = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                "-nodes", "-days", "2", "-subj", "/CN=www.cairn.test", "-keyout", key.toString(), "-out", cert.toString())
                .redirectErrorStream(true).start();
        openssl.getInputStream().readAllBytes();
        assertThat(openssl.waitFor()).as("openssl req").isZero();
    }

    @Test
    void theNativeEngineIsLoadedOnlyOnceAnHttpsListenerExists() throws Exception {
        int admin = TestHost.freePort();
        int plain = TestHost.freePort();
        int https = TestHost.freePort();
        Path key = dir.resolve("key.pem");
        Path cert = dir.resolve("cert.pem");
        certificate(cert, key);
        String head = "admin: { listen: \"127.0.0.1:" + admin + "\" }\n"
                + "services: { web: { endpoints: [ \"127.0.0.1:" + admin + "\" ] } }\n"
                + "proxy:\n  listeners:\n    - { name: plain, bind: \"127.0.0.1:" + plain + "\", routes: [ { service: web } ] }\n";
        Path config = dir.resolve("cairn.yml");
        Files.writeString(config, head);
        try (CairnProcess p = CairnProcess.start(dir, "run", "-c", config.toString())) {
            p.awaitHttp("http://127.0.0.1:" + admin + "/api/status");
            assertThat(nativeTlsMapped(p.pid())).as("BoringSSL mapped without an HTTPS listener").isFalse();

            Files.writeString(config, head + "    - name: secure\n      bind: \"127.0.0.1:" + https + "\"\n"
                    + "      tls: { certificates: [ { cert: " + cert + ", key: " + key + " } ] }\n      routes: [ { service: web } ]\n");
            p.signal("HUP");
            TestHost.await(Duration.ofSeconds(30), "the HTTPS listener on the openssl engine", () -> {
                try {
                    return p.stdout().contains("proxy listener secure on /127.0.0.1:" + https + " (https, TLS engine openssl)");
                } catch (java.io.IOException e) {
                    return false;
                }
            });
            assertThat(nativeTlsMapped(p.pid())).as("BoringSSL mapped for the HTTPS listener").isTrue();
        }
    }

    @Test
    void whereBoringSslCannotLoadTheListenerServesWithTheJdkAndSaysSo() throws Exception {
        int admin = TestHost.freePort();
        int https = TestHost.freePort();
        Path key = dir.resolve("key.pem");
        Path cert = dir.resolve("cert.pem");
        certificate(cert, key);
        Path config = dir.resolve("cairn.yml");
        Files.writeString(config, "admin: { listen: \"127.0.0.1:" + admin + "\" }\n"
                + "services: { web: { endpoints: [ \"127.0.0.1:" + admin + "\" ] } }\n"
                + "proxy:\n  listeners:\n    - name: secure\n      bind: \"127.0.0.1:" + https + "\"\n"
                + "      tls: { certificates: [ { cert: " + cert + ", key: " + key + " } ] }\n      routes: [ { service: web } ]\n");
        // netty's own switch makes the native library unavailable, as on a machine it was not built for.
        try (CairnProcess p = CairnProcess.start(dir, java.util.Map.of("CAIRN_JAVA_OPTS", "-Dio.netty.handler.ssl.noOpenSsl=true"),
                "run", "-c", config.toString())) {
            p.awaitHttp("http://127.0.0.1:" + admin + "/api/status");
            assertThat(p.stdout()).contains("proxy.tls.engine openssl: the native library cannot load")
                    .contains("proxy listener secure on /127.0.0.1:" + https + " (https, TLS engine jdk)");
            javax.net.ssl.SSLContext trustAll = javax.net.ssl.SSLContext.getInstance("TLS");
            trustAll.init(null, new javax.net.ssl.TrustManager[] {new javax.net.ssl.X509TrustManager() {
                @Override public void checkClientTrusted(java.security.cert.X509Certificate[] c, String a) { }
                @Override public void checkServerTrusted(java.security.cert.X509Certificate[] c, String a) { }
                @Override public java.security.cert.X509Certificate[] getAcceptedIssuers() { return new java.security.cert.X509Certificate[0]; }
            }}, null);
            try (javax.net.ssl.SSLSocket s = (javax.net.ssl.SSLSocket) trustAll.getSocketFactory().createSocket("127.0.0.1", https)) {
                s.startHandshake();
                assertThat(((java.security.cert.X509Certificate) s.getSession().getPeerCertificates()[0])
                        .getSubjectX500Principal().getName()).isEqualTo("CN=www.cairn.test");
            }
            assertThat(nativeTlsMapped(p.pid())).isFalse();
        }
    }
}
