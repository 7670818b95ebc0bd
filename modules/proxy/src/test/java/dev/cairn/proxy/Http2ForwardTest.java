package dev.cairn.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.core.testing.TestHost;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * HTTP/2 streams forwarded by Cairn's own HTTP/1.1 upstream code (H2Forward): for a user they
 * behave as the same requests over HTTP/1.1 on the same TLS listener (the fast path) — bodies with
 * and without a length both ways, a large response streamed, the forwarding headers, Cairn's
 * error answers and retries for an endpoint that is down or hangs, the access log, the metrics,
 * {@code max_body_size}, and many concurrent streams on one connection. Each case checks with
 * {@code cairn_proxy_frontend_fast_path_requests_total} that Cairn's own code (not Undertow's
 * proxy handler) served it (at least that many: a stream of an earlier case may end late). A real JDK HTTP/2 client over TLS (ALPN h2), one proxy for the class.
 */
class Http2ForwardTest {

    @TempDir
    static Path dir;

    static ScriptedBackend backend;
    static TestBackend live;
    static ScriptedBackend hang;
    static ProxyFixture f;
    static int port;
    static HttpClient h2;
    static HttpClient h1;
    static PrintStream stdout;
    static final ByteArrayOutputStream captured = new ByteArrayOutputStream();

