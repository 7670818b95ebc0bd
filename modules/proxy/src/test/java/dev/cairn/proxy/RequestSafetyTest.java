package dev.cairn.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Request smuggling and header-spoofing attempts, sent byte for byte on raw sockets. */
class RequestSafetyTest {

    @TempDir
    Path dir;
    TestBackend backend;
    ProxyFixture f;
    int port;

    @BeforeEach
    void start() throws Exception {
        backend = new TestBackend("a");
        f = new ProxyFixture(dir, "services:\n" + ProxyFixture.service("web", null, backend.address())
                + "proxy:\n  limits: { max_body_size: 1KiB }\n  listeners:\n"
                + "    - name: web\n      bind: 127.0.0.1:0\n      routes: [ { service: web } ]\n"
                + "    - name: inner\n      bind: 127.0.0.1:0\n      trusted_proxies: [ 127.0.0.0/8 ]\n      routes: [ { service: web } ]\n", false);
        port = f.proxy.listenerAddress("web").getPort();
    }

    @AfterEach
    void stop() {
        f.close();
        backend.close();
    }

    private RawHttp.Response send(String raw) throws Exception {
        try (RawHttp c = new RawHttp(port)) {
            return c.exchange(raw);
        }
    }

    @Test
    void contentLengthWithTransferEncodingIsRejected() throws Exception {
        RawHttp.Response r = send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n");
        assertThat(r.status()).isEqualTo(400);
        assertThat(backend.hits.get()).isZero();
    }

    @Test
    void duplicateContentLengthIsRejected() throws Exception {
        RawHttp.Response r = send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nContent-Length: 10\r\n\r\nabcd");
        assertThat(r.status()).isEqualTo(400);
        assertThat(backend.hits.get()).isZero();
    }

    @Test
    void obsFoldIsForwardedAsOneHeaderJoinedBySpaces() throws Exception {
        // RFC 7230 3.2.4 lets a proxy replace each obs-fold with SP before forwarding (rather than
        // answer 400); Undertow 2.4 does. The backend here is a raw socket that records the bytes
        // it receives, so what is asserted is the wire, not another parser's unfolding.
        try (ServerSocket raw = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            CompletableFuture<String> received = CompletableFuture.supplyAsync(() -> readOneRequestHead(raw));
            Path d = Files.createDirectories(dir.resolve("raw"));
            try (ProxyFixture g = new ProxyFixture(d, "services:\n"
                    + ProxyFixture.service("raw", null, "127.0.0.1:" + raw.getLocalPort())
                    + "proxy:\n  listeners:\n    - name: web\n      bind: 127.0.0.1:0\n      routes: [ { service: raw } ]\n", false);
                 RawHttp c = new RawHttp(g.proxy.listenerAddress("web").getPort())) {
                RawHttp.Response r = c.exchange("GET /fold HTTP/1.1\r\nHost: x\r\nX-Long: a\r\n Injected: evil\r\n\tsecond\r\n\r\n");
                assertThat(r.status()).isEqualTo(200);
                String head = received.get(20, TimeUnit.SECONDS);
                // Each fold (CRLF + one SP or HTAB) became one SP.
                assertThat(head).contains("\r\nX-Long: a Injected: evil second\r\n");
                assertThat(head).doesNotContainPattern("(?m)^[ \t]").doesNotContainPattern("(?im)^Injected");
                assertThat(head.split("(?i)\r\nX-Long:", -1)).hasSize(2); // one X-Long header
            }
        }
    }

    /** Accepts one connection, returns its request head byte for byte, answers 200 and closes. */
    private static String readOneRequestHead(ServerSocket raw) {
        try (Socket s = raw.accept()) {
            s.setSoTimeout(20_000);
            InputStream in = s.getInputStream();
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
                int b = in.read();
                if (b < 0) break;
                head.write(b);
            }
            s.getOutputStream().write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
                    .getBytes(StandardCharsets.ISO_8859_1));
            return head.toString(StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void unknownTransferEncodingIsRejected() throws Exception {
        RawHttp.Response r = send("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n");
        assertThat(r.status()).isEqualTo(400);
        assertThat(backend.hits.get()).isZero();
    }

    @Test
    void oversizedBodyIsRefusedWith413() throws Exception {
        RawHttp.Response r = send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2048\r\n\r\n" + "x".repeat(2048));
        assertThat(r.status()).isEqualTo(413);
        assertThat(backend.hits.get()).isZero();
    }

    @Test
    void chunkedBodyIsForwardedIntact() throws Exception {
        RawHttp.Response r = send("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("hello");
    }

    @Test
    void spoofedForwardingHeadersFromAClientAreReplaced() throws Exception {
        RawHttp.Response r = send("GET /headers HTTP/1.1\r\nHost: shop.example\r\nX-Forwarded-For: 6.6.6.6\r\n"
                + "X-Forwarded-Proto: https\r\nX-Forwarded-Host: evil.example\r\nForwarded: for=6.6.6.6\r\n\r\n");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body()).contains("x-forwarded-for: 127.0.0.1\n").contains("x-forwarded-proto: http\n")
                .contains("x-forwarded-host: shop.example\n")
                .contains("forwarded: for=127.0.0.1;proto=http;host=shop.example\n")
                .doesNotContain("6.6.6.6").doesNotContain("evil.example");
    }

    @Test
    void forwardingHeadersFromATrustedProxyAreExtended() throws Exception {
        try (RawHttp c = new RawHttp(f.proxy.listenerAddress("inner").getPort())) {
            RawHttp.Response r = c.exchange("GET /headers HTTP/1.1\r\nHost: shop.example\r\nX-Forwarded-For: 203.0.113.7\r\n"
                    + "X-Forwarded-Proto: https\r\nForwarded: for=203.0.113.7;proto=https\r\n\r\n");
            assertThat(r.body()).contains("x-forwarded-for: 203.0.113.7,127.0.0.1\n").contains("x-forwarded-proto: https\n")
                    .contains("forwarded: for=203.0.113.7;proto=https, for=127.0.0.1;proto=http;host=shop.example\n");
        }
    }
}
