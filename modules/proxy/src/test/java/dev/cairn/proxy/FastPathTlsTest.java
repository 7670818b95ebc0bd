package dev.cairn.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.core.testing.TestHost;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * HTTPS on the fast path: HTTP/1.1 over TLS (ALPN http/1.1 or none) is served by the fast path
 * with the forwarding headers of the full path, certificates renewed under load fail no request,
 * sessions are resumed (TLS 1.3 tickets and TLS 1.2), and h2 chosen by ALPN goes to Undertow's
 * HTTP/2 on the same listener.
 */
class FastPathTlsTest {

    @TempDir
    Path dir;

    /** proxy.tls.engine under test; {@link FastPathTlsOpenSslTest} runs every case on openssl. */
    String engine() {
        return "jdk";
    }

    private String yaml(String backend, boolean fastPath) {
        return "services:\n" + ProxyFixture.service("web", null, "{ address: " + backend + ", name: a }")
                + "proxy:\n  fast_path: " + fastPath + "\n  passive_health: { failures: 0 }\n"
                + "  tls: { engine: " + engine() + " }\n"
                + "  listeners:\n    - name: tls\n      bind: 127.0.0.1:0\n      tls:\n        certificates:\n"
                + "          - { cert: shop-fullchain.pem, key: shop-privkey.pem }\n"
                + "          - { cert: blog-fullchain.pem, key: blog-privkey.pem }\n"
                + "      routes: [ { service: web } ]\n";
    }

    private int port(ProxyFixture f) {
        // Every case checks that it runs on the engine it names (openssl must not have fallen back).
        assertThat(f.proxy.listenerTlsEngine("tls")).hasToString(engine().toUpperCase(java.util.Locale.ROOT));
        return f.proxy.listenerAddress("tls").getPort();
    }

    private static double fastRequests(ProxyFixture f) {
        double v = f.host.metric("cairn_proxy_frontend_fast_path_requests", "listener", "tls");
        return Double.isNaN(v) ? 0 : v;
    }

