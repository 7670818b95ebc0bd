package dev.cairn.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.core.testing.TestHost;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Request bodies on the fast path: Content-Length and chunked bodies of several MiB streamed both
 * ways, 100-continue, {@code max_body_size}, a client that stops mid-body, an endpoint that answers
 * before it reads the body, and the retry rule for a request whose bytes went upstream. Each test
 * checks with {@code cairn_proxy_frontend_fast_path_requests_total} that the fast path (not the full
 * path) served it.
 */
class FastPathBodyTest {

    @TempDir
    Path dir;

    private static String yaml(String balance, String... endpoints) {
        StringBuilder eps = new StringBuilder();
        for (String e : endpoints) {
            int eq = e.indexOf('=');
            eps.append("{ address: ").append(e.substring(eq + 1)).append(", name: ").append(e, 0, eq).append(" }\n");
        }
        return "services:\n" + ProxyFixture.service("web", null, eps.toString().trim().split("\n"))
                + "proxy:\n  fast_path: true\n  limits: { max_body_size: 4MiB }\n  passive_health: { failures: 0 }\n"
                + "  timeouts: { server: 5s }\n"
                + "  listeners:\n    - name: web\n      bind: 127.0.0.1:0\n      routes:\n"
                + "        - { service: web, balance: " + balance + " }\n";
    }

    private static int port(ProxyFixture f) {
        return f.proxy.listenerAddress("web").getPort();
    }

    private static double fastRequests(ProxyFixture f) {
        double v = f.host.metric("cairn_proxy_frontend_fast_path_requests", "listener", "web");
        return Double.isNaN(v) ? 0 : v;
    }

