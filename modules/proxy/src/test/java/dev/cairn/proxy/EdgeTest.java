package dev.cairn.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.core.testing.TestHost;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What nginx did at the edge: TLS with SNI and renewals, https redirect, maintenance page, static files, deny. */
class EdgeTest {

    @TempDir
    Path dir;

    static void run(Path cwd, String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).directory(cwd.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(String.join(" ", cmd) + "\n" + out).isZero();
    }

    /** A self-signed PEM pair for {@code cn} written as certbot would (fullchain.pem, privkey.pem). */
    static void pem(Path dir, String cn, String prefix) throws Exception {
        run(dir, "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                "-subj", "/CN=" + cn, "-addext", "subjectAltName=DNS:" + cn,
                "-keyout", prefix + "privkey.pem", "-out", prefix + "fullchain.pem");
    }

    /** Trusts any certificate and skips host name checks: the test asserts which certificate came. */
    static final TrustManager[] TRUST_ALL = {new javax.net.ssl.X509ExtendedTrustManager() {
        public void checkClientTrusted(X509Certificate[] c, String a) { }

        public void checkServerTrusted(X509Certificate[] c, String a) { }

        public void checkClientTrusted(X509Certificate[] c, String a, java.net.Socket s) { }

        public void checkServerTrusted(X509Certificate[] c, String a, java.net.Socket s) { }

        public void checkClientTrusted(X509Certificate[] c, String a, javax.net.ssl.SSLEngine e) { }

        public void checkServerTrusted(X509Certificate[] c, String a, javax.net.ssl.SSLEngine e) { }

        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }};