    @BeforeAll
    static void start() throws Exception {
        run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
                "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", "privkey.pem", "-out", "fullchain.pem");
        backend = new ScriptedBackend(Http2ForwardTest::answer);
        live = new TestBackend("live");
        hang = new ScriptedBackend((r, in, out, s) -> {
            while (in.read() >= 0) {
                // never answers: waits for the proxy to give up
            }
            return false;
        });
        stdout = System.out;
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        f = new ProxyFixture(dir, "services:\n"
                + ProxyFixture.service("web", null, "{ address: " + backend.address() + ", name: a }")
                + ProxyFixture.service("dead", null, "{ address: 127.0.0.1:1, name: gone }")
                + ProxyFixture.service("flaky", null, "{ address: 127.0.0.1:1, name: gone }", "{ address: " + live.address() + ", name: live }")
                + ProxyFixture.service("hang", null, "{ address: " + hang.address() + ", name: h }")
                + "proxy:\n  passive_health: { failures: 0 }\n  limits: { max_body_size: 2MiB }\n"
                + "  timeouts: { server: 3s }\n"
                + "  listeners:\n    - name: tls\n      bind: 127.0.0.1:0\n      tls:\n        certificates:\n"
                + "          - { cert: fullchain.pem, key: privkey.pem }\n"
                + "      routes:\n"
                + "        - { path: /dead, service: dead }\n"
                + "        - { path: /flaky, service: flaky, balance: first, retries: 2 }\n"
                + "        - { path: /hang, service: hang }\n"
                + "        - { service: web }\n", false);
        port = f.proxy.listenerAddress("tls").getPort();
        SSLContext tls = trusting(dir.resolve("fullchain.pem"));
        h2 = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).sslContext(tls).connectTimeout(Duration.ofSeconds(5)).build();
        h1 = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).sslContext(tls).connectTimeout(Duration.ofSeconds(5)).build();
    }

    @AfterAll
    static void stop() throws Exception {
        if (stdout != null) System.setOut(stdout);
        if (f != null) f.close();
        if (backend != null) backend.close();
        if (live != null) live.close();
        if (hang != null) hang.close();
    }

    private static void run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isZero();
    }

    private static SSLContext trusting(Path pem) throws Exception {
        KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
        ks.load(null, null);
        try (InputStream in = Files.newInputStream(pem)) {
            ks.setCertificateEntry("proxy", CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        return ctx;
    }

    /**
     * {@code /sum}: the request line, body length and SHA-256; {@code /headers}: the header lines;
     * {@code /big?n=N[&chunked]}: N bytes of noise, chunked or with a Content-Length; else "ok".
     */
    private static boolean answer(ScriptedBackend.Request r, InputStream in, OutputStream out, Socket s) throws IOException {
        String path = r.path();
        if (path.startsWith("/big")) {
            String q = r.target().substring(r.target().indexOf('?') + 1);
            int n = Integer.parseInt(q.split("&")[0].substring(2));
            byte[] body = noise(n);
            if (q.contains("chunked")) {
                ScriptedBackend.write(out, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
                for (int i = 0; i < n; i += 10_000) {
                    int k = Math.min(10_000, n - i);
                    out.write((Integer.toHexString(k) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
                    out.write(body, i, k);
                    out.write("\r\n".getBytes(StandardCharsets.ISO_8859_1));
                }
                out.write("0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            } else {
                ScriptedBackend.write(out, "HTTP/1.1 200 OK\r\nContent-Length: " + n + "\r\n\r\n");
                out.write(body);
            }
            return true;
        }
        String text;
        if (path.equals("/sum")) {
            text = r.requestLine() + " len=" + r.body().length + " sha=" + sha(r.body());
        } else if (path.equals("/headers")) {
            text = String.join("\n", r.headerLines());
        } else {
            text = "ok";
        }
        ScriptedBackend.write(out, "HTTP/1.1 200 OK\r\nX-Backend: a\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\n"
                + "Content-Length: " + text.length() + "\r\n\r\n" + text);
        return true;
    }

    private static String sha(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] noise(int n) {
        byte[] b = new byte[n];
        new SplittableRandom(7).nextBytes(b);
        return b;
    }

    private static String url(String path) {
        return "https://127.0.0.1:" + port + path;
    }

    private static double forwardedByCairn() {
        double v = f.host.metric("cairn_proxy_frontend_fast_path_requests", "listener", "tls");
        return Double.isNaN(v) ? 0 : v;
    }

    private static HttpResponse<String> send(HttpClient c, HttpRequest.Builder r) throws Exception {
        HttpResponse<String> resp = c.send(r.timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
        return resp;
    }

    @Test
    void getAndPostWithBodiesWithAndWithoutLengthReachTheEndpointWhole() throws Exception {
        double before = forwardedByCairn();
        HttpResponse<String> get = send(h2, HttpRequest.newBuilder(URI.create(url("/sum?q=1&r=%20x"))));
        assertThat(get.version()).isEqualTo(HttpClient.Version.HTTP_2);
        assertThat(get.statusCode()).isEqualTo(200);
        assertThat(get.body()).isEqualTo("GET /sum?q=1&r=%20x HTTP/1.1 len=0 sha=" + sha(new byte[0]));
        assertThat(get.headers().firstValue("x-backend")).hasValue("a");
        // Hop-by-hop fields of the endpoint stay on its connection.
        assertThat(get.headers().map()).doesNotContainKeys("connection", "keep-alive");

        // HEAD: the endpoint's head, no body (this endpoint sends one anyway: its connection is not reused).
        HttpResponse<String> head = send(h2, HttpRequest.newBuilder(URI.create(url("/sum"))).method("HEAD", HttpRequest.BodyPublishers.noBody()));
        assertThat(head.statusCode()).isEqualTo(200);
        assertThat(head.body()).isEmpty();
        assertThat(head.headers().firstValue("content-length")).hasValue(String.valueOf(("HEAD /sum HTTP/1.1 len=0 sha=" + sha(new byte[0])).length()));

        byte[] small = noise(100_000);
        HttpResponse<String> post = send(h2, HttpRequest.newBuilder(URI.create(url("/sum")))
                .POST(HttpRequest.BodyPublishers.ofByteArray(small)));
        assertThat(post.body()).isEqualTo("POST /sum HTTP/1.1 len=100000 sha=" + sha(small));
        ScriptedBackend.Request seen = backend.requests.get(backend.requests.size() - 1);
        assertThat(seen.header("content-length")).isEqualTo("100000");

        // No length: the HTTP/2 body goes chunked to the endpoint, streamed.
        byte[] big = noise(1_500_000);
        HttpResponse<String> put = send(h2, HttpRequest.newBuilder(URI.create(url("/sum")))
                .PUT(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(big))));
        assertThat(put.body()).isEqualTo("PUT /sum HTTP/1.1 len=1500000 sha=" + sha(big));
        seen = backend.requests.get(backend.requests.size() - 1);
        assertThat(seen.header("transfer-encoding")).isEqualTo("chunked");
        assertThat(seen.header("content-length")).isNull();
        assertThat(forwardedByCairn() - before).isGreaterThanOrEqualTo(4);
    }

    @Test
    void largeResponsesAreStreamedWithAndWithoutLength() throws Exception {
        double before = forwardedByCairn();
        int n = 8 << 20;
        for (String q : new String[] {"n=" + n, "n=" + n + "&chunked"}) {
            HttpResponse<byte[]> r = h2.send(HttpRequest.newBuilder(URI.create(url("/big?" + q))).timeout(Duration.ofSeconds(30)).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body().length).isEqualTo(n);
            assertThat(sha(r.body())).isEqualTo(sha(noise(n)));
            assertThat(r.headers().map()).doesNotContainKey("transfer-encoding");
        }
        assertThat(forwardedByCairn() - before).isGreaterThanOrEqualTo(2);
    }

    /** The forwarding headers and Host the endpoint saw, lower-cased (HTTP/2 sends lower-case names). */
    private static Map<String, String> forwarding(HttpClient c) throws Exception {
        send(c, HttpRequest.newBuilder(URI.create(url("/headers"))).header("X-Forwarded-For", "6.6.6.6")
                .header("X-Real-IP", "6.6.6.6").header("Forwarded", "for=6.6.6.6"));
        ScriptedBackend.Request seen = backend.requests.get(backend.requests.size() - 1);
        Map<String, String> m = new TreeMap<>();
        for (String l : seen.headerLines()) {
            String name = l.substring(0, l.indexOf(':')).toLowerCase();
            if (name.startsWith("x-forwarded") || name.equals("forwarded") || name.equals("host") || name.equals("x-real-ip")) {
                assertThat(m.put(name, l.substring(l.indexOf(':') + 1).trim())).as("one " + name).isNull();
            }
        }
        return m;
    }

    @Test
    void forwardingHeadersAreTheSameAsOverHttp11AndSpoofedOnesAreDropped() throws Exception {
        double before = forwardedByCairn();
        Map<String, String> overH2 = forwarding(h2);
        assertThat(forwardedByCairn() - before).isGreaterThanOrEqualTo(1);
        Map<String, String> overH1 = forwarding(h1);
        assertThat(overH2).isEqualTo(overH1);
        assertThat(overH2).containsEntry("host", "127.0.0.1:" + port).containsEntry("x-forwarded-for", "127.0.0.1")
                .containsEntry("x-forwarded-proto", "https").containsEntry("x-forwarded-port", String.valueOf(port))
                .containsEntry("forwarded", "for=127.0.0.1;proto=https;host=\"127.0.0.1:" + port + "\"")
                .doesNotContainKey("x-real-ip");
    }

    @Test
    void anEndpointDownOrHangingGetsTheErrorAnswersAndRetriesOfHttp11() throws Exception {
        double before = forwardedByCairn();
        double retries = f.host.metric("cairn_proxy_backend_retry_warnings", "service", "flaky");
        HttpResponse<String> flaky = send(h2, HttpRequest.newBuilder(URI.create(url("/flaky/x"))));
        assertThat(flaky.statusCode()).isEqualTo(200);
        assertThat(flaky.body()).isEqualTo("live");
        assertThat(f.host.metric("cairn_proxy_backend_retry_warnings", "service", "flaky") - (Double.isNaN(retries) ? 0 : retries))
                .isEqualTo(1);
        for (String path : new String[] {"/dead/x", "/hang"}) {
            HttpResponse<String> viaH2 = send(h2, HttpRequest.newBuilder(URI.create(url(path))));
            HttpResponse<String> viaH1 = send(h1, HttpRequest.newBuilder(URI.create(url(path))));
            assertThat(viaH2.statusCode()).as(path).isEqualTo(viaH1.statusCode()).isIn(503, 504);
            assertThat(viaH2.body()).as(path).isEqualTo(viaH1.body()).isNotEmpty();
            assertThat(viaH2.headers().firstValue("content-type")).isEqualTo(viaH1.headers().firstValue("content-type"));
        }
        // A POST is never sent twice: to a dead endpoint (nothing went upstream) it is still redispatched.
        HttpResponse<String> post = send(h2, HttpRequest.newBuilder(URI.create(url("/flaky/form")))
                .POST(HttpRequest.BodyPublishers.ofString("a=1")));
        assertThat(post.statusCode()).isEqualTo(200);
        // Four streams, and the two HTTP/1.1 requests the fast path answered itself.
        assertThat(forwardedByCairn() - before).isGreaterThanOrEqualTo(6);
    }

    private static List<String> accessLines() {
        synchronized (captured) {
            return captured.toString(StandardCharsets.UTF_8).lines().filter(l -> l.contains(" INFO  proxy: {\"time\":"))
                    .map(l -> l.substring(l.indexOf(" INFO  proxy: ") + 14)).toList();
        }
    }

    @Test
    void eachStreamHasItsAccessLogLineAndIsCountedInTheMetrics() throws Exception {
        double requests = f.host.metric("cairn_proxy_frontend_http_requests", "listener", "tls");
        double ok = f.host.metric("cairn_proxy_server_http_responses", "service", "web", "endpoint", "a", "code", "2xx");
        send(h2, HttpRequest.newBuilder(URI.create(url("/logged?x=1"))).header("User-Agent", "h2-test"));
        Supplier<List<String>> mine = () -> accessLines().stream().filter(l -> l.contains("\"uri\":\"/logged?x=1\"")).toList();
        TestHost.await(Duration.ofSeconds(5), "access line", () -> !mine.get().isEmpty());
        assertThat(mine.get().get(0)).contains("\"listener\":\"tls\"").contains("\"method\":\"GET\"").contains("\"status\":200")
                .contains("\"protocol\":\"HTTP/2.0\"").contains("\"service\":\"web\"").contains("\"endpoint\":\"a\"")
                .contains("\"user_agent\":\"h2-test\"").containsPattern("\"connect_ms\":[0-9.]+").containsPattern("\"duration_ms\":[0-9.]+");
        assertThat(f.host.metric("cairn_proxy_frontend_http_requests", "listener", "tls") - nan0(requests)).isEqualTo(1);
        assertThat(f.host.metric("cairn_proxy_server_http_responses", "service", "web", "endpoint", "a", "code", "2xx") - nan0(ok)).isEqualTo(1);
    }

    private static double nan0(double v) {
        return Double.isNaN(v) ? 0 : v;
    }

    @Test
    void aBodyOverMaxBodySizeIsRefusedAndNeverReachesTheEndpointWhole() throws Exception {
        byte[] over = noise(3 << 20);
        int seen = backend.requests.size();
        // A Content-Length over the limit: 413 before anything goes upstream (Undertow's HTTP/2 then ends
        // the connection with GOAWAY while the client is still sending, which the JDK client reports as an error).
        try {
            HttpResponse<String> r = send(h2, HttpRequest.newBuilder(URI.create(url("/sum")))
                    .POST(HttpRequest.BodyPublishers.ofByteArray(over)));
            assertThat(r.statusCode()).isEqualTo(413);
        } catch (IOException goaway) {
            assertThat(goaway).hasMessageContaining("GOAWAY");
        }
        // Without a length the stream is cut once it passes the limit.
        try {
            HttpResponse<String> cut = send(h2, HttpRequest.newBuilder(URI.create(url("/sum")))
                    .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(over))));
            assertThat(cut.statusCode()).isGreaterThanOrEqualTo(400);
        } catch (IOException expected) {
            // the stream was reset
        }
        assertThat(backend.requests.subList(seen, backend.requests.size())).noneMatch(q -> q.body().length == over.length);
        // The connection still serves.
        assertThat(send(h2, HttpRequest.newBuilder(URI.create(url("/after")))).statusCode()).isEqualTo(200);
    }

    @Test
    void theStreamsOfAClosedConnectionEndWithItAndFreeTheirEndpointSlots() throws Exception {
        double before = forwardedByCairn();
        int seen = hang.requests.size();
        try (Http2Test.H2 c = Http2Test.H2.open(port)) {
            c.preface();
            for (int i = 0; i < 10; i++) c.get(1 + 2 * i, "/hang");
            TestHost.await(Duration.ofSeconds(10), "ten requests at the endpoint", () -> hang.requests.size() - seen >= 10);
        }
        // Closed long before timeouts.server (3 s) would answer them 504: their endpoint
        // connections close and their slots are free at once, and no answer is counted.
        TestHost.await(Duration.ofSeconds(10), "endpoint connections closed", () -> hang.openConnections.get() == 0);
        TestHost.await(Duration.ofSeconds(10), "slots free",
                () -> f.host.metric("cairn_proxy_server_current_sessions", "service", "hang", "endpoint", "h") == 0);
        assertThat(forwardedByCairn() - before).as("no 504 answered to a client that is gone").isZero();
    }

    @Test
    void manyConcurrentStreamsOnOneConnectionAllGetTheirAnswers() throws Exception {
        // One stream first: the client then has its HTTP/2 connection, and every stream below goes on it.
        assertThat(send(h2, HttpRequest.newBuilder(URI.create(url("/first")))).statusCode()).isEqualTo(200);
        double before = forwardedByCairn();
        List<CompletableFuture<HttpResponse<String>>> all = new ArrayList<>();
        for (int i = 0; i < 90; i++) { // within the 100 streams the listener advertises
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url("/sum?i=" + i))).timeout(Duration.ofSeconds(30));
            if (i % 3 == 0) b.POST(HttpRequest.BodyPublishers.ofString("body-" + i));
            all.add(h2.sendAsync(b.build(), HttpResponse.BodyHandlers.ofString()));
        }
        for (int i = 0; i < all.size(); i++) {
            HttpResponse<String> r = all.get(i).get(60, TimeUnit.SECONDS);
            assertThat(r.statusCode()).isEqualTo(200);
            String body = i % 3 == 0 ? "body-" + i : "";
            assertThat(r.body()).isEqualTo((i % 3 == 0 ? "POST" : "GET") + " /sum?i=" + i + " HTTP/1.1 len=" + body.length()
                    + " sha=" + sha(body.getBytes(StandardCharsets.ISO_8859_1)));
        }
        Process p = new ProcessBuilder("h2load", "-n", "3000", "-c", "1", "-m", "100", url("/load")).redirectErrorStream(true).start();
        String out;
        try (var in = p.getInputStream()) {
            out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(out).contains("3000 succeeded, 0 failed, 0 errored").contains("status codes: 3000 2xx");
        assertThat(forwardedByCairn() - before).isGreaterThanOrEqualTo(3090);
    }
}
