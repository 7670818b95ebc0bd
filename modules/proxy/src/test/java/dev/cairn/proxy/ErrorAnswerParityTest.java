package dev.cairn.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.core.testing.TestHost;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Cairn's own 502/503/504 answers are the same on both paths (status, headers, body, whether the
 * client connection stays): an endpoint that refuses connections, one that resets before or in
 * the middle of its response, one that never answers, a service with no endpoint up, and a full
 * queue. Two hosts, {@code fast_path: false} and {@code true}, in front of one scripted backend.
 */
class ErrorAnswerParityTest {

    @TempDir
    static Path dir;
    static ScriptedBackend backend;
    static int deadPort;
    static ProxyFixture undertow;
    static ProxyFixture fast;

    static String yaml(boolean fastPath) {
        String dead = "127.0.0.1:" + deadPort;
        return "services:\n" + ProxyFixture.service("web", null, "{ address: " + backend.address() + ", name: a }")
                + ProxyFixture.service("dead", null, "{ address: " + dead + ", name: d }")
                + ProxyFixture.service("down", ProxyFixture.FAST_HTTP_CHECK, "{ address: " + dead + ", name: d }")
                + "proxy:\n  fast_path: " + fastPath + "\n"
                + "  passive_health: { failures: 0 }\n"
                // One request at a time per endpoint and no queue: a second concurrent request is refused.
                + "  limits: { endpoint_max_connections: 1, queue_size: 0 }\n"
                + "  timeouts: { server: 1500ms, connect: 1s }\n"
                + "  listeners:\n    - name: web\n      bind: 127.0.0.1:0\n      routes:\n"
                + "        - { host: dead.example, service: dead }\n"
                + "        - { host: down.example, service: down }\n"
                + "        - { service: web }\n";
    }

    @BeforeAll
    static void start() throws Exception {
        backend = new ScriptedBackend(ErrorAnswerParityTest::script);
        try (ServerSocket s = new ServerSocket(0)) {
            deadPort = s.getLocalPort(); // closed again: connections to it are refused
        }
        undertow = new ProxyFixture(Files.createDirectory(dir.resolve("undertow")), yaml(false), false);
        fast = new ProxyFixture(Files.createDirectory(dir.resolve("fast")), yaml(true), false);
        for (ProxyFixture f : List.of(undertow, fast)) {
            TestHost.await(Duration.ofSeconds(10), "the down service's endpoint is marked DOWN",
                    () -> f.host.metric("cairn_service_endpoint_up", "service", "down", "endpoint", "d") == 0);
        }
    }

    @AfterAll
    static void stop() throws Exception {
        if (fast != null) fast.close();
        if (undertow != null) undertow.close();
        if (backend != null) backend.close();
    }