    /** Handshakes with SNI {@code name}; returns the CN the server presented and the protocol. */
    static String[] handshake(int port, String name, String... protocols) throws Exception {
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, TRUST_ALL, null);
        try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket("127.0.0.1", port)) {
            SSLParameters p = s.getSSLParameters();
            p.setServerNames(List.of(new SNIHostName(name)));
            if (protocols.length > 0) p.setProtocols(protocols);
            s.setSSLParameters(p);
            s.setSoTimeout(5000);
            s.startHandshake();
            X509Certificate c = (X509Certificate) s.getSession().getPeerCertificates()[0];
            return new String[] {c.getSubjectX500Principal().getName(), s.getSession().getProtocol()};
        }
    }

    @Test
    void httpsChoosesCertificateBySniAndReloadsRenewedFiles() throws Exception {
        pem(dir, "shop.example", "shop-");
        pem(dir, "blog.example", "blog-");
        // The blog certificate as PKCS12, as some operators have it.
        run(dir, "openssl", "pkcs12", "-export", "-in", "blog-fullchain.pem", "-inkey", "blog-privkey.pem",
                "-out", "blog.p12", "-passout", "pass:secret");
        Files.writeString(dir.resolve("p12.pass"), "secret\n");
        try (TestBackend a = new TestBackend("a");
             ProxyFixture f = new ProxyFixture(dir, "services:\n" + ProxyFixture.service("web", null, a.address())
                     + "proxy:\n  listeners:\n    - name: tls\n      bind: 127.0.0.1:0\n      tls:\n        certificates:\n"
                     + "          - { cert: shop-fullchain.pem, key: shop-privkey.pem }\n"
                     + "          - { pkcs12: blog.p12, password_file: p12.pass }\n"
                     + "      routes: [ { service: web } ]\n", false)) {
            int port = f.proxy.listenerAddress("tls").getPort();
            assertThat(handshake(port, "shop.example")[0]).isEqualTo("CN=shop.example");
            assertThat(handshake(port, "blog.example")[0]).isEqualTo("CN=blog.example");
            assertThat(handshake(port, "other.example")[0]).isEqualTo("CN=shop.example"); // first is the default
            assertThat(handshake(port, "shop.example", "TLSv1.3")[1]).isEqualTo("TLSv1.3");
            // TLS 1.1 is refused.
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> handshake(port, "shop.example", "TLSv1.1"))
                    .isInstanceOf(javax.net.ssl.SSLException.class);

            // HTTP/2 over ALPN and a request through the proxy.
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, TRUST_ALL, null);
            HttpClient h2 = HttpClient.newBuilder().sslContext(ctx).version(HttpClient.Version.HTTP_2).build();
            HttpResponse<String> r = h2.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + port + "/")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).isEqualTo("a");
            assertThat(r.version()).isEqualTo(HttpClient.Version.HTTP_2);

            // certbot renews: new files in place. An open TLS connection keeps working meanwhile.
            SSLSocket open = (SSLSocket) ctx.getSocketFactory().createSocket("127.0.0.1", port);
            open.startHandshake();
            run(dir, "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=shop.example/O=Renewed", "-addext", "subjectAltName=DNS:shop.example",
                    "-keyout", "new-privkey.pem", "-out", "new-fullchain.pem");
            Files.move(dir.resolve("new-privkey.pem"), dir.resolve("shop-privkey.pem"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            Files.move(dir.resolve("new-fullchain.pem"), dir.resolve("shop-fullchain.pem"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            TestHost.await(Duration.ofSeconds(15), "renewed certificate served",
                    () -> {
                        try {
                            return handshake(port, "shop.example")[0].contains("O=Renewed");
                        } catch (Exception e) {
                            return false;
                        }
                    });
            open.getOutputStream().write("GET / HTTP/1.1\r\nHost: shop.example\r\n\r\n".getBytes());
            open.setSoTimeout(5000);
            byte[] buf = new byte[12];
            assertThat(new String(buf, 0, open.getInputStream().readNBytes(buf, 0, 12))).isEqualTo("HTTP/1.1 200");
            open.close();

            // Over TLS (HTTP/1.1 by ALPN fallback) a folded header is refused like in clear text.
            try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket("127.0.0.1", port)) {
                s.setSoTimeout(5000);
                s.getOutputStream().write("GET / HTTP/1.1\r\nHost: shop.example\r\nX-A: a\r\n\tInjected: b\r\n\r\n".getBytes());
                assertThat(new String(buf, 0, s.getInputStream().readNBytes(buf, 0, 12))).isEqualTo("HTTP/1.1 400");
            }
        }
    }

    @Test
    void plainListenerRedirectsToHttps() throws Exception {
        try (TestBackend a = new TestBackend("a");
             ProxyFixture f = new ProxyFixture(dir, "services:\n" + ProxyFixture.service("web", null, a.address())
                     + "proxy:\n  listeners:\n    - name: plain\n      bind: 127.0.0.1:0\n      redirect_https: true\n"
                     + "      redirect_https_port: 8443\n", false)) {
            try (RawHttp c = new RawHttp(f.proxy.listenerAddress("plain").getPort())) {
                RawHttp.Response r = c.exchange("GET /cart?id=3 HTTP/1.1\r\nHost: shop.example:8080\r\n\r\n");
                assertThat(r.status()).isEqualTo(308);
                assertThat(r.header("Location")).isEqualTo("https://shop.example:8443/cart?id=3");
            }
            assertThat(a.hits.get()).isZero();
        }
    }

    @Test
    void maintenanceFileTogglesA503Page() throws Exception {
        Path page = dir.resolve("maintenance_on.html");
        try (TestBackend a = new TestBackend("a");
             ProxyFixture f = new ProxyFixture(dir, "services:\n" + ProxyFixture.service("web", null, a.address())
                     + "proxy:\n  listeners:\n    - name: web\n      bind: 127.0.0.1:0\n      routes:\n"
                     + "        - { service: web, maintenance_file: maintenance_on.html }\n", false)) {
            assertThat(f.get(f.base("web") + "/").statusCode()).isEqualTo(200);
            Files.writeString(page, "<h1>Back soon</h1>");
            TestHost.await(Duration.ofSeconds(5), "maintenance on", () -> status(f) == 503);
            HttpResponse<String> r = f.get(f.base("web") + "/");
            assertThat(r.body()).isEqualTo("<h1>Back soon</h1>");
            assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("text/html"));
            Files.delete(page);
            TestHost.await(Duration.ofSeconds(5), "maintenance off", () -> status(f) == 200);
        }
    }

    private static int status(ProxyFixture f) {
        try {
            return f.get(f.base("web") + "/").statusCode();
        } catch (Exception e) {
            return -1;
        }
    }

    @Test
    void staticFilesAreServedWithValidatorsAndRanges() throws Exception {
        Files.createDirectories(dir.resolve("assets"));
        Files.writeString(dir.resolve("assets/app.css"), "body { color: teal; }\n");
        try (TestBackend a = new TestBackend("a");
             ProxyFixture f = new ProxyFixture(dir, "services:\n" + ProxyFixture.service("web", null, a.address())
                     + "proxy:\n  listeners:\n    - name: web\n      bind: 127.0.0.1:0\n      routes:\n"
                     + "        - { service: web, static_files: { root: assets, prefix: /static } }\n", false)) {
            HttpResponse<String> r = f.get(f.base("web") + "/static/app.css");
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).isEqualTo("body { color: teal; }\n");
            String etag = r.headers().firstValue("ETag").orElseThrow();
            assertThat(r.headers().firstValue("Last-Modified")).isPresent();
            assertThat(f.get(f.base("web") + "/static/app.css", "If-None-Match", etag).statusCode()).isEqualTo(304);
            HttpResponse<String> range = f.get(f.base("web") + "/static/app.css", "Range", "bytes=0-3");
            assertThat(range.statusCode()).isEqualTo(206);
            assertThat(range.body()).isEqualTo("body");
            assertThat(f.get(f.base("web") + "/static/../cairn.yml").statusCode()).isIn(400, 404);
            assertThat(f.get(f.base("web") + "/other").body()).isEqualTo("a");
            assertThat(a.hits.get()).isEqualTo(1);
        }
    }

    @Test
    void deniedNetworksGet403() throws Exception {
        try (TestBackend a = new TestBackend("a");
             ProxyFixture f = new ProxyFixture(dir, "services:\n" + ProxyFixture.service("web", null, a.address())
                     + "proxy:\n  listeners:\n"
                     + "    - { name: closed, bind: 127.0.0.1:0, deny: [ 127.0.0.0/8 ], routes: [ { service: web } ] }\n"
                     + "    - { name: only10, bind: 127.0.0.1:0, allow: [ 10.0.0.0/8 ], routes: [ { service: web } ] }\n"
                     + "    - { name: open, bind: 127.0.0.1:0, allow: [ 127.0.0.1/32 ], deny: [ 10.0.0.0/8 ], routes: [ { service: web } ] }\n", false)) {
            assertThat(f.get(f.base("closed") + "/").statusCode()).isEqualTo(403);
            assertThat(f.get(f.base("only10") + "/").statusCode()).isEqualTo(403);
            assertThat(f.get(f.base("open") + "/").statusCode()).isEqualTo(200);
            assertThat(a.hits.get()).isEqualTo(1);
            assertThat(f.host.metric("cairn_proxy_frontend_denied_connections", "listener", "closed")).isEqualTo(1.0);
        }
    }
}
