package dev.cairn.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
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
    void obsFoldIsRejected() throws Exception {
        // RFC 9112 5.2: a folded header line (continued by SP or HTAB) is answered 400, not
        // unfolded, so no later hop can split the same bytes differently.
        for (String fold : new String[] {" Injected: evil", "\tsecond", " "}) {
            RawHttp.Response r = send("GET /fold HTTP/1.1\r\nHost: x\r\nX-Long: a\r\n" + fold + "\r\n\r\n");
            assertThat(r.status()).as("fold %s", fold).isEqualTo(400);
        }
        // Right after the request line as well.
        assertThat(send("GET /fold HTTP/1.1\r\n Host: x\r\n\r\n").status()).isEqualTo(400);
        assertThat(backend.hits.get()).isZero();
    }

    @Test
    void obsFoldInAPipelinedRequestAfterABodyIsRejected() throws Exception {
        // The guard follows the framing: the bodies below contain CRLF + SP (legal in a body), and
        // only the folded head of the last request is refused.
        try (RawHttp c = new RawHttp(port)) {
            c.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 9\r\n\r\nab\r\n cdef"
                    + "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nx\r\n y\r\n0\r\n\r\n"
                    + "GET /plain HTTP/1.1\r\nHost: x\r\n\r\n"
                    + "GET /fold HTTP/1.1\r\nHost: x\r\nX-A: a\r\n\tInjected: b\r\n\r\n");
            RawHttp.Response first = c.read();
            assertThat(first.status()).isEqualTo(200);
            assertThat(first.body()).isEqualTo("ab\r\n cdef");
            RawHttp.Response second = c.read();
            assertThat(second.status()).isEqualTo(200);
            assertThat(second.body()).isEqualTo("x\r\n y");
            assertThat(c.read().status()).isEqualTo(200);
            assertThat(c.read().status()).isEqualTo(400);
        }
        assertThat(backend.hits.get()).isEqualTo(3);
    }

    @Test
    void headersThatOnlyLookLikeFoldsPass() throws Exception {
        // Spaces inside values and around them are not folds.
        try (RawHttp c = new RawHttp(port)) {
            RawHttp.Response r = c.exchange("GET /headers HTTP/1.1\r\nHost: x\r\nX-A:   spaced  value \r\nX-B:\tb\r\n\r\n");
            assertThat(r.status()).isEqualTo(200);
            // The value arrives without its surrounding whitespace: passed as sent by the fast path
            // (as HAProxy does), with runs of spaces collapsed when Undertow's full path parses it.
            assertThat(r.body()).containsPattern("x-a: spaced {1,2}value\n").contains("x-b: b");
            // The connection stays usable.
            assertThat(c.exchange("GET /again HTTP/1.1\r\nHost: x\r\n\r\n").status()).isEqualTo(200);
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
    void malformedChunkedBodiesAreRefusedWith400BeforeAnythingGoesUpstream() throws Exception {
        for (String body : new String[] {"zz\r\nhello\r\n0\r\n\r\n", "\r\nhello\r\n0\r\n\r\n",
                "5\r\nhelloXX0\r\n\r\n", "5 x\r\nhello\r\n0\r\n\r\n", ";a\r\nhello\r\n0\r\n\r\n",
                "fffffffffffffffffff\r\nhello\r\n0\r\n\r\n"}) {
            RawHttp.Response r = send("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + body);
            assertThat(r.status()).as(body).isEqualTo(400);
        }
        assertThat(backend.hits.get()).isZero();
        // Blanks before an extension are allowed (RFC 9112 BWS).
        RawHttp.Response ok = send("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5 ;ext=1\r\nhello\r\n0\r\n\r\n");
        assertThat(ok.status()).isEqualTo(200);
        assertThat(ok.body()).isEqualTo("hello");
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