    static boolean script(ScriptedBackend.Request r, InputStream in, OutputStream out, Socket s) throws IOException {
        switch (r.path()) {
            case "/reset" -> {
                return ScriptedBackend.reset(s);
            }
            case "/hang" -> {
                return ScriptedBackend.hang(in);
            }
            case "/reset-mid-response" -> {
                ScriptedBackend.write(out, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\n0123456789");
                try {
                    Thread.sleep(300); // the endpoint dies a moment after it began to answer
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return ScriptedBackend.reset(s);
            }
            default -> ScriptedBackend.write(out, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok");
        }
        return true;
    }

    enum ErrorKind {
        ENDPOINT_REFUSES("GET /x HTTP/1.1\r\nHost: dead.example\r\n\r\n"),
        ENDPOINT_RESETS_BEFORE_RESPONSE("GET /reset HTTP/1.1\r\nHost: shop.example\r\n\r\n"),
        POST_RESET_BEFORE_RESPONSE("POST /reset HTTP/1.1\r\nHost: shop.example\r\nContent-Length: 5\r\n\r\nhello"),
        ENDPOINT_TIMES_OUT("GET /hang HTTP/1.1\r\nHost: shop.example\r\n\r\n"),
        NO_ENDPOINT_UP("GET /x HTTP/1.1\r\nHost: down.example\r\n\r\n");

        final String raw;

        ErrorKind(String raw) {
            this.raw = raw;
        }
    }

    /** Status, headers and body as the parity test compares them, the Connection header, and whether the connection closed. */
    private static String answer(ProxyFixture f, String raw) throws Exception {
        int port = port(f);
        try (WireClient c = new WireClient(port, 5000)) {
            WireClient.Response r = c.exchange(raw);
            assertThat(r).as("an answer").isNotNull();
            return FastPathParityTest.describe(r, false, port) + "\nconnection: " + r.header("Connection")
                    + "\nclosed after: " + c.closedWithin(1000);
        }
    }

    @ParameterizedTest
    @EnumSource(ErrorKind.class)
    void errorAnswersAreTheSameOnBothPaths(ErrorKind kind) throws Exception {
        String expected = answer(undertow, kind.raw);
        assertThat(expected).as("%s: an error of Cairn's own", kind).containsPattern("^status 50[234]\n");
        assertThat(answer(fast, kind.raw)).as("%s: fast path vs Undertow", kind).isEqualTo(expected);
    }

    @Test
    void aFullQueueIsAnsweredAlikeOnBothPaths() throws Exception {
        List<String> seen = new ArrayList<>();
        for (ProxyFixture f : List.of(undertow, fast)) {
            try (WireClient holder = new WireClient(port(f), 5000)) {
                // Takes the endpoint's only slot until timeouts.server (504).
                holder.send("GET /hang HTTP/1.1\r\nHost: shop.example\r\n\r\n");
                TestHost.await(Duration.ofSeconds(5), "the slot is taken",
                        () -> f.host.metric("cairn_proxy_server_current_sessions", "service", "web", "endpoint", "a") == 1);
                String refused = answer(f, "GET /x HTTP/1.1\r\nHost: shop.example\r\n\r\n");
                assertThat(refused).contains("status 503").contains("retry-after: 1");
                seen.add(refused);
                assertThat(holder.read().status()).isEqualTo(504);
            }
            TestHost.await(Duration.ofSeconds(5), "the slot is free again",
                    () -> f.host.metric("cairn_proxy_server_current_sessions", "service", "web", "endpoint", "a") == 0);
        }
        assertThat(seen.get(1)).as("fast path vs Undertow").isEqualTo(seen.get(0));
    }

    /**
     * The endpoint resets after the response began: the client gets what was passed on, then the
     * connection closes before the announced length on both paths.
     */
    @Test
    void aResetMidResponseClosesTheClientConnectionOnBothPaths() throws Exception {
        List<String> seen = new ArrayList<>();
        for (ProxyFixture f : List.of(undertow, fast)) {
            try (Socket s = new Socket("127.0.0.1", port(f))) {
                s.setSoTimeout(5000);
                s.getOutputStream().write("GET /reset-mid-response HTTP/1.1\r\nHost: shop.example\r\n\r\n"
                        .getBytes(StandardCharsets.ISO_8859_1));
                ByteArrayOutputStream got = new ByteArrayOutputStream();
                boolean closed;
                try {
                    InputStream in = s.getInputStream();
                    byte[] buf = new byte[4096];
                    int n;
                    while ((n = in.read(buf)) >= 0) got.write(buf, 0, n);
                    closed = true;
                } catch (java.net.SocketTimeoutException e) {
                    closed = false;
                } catch (IOException e) {
                    closed = true; // reset
                }
                String text = got.toString(StandardCharsets.ISO_8859_1);
                int end = text.indexOf("\r\n\r\n");
                assertThat(end).as("a response head reached the client").isPositive();
                List<String> head = new ArrayList<>(List.of(text.substring(0, end).split("\r\n")));
                String status = head.remove(0);
                head.removeIf(l -> l.toLowerCase(Locale.ROOT).startsWith("date:") || l.toLowerCase(Locale.ROOT).startsWith("connection:"));
                head.replaceAll(l -> l.toLowerCase(Locale.ROOT));
                head.sort(null);
                int body = text.length() - end - 4;
                assertThat(body).as("less than the announced body").isLessThan(100);
                seen.add(status + "\n" + String.join("\n", head) + "\nclosed: " + closed);
            }
        }
        assertThat(seen.get(0)).contains("closed: true");
        assertThat(seen.get(1)).as("fast path vs Undertow").isEqualTo(seen.get(0));
    }

    private static int port(ProxyFixture f) {
        return f.proxy.listenerAddress("web").getPort();
    }
}