    private static String sha(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    /** Answers with the body's length and SHA-256 (the body as the backend decoded it). */
    private static boolean sum(ScriptedBackend.Request r, InputStream in, OutputStream out, Socket s) throws IOException {
        String body;
        try {
            body = r.requestLine() + " len=" + r.body().length + " sha=" + sha(r.body());
        } catch (Exception e) {
            throw new IOException(e);
        }
        ScriptedBackend.write(out, "HTTP/1.1 200 OK\r\nContent-Length: " + body.length() + "\r\n\r\n" + body);
        return true;
    }

    private static byte[] noise(int n) {
        byte[] b = new byte[n];
        new SplittableRandom(7).nextBytes(b);
        return b;
    }

    @Test
    void bodiesOfSeveralMibStreamThroughInBothFramings() throws Exception {
        byte[] body = noise(3 << 20);
        try (ScriptedBackend b = new ScriptedBackend(FastPathBodyTest::sum);
             ProxyFixture f = new ProxyFixture(dir, yaml("roundrobin", "a=" + b.address()), false);
             WireClient c = new WireClient(port(f))) {
            c.send(("PUT /upload HTTP/1.1\r\nHost: shop.example\r\nContent-Length: " + body.length + "\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            c.send(body);
            WireClient.Response put = c.read();
            assertThat(put.status()).isEqualTo(200);
            assertThat(put.bodyText()).isEqualTo("PUT /upload HTTP/1.1 len=" + body.length + " sha=" + sha(body));

            ByteArrayOutputStream chunked = new ByteArrayOutputStream();
            chunked.write("POST /form HTTP/1.1\r\nHost: shop.example\r\nTransfer-Encoding: chunked\r\n\r\n"
                    .getBytes(StandardCharsets.ISO_8859_1));
            for (int at = 0; at < body.length; at += 65_000) {
                int n = Math.min(65_000, body.length - at);
                chunked.write((Integer.toHexString(n) + ";piece=" + at + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
                chunked.write(body, at, n);
                chunked.write("\r\n".getBytes(StandardCharsets.ISO_8859_1));
            }
            chunked.write("0\r\nX-Trailer: t\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            c.send(chunked.toByteArray());
            WireClient.Response post = c.read();
            assertThat(post.status()).isEqualTo(200);
            assertThat(post.bodyText()).isEqualTo("POST /form HTTP/1.1 len=" + body.length + " sha=" + sha(body));
            // The connection stays in step after bodies.
            assertThat(c.exchange("GET /after HTTP/1.1\r\nHost: shop.example\r\n\r\n").bodyText())
                    .startsWith("GET /after HTTP/1.1 len=0");
            assertThat(fastRequests(f)).as("served by the fast path").isEqualTo(3.0);
        }
    }

    /** Sends 100 Continue, then reads the Content-Length body and echoes its length. */
    private static boolean continueThenRead(ScriptedBackend.Request r, InputStream in, OutputStream out, Socket s) throws IOException {
        if ("100-continue".equalsIgnoreCase(r.header("Expect"))) ScriptedBackend.write(out, "HTTP/1.1 100 Continue\r\n\r\n");
        byte[] body = in.readNBytes(Integer.parseInt(r.header("Content-Length")));
        String text = "got " + new String(body, StandardCharsets.ISO_8859_1);
        ScriptedBackend.write(out, "HTTP/1.1 200 OK\r\nContent-Length: " + text.length() + "\r\n\r\n" + text);
        return true;
    }

    @Test
    void expect100ContinueReachesTheEndpointWhoseInterimAnswerReleasesTheBody() throws Exception {
        try (ScriptedBackend b = new ScriptedBackend(FastPathBodyTest::continueThenRead, true);
             ProxyFixture f = new ProxyFixture(dir, yaml("roundrobin", "a=" + b.address()), false);
             WireClient c = new WireClient(port(f), 5000)) {
            c.send("POST /api HTTP/1.1\r\nHost: shop.example\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n");
            // The client holds its body until the 100 arrives (a timeout here fails the test).
            assertThat(c.readHead()).isEqualTo("HTTP/1.1 100 Continue");
            c.send("hello");
            WireClient.Response r = c.read();
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.bodyText()).isEqualTo("got hello");
            assertThat(fastRequests(f)).isEqualTo(1.0);
        }
    }

    @Test
    void bodiesOverMaxBodySizeAreRefusedOrCut() throws Exception {
        try (ScriptedBackend b = new ScriptedBackend(FastPathBodyTest::sum);
             ProxyFixture f = new ProxyFixture(dir, yaml("roundrobin", "a=" + b.address()), false)) {
            try (WireClient c = new WireClient(port(f), 5000)) {
                // Declared too large: 413 before anything goes upstream (the full path's answer).
                WireClient.Response r = c.exchange("POST /big HTTP/1.1\r\nHost: x\r\nContent-Length: " + (5 << 20) + "\r\n\r\n");
                assertThat(r.status()).isEqualTo(413);
            }
            try (WireClient c = new WireClient(port(f), 5000)) {
                // Chunked and growing past the limit: the request is cut, the endpoint never gets all of it.
                c.send("POST /big HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
                byte[] piece = noise(1 << 20);
                String size = Integer.toHexString(piece.length) + "\r\n";
                WireClient.Response r = null;
                try {
                    for (int i = 0; i < 6; i++) {
                        c.send(size.getBytes(StandardCharsets.ISO_8859_1));
                        c.send(piece);
                        c.send("\r\n".getBytes(StandardCharsets.ISO_8859_1));
                    }
                    c.send("0\r\n\r\n");
                    r = c.read();
                } catch (IOException cut) {
                    // reset while sending: cut
                }
                assertThat(r == null || r.status() >= 400).as("no success for a body over the limit").isTrue();
            }
            assertThat(b.take()).as("no complete request reached the endpoint").isEmpty();
            // Both count as the client's 4xx (413), not as an endpoint's failure.
            TestHost.await(Duration.ofSeconds(5), "two 4xx counted",
                    () -> f.host.metric("cairn_proxy_frontend_http_responses", "listener", "web", "code", "4xx") == 2.0);
        }
    }

    /** Reads the head, answers at once without reading the body, keeps the connection. */
    private static boolean answerFirst(ScriptedBackend.Request r, InputStream in, OutputStream out, Socket s) throws IOException {
        ScriptedBackend.write(out, "HTTP/1.1 403 Forbidden\r\nContent-Length: 6\r\n\r\ndenied");
        return ScriptedBackend.hang(in);
    }

    @Test
    void anEndpointThatAnswersBeforeReadingTheBodyIsPassedOnAndBothConnectionsClose() throws Exception {
        try (ScriptedBackend b = new ScriptedBackend(FastPathBodyTest::answerFirst, true);
             ProxyFixture f = new ProxyFixture(dir, yaml("roundrobin", "a=" + b.address()), false);
             WireClient c = new WireClient(port(f), 5000)) {
            c.send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n" + "x".repeat(1000));
            WireClient.Response r = c.read();
            assertThat(r.status()).isEqualTo(403);
            assertThat(r.bodyText()).isEqualTo("denied");
            // Where the next request would start is unknown: the client connection closes.
            assertThat(c.closedWithin(3000)).isTrue();
            TestHost.await(Duration.ofSeconds(5), "the endpoint connection closed", () -> b.openConnections.get() == 0);
            assertThat(fastRequests(f)).isEqualTo(1.0);
        }
    }

    /** Reads the head and whatever body comes until EOF, then records how much came. */
    private static boolean readUntilEof(ScriptedBackend.Request r, InputStream in, OutputStream out, Socket s) throws IOException {
        ScriptedBackend.hang(in);
        return false;
    }

    @Test
    void aClientThatStopsMidBodyCutsItsRequestAndFreesBothConnections() throws Exception {
        try (ScriptedBackend b = new ScriptedBackend(FastPathBodyTest::readUntilEof, true);
             ProxyFixture f = new ProxyFixture(dir, yaml("roundrobin", "a=" + b.address()), false)) {
            try (WireClient c = new WireClient(port(f), 5000)) {
                c.send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n" + "x".repeat(5000));
                TestHost.await(Duration.ofSeconds(5), "the head reached the endpoint", () -> !b.take().isEmpty());
            }
            TestHost.await(Duration.ofSeconds(5), "the endpoint connection closed", () -> b.openConnections.get() == 0);
            TestHost.await(Duration.ofSeconds(5), "no client connection left",
                    () -> f.host.metric("cairn_proxy_frontend_current_connections", "listener", "web") == 0);
        }
    }

    /** Resets the connection after reading a head (the endpoint died as the request came). */
    private static boolean resetAfterHead(ScriptedBackend.Request r, InputStream in, OutputStream out, Socket s) throws IOException {
        return ScriptedBackend.reset(s);
    }

    @Test
    void aPostResetAfterItWentUpstreamIsNotRetriedButAPutIs() throws Exception {
        try (ScriptedBackend bad = new ScriptedBackend(FastPathBodyTest::resetAfterHead, true);
             ScriptedBackend good = new ScriptedBackend(FastPathBodyTest::sum);
             ProxyFixture f = new ProxyFixture(dir, yaml("first", "a=" + bad.address(), "b=" + good.address()), false)) {
            try (WireClient c = new WireClient(port(f), 5000)) {
                WireClient.Response r = c.exchange("POST /order HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello");
                assertThat(r.status()).isEqualTo(503);
                assertThat(r.bodyText()).contains("reset before response");
            }
            assertThat(good.take()).as("the POST is never sent twice").isEmpty();
            try (WireClient c = new WireClient(port(f), 5000)) {
                WireClient.Response r = c.exchange("PUT /order HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello");
                assertThat(r.status()).isEqualTo(200);
                assertThat(r.bodyText()).startsWith("PUT /order HTTP/1.1 len=5");
            }
            assertThat(fastRequests(f)).isEqualTo(2.0);
        }
    }
}