    private static SSLContext trustAll() throws Exception {
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, EdgeTest.TRUST_ALL, null);
        return ctx;
    }

    /** A TLS connection with SNI {@code name}, HTTP/1.1 offered by ALPN as browsers do. */
    private static SSLSocket connect(SSLContext ctx, int port, String name) throws IOException {
        SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket("127.0.0.1", port);
        SSLParameters p = s.getSSLParameters();
        p.setServerNames(List.of(new SNIHostName(name)));
        p.setApplicationProtocols(new String[] {"http/1.1"});
        s.setSSLParameters(p);
        s.setSoTimeout(5000);
        s.startHandshake();
        return s;
    }

    private static String cn(SSLSocket s) throws IOException {
        return ((X509Certificate) s.getSession().getPeerCertificates()[0]).getSubjectX500Principal().getName();
    }

    /** Echoes the request line and body. */
    private static boolean echo(ScriptedBackend.Request r, InputStream in, OutputStream out, Socket s) throws IOException {
        byte[] body = (r.requestLine() + (r.body().length > 0 ? "\n" + r.bodyText() : "")).getBytes(StandardCharsets.ISO_8859_1);
        ScriptedBackend.write(out, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " + body.length + "\r\n\r\n");
        out.write(body);
        return true;
    }

    /** One HTTP/1.1 exchange on a TLS socket (WireClient's reader over the socket's streams). */
    private static String exchange(SSLSocket s, String raw) throws IOException {
        s.getOutputStream().write(raw.getBytes(StandardCharsets.ISO_8859_1));
        s.getOutputStream().flush();
        InputStream in = s.getInputStream();
        String status = WireClient.line(in);
        int length = 0;
        for (String l = WireClient.line(in); !l.isEmpty(); l = WireClient.line(in)) {
            if (l.toLowerCase().startsWith("content-length:")) length = Integer.parseInt(l.substring(15).trim());
        }
        return status + "\n" + new String(in.readNBytes(length), StandardCharsets.ISO_8859_1);
    }

    @Test
    void httpsRequestsTakeTheFastPathWithTheFullPathsForwardingHeaders() throws Exception {
        EdgeTest.pem(dir, "shop.example", "shop-");
        EdgeTest.pem(dir, "blog.example", "blog-");
        String get = "GET /tls?q=1 HTTP/1.1\r\nHost: shop.example\r\nUser-Agent: t\r\n\r\n";
        String post = "POST /form HTTP/1.1\r\nHost: blog.example:8443\r\nContent-Length: 7\r\n\r\norder=1";
        List<List<String>> upstream = new ArrayList<>();
        try (ScriptedBackend b = new ScriptedBackend(FastPathTlsTest::echo)) {
            for (boolean fastPath : new boolean[] {false, true}) {
                Path d = Files.createDirectory(dir.resolve("fast-" + fastPath));
                for (String f : List.of("shop-fullchain.pem", "shop-privkey.pem", "blog-fullchain.pem", "blog-privkey.pem")) {
                    Files.copy(dir.resolve(f), d.resolve(f));
                }
                try (ProxyFixture f = new ProxyFixture(d, yaml(b.address(), fastPath), false)) {
                    SSLContext ctx = trustAll();
                    b.clear();
                    try (SSLSocket s = connect(ctx, port(f), "shop.example")) {
                        assertThat(cn(s)).isEqualTo("CN=shop.example");
                        assertThat(exchange(s, get)).isEqualTo("HTTP/1.1 200 OK\nGET /tls?q=1 HTTP/1.1");
                    }
                    // A new client context: the JDK client would offer the shop session for resumption.
                    try (SSLSocket s = connect(trustAll(), port(f), "blog.example")) {
                        assertThat(cn(s)).as("SNI picks the certificate").isEqualTo("CN=blog.example");
                        assertThat(exchange(s, post)).isEqualTo("HTTP/1.1 200 OK\nPOST /form HTTP/1.1\norder=1");
                        assertThat(exchange(s, get)).as("keep-alive over TLS").isEqualTo("HTTP/1.1 200 OK\nGET /tls?q=1 HTTP/1.1");
                    }
                    List<ScriptedBackend.Request> seen = b.take();
                    assertThat(seen).hasSize(3);
                    assertThat(seen.get(0).header("X-Forwarded-Proto")).isEqualTo("https");
                    assertThat(seen.get(0).header("Forwarded")).isEqualTo("for=127.0.0.1;proto=https;host=shop.example");
                    upstream.add(FastPathParityTest.upstream(seen, port(f)));
                    assertThat(fastRequests(f)).as("fast_path %s: requests the fast path served", fastPath)
                            .isEqualTo(fastPath ? 3.0 : 0.0);
                }
            }
        }
        assertThat(upstream.get(1)).as("what the backend received (fast path vs Undertow) over TLS")
                .containsExactlyElementsOf(upstream.get(0));
    }

    @Test
    void pipelinedRequestsAndALargeUploadOverTlsAreAnsweredInOrder() throws Exception {
        EdgeTest.pem(dir, "shop.example", "shop-");
        EdgeTest.pem(dir, "blog.example", "blog-");
        try (ScriptedBackend b = new ScriptedBackend(FastPathTlsTest::echo);
             ProxyFixture f = new ProxyFixture(dir, yaml(b.address(), true), false);
             SSLSocket s = connect(trustAll(), port(f), "shop.example")) {
            String big = "y".repeat(300_000); // many TLS records and several proxy buffers
            s.getOutputStream().write(("GET /one HTTP/1.1\r\nHost: shop.example\r\n\r\n"
                    + "POST /two HTTP/1.1\r\nHost: shop.example\r\nContent-Length: " + big.length() + "\r\n\r\n" + big
                    + "GET /three HTTP/1.1\r\nHost: shop.example\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            s.getOutputStream().flush();
            assertThat(exchange(s, "")).isEqualTo("HTTP/1.1 200 OK\nGET /one HTTP/1.1");
            assertThat(exchange(s, "")).isEqualTo("HTTP/1.1 200 OK\nPOST /two HTTP/1.1\n" + big);
            assertThat(exchange(s, "")).isEqualTo("HTTP/1.1 200 OK\nGET /three HTTP/1.1");
            assertThat(fastRequests(f)).isEqualTo(3.0);
        }
    }

    /** Echoes the request body as its answer, head and body in one write (one segment to the proxy). */
    private static boolean echoInOneWrite(ScriptedBackend.Request r, InputStream in, OutputStream out, Socket s) throws IOException {
        byte[] head = ("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " + r.body().length + "\r\n\r\n")
                .getBytes(StandardCharsets.ISO_8859_1);
        byte[] all = java.util.Arrays.copyOf(head, head.length + r.body().length);
        System.arraycopy(r.body(), 0, all, head.length, r.body().length);
        out.write(all);
        out.flush();
        return true;
    }

    @Test
    void bodiesAroundOneBufferGoWholeBothWaysWhenTheyComeWithTheirHead() throws Exception {
        // The fast path puts a head and the body bytes that came with it in one buffer, as many as
        // fit (16 KiB): bodies below, at and above that size, each sent with its head in one write.
        EdgeTest.pem(dir, "shop.example", "shop-");
        EdgeTest.pem(dir, "blog.example", "blog-");
        int[] sizes = {0, 1, 1024, 16_100, 16_384, 16_500, 33_000, 70_000};
        try (ScriptedBackend b = new ScriptedBackend(FastPathTlsTest::echoInOneWrite);
             ProxyFixture f = new ProxyFixture(dir, yaml(b.address(), true), false);
             SSLSocket s = connect(trustAll(), port(f), "shop.example")) {
            for (int size : sizes) {
                StringBuilder body = new StringBuilder(size);
                for (int i = 0; i < size; i++) body.append((char) ('a' + i % 26));
                String answer = exchange(s, "POST /echo HTTP/1.1\r\nHost: shop.example\r\nContent-Length: " + size + "\r\n\r\n" + body);
                assertThat(answer).as("a %d-byte body both ways", size).isEqualTo("HTTP/1.1 200 OK\n" + body);
            }
            assertThat(fastRequests(f)).isEqualTo((double) sizes.length);
            assertThat(b.connections.get()).as("one keep-alive connection to the endpoint").isEqualTo(1);
        }
    }

    @Test
    void aCertificateRenewedUnderLoadFailsNoRequest() throws Exception {
        EdgeTest.pem(dir, "shop.example", "shop-");
        EdgeTest.pem(dir, "blog.example", "blog-");
        try (ScriptedBackend b = new ScriptedBackend(FastPathTlsTest::echo);
             ProxyFixture f = new ProxyFixture(dir, yaml(b.address(), true), false)) {
            int port = port(f);
            SSLContext ctx = trustAll();
            AtomicInteger ok = new AtomicInteger();
            AtomicInteger failed = new AtomicInteger();
            AtomicReference<Throwable> firstFailure = new AtomicReference<>();
            AtomicInteger renewedSeen = new AtomicInteger();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            AtomicInteger afterRenewal = new AtomicInteger(-1);
            List<Thread> load = new ArrayList<>();
            for (int t = 0; t < 3; t++) {
                Thread th = new Thread(() -> {
                    // Bounded: until 200 requests after the renewal was first seen, or 30 s.
                    while (System.nanoTime() < deadline && (afterRenewal.get() < 0 || ok.get() < afterRenewal.get() + 200)) {
                        try (SSLSocket s = connect(ctx, port, "shop.example")) {
                            if (cn(s).contains("O=Renewed") && renewedSeen.getAndIncrement() == 0) afterRenewal.set(ok.get());
                            // Two requests per connection: keep-alive across the swap too.
                            for (int i = 0; i < 2; i++) {
                                String r = exchange(s, "GET /load HTTP/1.1\r\nHost: shop.example\r\n\r\n");
                                if (!r.equals("HTTP/1.1 200 OK\nGET /load HTTP/1.1")) throw new IOException("unexpected answer " + r);
                                ok.incrementAndGet();
                            }
                        } catch (Exception e) {
                            failed.incrementAndGet();
                            firstFailure.compareAndSet(null, e);
                        }
                    }
                }, "tls-load-" + t);
                th.start();
                load.add(th);
            }
            TestHost.await(Duration.ofSeconds(10), "load running", () -> ok.get() > 50);
            EdgeTest.run(dir, "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=shop.example/O=Renewed", "-addext", "subjectAltName=DNS:shop.example",
                    "-keyout", "new-privkey.pem", "-out", "new-fullchain.pem");
            Files.move(dir.resolve("new-privkey.pem"), dir.resolve("shop-privkey.pem"), StandardCopyOption.REPLACE_EXISTING);
            Files.move(dir.resolve("new-fullchain.pem"), dir.resolve("shop-fullchain.pem"), StandardCopyOption.REPLACE_EXISTING);
            for (Thread th : load) th.join(TimeUnit.SECONDS.toMillis(40));
            assertThat(renewedSeen.get()).as("handshakes that got the renewed certificate").isPositive();
            assertThat(failed.get()).as("failed requests (first: %s), %d succeeded", firstFailure.get(), ok.get()).isZero();
            assertThat(fastRequests(f)).isEqualTo((double) ok.get());
        }
    }

    /** Runs openssl s_client once; returns its output. */
    private static String sClient(Path cwd, int port, String version, String sessionArg, String sessionFile) throws Exception {
        Process p = new ProcessBuilder("openssl", "s_client", "-connect", "127.0.0.1:" + port, "-servername", "shop.example",
                version, sessionArg, sessionFile, "-ign_eof").directory(cwd.toFile()).redirectErrorStream(true).start();
        try (OutputStream o = p.getOutputStream()) {
            // A request, so that the TLS 1.3 ticket (sent after the handshake) is read before the end.
            o.write("GET /resume HTTP/1.1\r\nHost: shop.example\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
        return out;
    }

    @Test
    void sessionsAreResumedWithTls13TicketsAndTls12() throws Exception {
        EdgeTest.pem(dir, "shop.example", "shop-");
        EdgeTest.pem(dir, "blog.example", "blog-");
        try (ScriptedBackend b = new ScriptedBackend(FastPathTlsTest::echo);
             ProxyFixture f = new ProxyFixture(dir, yaml(b.address(), true), false)) {
            for (String version : List.of("-tls1_3", "-tls1_2")) {
                String file = "session" + version;
                String first = sClient(dir, port(f), version, "-sess_out", file);
                assertThat(first).as(version + " first handshake").contains("New, TLSv1.").contains("GET /resume HTTP/1.1");
                String second = sClient(dir, port(f), version, "-sess_in", file);
                assertThat(second).as(version + " second handshake").contains("Reused, TLSv1.").contains("GET /resume HTTP/1.1");
            }
        }
    }

    @Test
    void withoutHttp2TlsConnectionsGoStraightToTheFastPath() throws Exception {
        EdgeTest.pem(dir, "shop.example", "shop-");
        EdgeTest.pem(dir, "blog.example", "blog-");
        try (ScriptedBackend b = new ScriptedBackend(FastPathTlsTest::echo);
             ProxyFixture f = new ProxyFixture(dir, yaml(b.address(), true).replace("      tls:\n", "      http2: false\n      tls:\n"), false)) {
            // No ALPN listener in front: the fast path gets the TLS connection before the handshake.
            HttpClient h2 = HttpClient.newBuilder().sslContext(trustAll()).version(HttpClient.Version.HTTP_2).build();
            HttpResponse<String> r = h2.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + port(f) + "/no-h2")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(r.version()).as("h2 not offered").isEqualTo(HttpClient.Version.HTTP_1_1);
            assertThat(r.body()).isEqualTo("GET /no-h2 HTTP/1.1");
            try (SSLSocket s = connect(trustAll(), port(f), "blog.example")) {
                assertThat(cn(s)).isEqualTo("CN=blog.example");
                assertThat(exchange(s, "GET /sni HTTP/1.1\r\nHost: blog.example\r\n\r\n")).isEqualTo("HTTP/1.1 200 OK\nGET /sni HTTP/1.1");
            }
            assertThat(fastRequests(f)).isEqualTo(2.0);
        }
    }

    @Test
    void http2ChosenByAlpnIsServedOnTheSameListener() throws Exception {
        EdgeTest.pem(dir, "shop.example", "shop-");
        EdgeTest.pem(dir, "blog.example", "blog-");
        try (ScriptedBackend b = new ScriptedBackend(FastPathTlsTest::echo);
             ProxyFixture f = new ProxyFixture(dir, yaml(b.address(), true), false)) {
            HttpClient h2 = HttpClient.newBuilder().sslContext(trustAll()).version(HttpClient.Version.HTTP_2).build();
            String base = "https://127.0.0.1:" + port(f);
            HttpResponse<String> get = h2.send(HttpRequest.newBuilder(URI.create(base + "/h2")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(get.version()).isEqualTo(HttpClient.Version.HTTP_2);
            assertThat(get.statusCode()).isEqualTo(200);
            assertThat(get.body()).isEqualTo("GET /h2 HTTP/1.1");
            HttpResponse<String> post = h2.send(HttpRequest.newBuilder(URI.create(base + "/h2-form"))
                    .POST(HttpRequest.BodyPublishers.ofString("a=1&b=2")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(post.version()).isEqualTo(HttpClient.Version.HTTP_2);
            assertThat(post.body()).isEqualTo("POST /h2-form HTTP/1.1\na=1&b=2");
            // Many streams on one connection at once.
            List<java.util.concurrent.CompletableFuture<HttpResponse<String>>> all = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                all.add(h2.sendAsync(HttpRequest.newBuilder(URI.create(base + "/s/" + i)).build(), HttpResponse.BodyHandlers.ofString()));
            }
            for (int i = 0; i < 20; i++) assertThat(all.get(i).get(10, TimeUnit.SECONDS).body()).isEqualTo("GET /s/" + i + " HTTP/1.1");
            // ALPN h2 goes to Undertow's HTTP/2; its streams are forwarded by Cairn's own upstream code
            // (H2Forward), counted with the fast path: the GET, the POST and the 20 streams.
            assertThat(fastRequests(f)).as("h2 streams forwarded by H2Forward").isEqualTo(22.0);
            // HTTP/1.1 on the same listener takes the fast path.
            try (SSLSocket s = connect(trustAll(), port(f), "shop.example")) {
                assertThat(exchange(s, "GET /h1 HTTP/1.1\r\nHost: shop.example\r\n\r\n")).isEqualTo("HTTP/1.1 200 OK\nGET /h1 HTTP/1.1");
            }
            assertThat(fastRequests(f)).isEqualTo(23.0);
        }
    }
}
