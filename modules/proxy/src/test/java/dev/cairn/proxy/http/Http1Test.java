package dev.cairn.proxy.http;

import dev.cairn.proxy.http.policy.ChunkedFraming;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** The fast path's strict head parsing: what it takes, what it leaves to Undertow, and framing. */
class Http1Test {

    private static final long MAX_BODY = 1024;

    private static ByteBuffer buf(String s) {
        ByteBuffer b = ByteBuffer.allocate(16 * 1024);
        b.put(s.getBytes(StandardCharsets.ISO_8859_1));
        return b;
    }

    private static int parse(String s, Http1.RequestHead h) {
        ByteBuffer b = buf(s);
        return Http1.parseRequest(b, b.position(), 100, MAX_BODY, h);
    }

    @Test
    void simpleRequestIsTakenWithItsParts() {
        String req = "GET /a/b?x=1&y=%2F HTTP/1.1\r\nHost: Example.com:8080\r\nUser-Agent: t\r\nConnection: keep-alive\r\n\r\n";
        Http1.RequestHead h = new Http1.RequestHead();
        int end = parse(req + "GET /next", h);
        assertThat(end).isEqualTo(req.length());
        assertThat(req.substring(h.targetStart, h.pathEnd)).isEqualTo("/a/b");
        assertThat(req.substring(h.targetStart, h.targetEnd)).isEqualTo("/a/b?x=1&y=%2F");
        assertThat(req.substring(h.hostStart, h.hostEnd)).isEqualTo("Example.com:8080");
        assertThat(req.substring(h.hostStart, h.hostNameEnd)).isEqualTo("Example.com");
        assertThat(h.port).isEqualTo(8080);
        assertThat(h.head).isFalse();
        assertThat(req.substring(h.userAgentStart, h.userAgentEnd)).isEqualTo("t");
    }

    @Test
    void everyPrefixOfASimpleRequestIsIncomplete() {
        String req = "HEAD / HTTP/1.1\r\nHost: [::1]\r\nAccept: */*\r\n\r\n";
        for (int n = 0; n < req.length(); n++) {
            Http1.RequestHead h = new Http1.RequestHead();
            ByteBuffer b = buf(req.substring(0, n));
            assertThat(Http1.parseRequest(b, n, 100, MAX_BODY, h)).as("first %d bytes", n).isEqualTo(Http1.INCOMPLETE);
        }
        Http1.RequestHead h = new Http1.RequestHead();
        assertThat(parse(req, h)).isEqualTo(req.length());
        assertThat(h.head).isTrue();
        assertThat(h.port).as("no port in Host: the scheme's default").isZero();
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "GET / HTTP/1.0\r\nHost: a\r\n\r\n",
        "GET http://a/ HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET /%2e%2e/ HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET /a;b HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET /a|b HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET /  HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nX: y\r\n z\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nX: y\r\n\tz\r\n\r\n",
        "GET / HTTP/1.1\nHost: a\n\n",
        "GET / HTTP/1.1\r\nHost: a\nX: y\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
        "GET / HTTP/1.1\r\nX: y\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: \r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a:0\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a:99999\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a b\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nX-Forwarded-Ssl: on\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nCookie: a=1\r\nCookie: b=2\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nX : y\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nX: \u00e9\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nX: a\u0000b\r\n\r\n",
        "get / HTTP/1.1\r\nHost: a\r\n\r\n",
        // Framing the full path refuses (400) or limits (413): never taken here.
        "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 1\r\n\r\n0\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx",
        "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1,1\r\n\r\nx",
        "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +1\r\n\r\nx",
        "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: \r\n\r\n",
        "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1025\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: a\r\nExpect: something\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n Transfer-Encoding: chunked\r\n\r\nx",
        "CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n",
        "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
        "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n",
        "PROPFIND / HTTP/1.1\r\nHost: a\r\n\r\n",
    })
    void anythingElseIsLeftToUndertow(String request) {
        assertThat(parse(request, new Http1.RequestHead())).isEqualTo(Http1.NOT_SIMPLE);
    }

    @Test
    void forwardingHeaderLinesAreFoundForTheFastPathToStripOrExtend() {
        Http1.RequestHead h = new Http1.RequestHead();
        String req = "GET / HTTP/1.1\r\nHost: a\r\nX-Forwarded-For:  1.2.3.4 \r\nX-A: b\r\nforwarded: for=1.2.3.4\r\n\r\n";
        assertThat(parse(req, h)).isEqualTo(req.length());
        assertThat(h.forwardingLines).isEqualTo(2);
        int xff = req.indexOf("X-Forwarded-For");
        assertThat(h.forwarding[0]).as("line start").isEqualTo(xff);
        assertThat(h.forwarding[1]).as("line end").isEqualTo(req.indexOf("X-A"));
        assertThat(req.substring(h.forwarding[2], h.forwarding[3])).as("value").isEqualTo("1.2.3.4");
        assertThat(h.forwarding[4]).isEqualTo(dev.cairn.proxy.http.policy.Forwarding.FOR);
        assertThat(h.forwarding[Http1.FORWARDING_FIELDS + 4]).isEqualTo(dev.cairn.proxy.http.policy.Forwarding.FORWARDED);
        StringBuilder many = new StringBuilder("GET / HTTP/1.1\r\nHost: a\r\n");
        for (int i = 0; i <= Http1.MAX_FORWARDING; i++) many.append("X-Real-IP: 1.2.3.4\r\n");
        assertThat(parse(many.append("\r\n").toString(), h)).as("too many forwarding lines").isEqualTo(Http1.NOT_SIMPLE);
    }

    @Test
    void bodiesAreTakenWithTheirFraming() {
        Http1.RequestHead h = new Http1.RequestHead();
        String post = "POST /f HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n";
        assertThat(parse(post + "hello", h)).isEqualTo(post.length());
        assertThat(h.method).isEqualTo("POST");
        assertThat(h.idempotent).isFalse();
        assertThat(h.contentLength).isEqualTo(5);
        assertThat(h.chunked).isFalse();
        String put = "PUT /f HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\nExpect: 100-continue\r\n\r\n";
        assertThat(parse(put, h)).isEqualTo(put.length());
        assertThat(h.idempotent).isTrue();
        assertThat(h.chunked).isTrue();
        assertThat(h.contentLength).isEqualTo(-1);
        assertThat(h.expectContinue).isTrue();
        String empty = "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n";
        assertThat(parse(empty, h)).isEqualTo(empty.length());
        assertThat(h.contentLength).isZero();
        String limit = "PATCH / HTTP/1.1\r\nHost: a\r\nContent-Length: 1024\r\n\r\n";
        assertThat(parse(limit, h)).as("exactly max_body_size").isEqualTo(limit.length());
    }

    @Test
    void tooManyHeadersAreLeftToUndertow() {
        StringBuilder b = new StringBuilder("GET / HTTP/1.1\r\nHost: a\r\n");
        for (int i = 0; i < 100; i++) b.append("X-").append(i).append(": v\r\n");
        assertThat(parse(b.append("\r\n").toString(), new Http1.RequestHead())).isEqualTo(Http1.NOT_SIMPLE);
    }

    @Test
    void responseFraming() {
        Http1.ResponseHead r = new Http1.ResponseHead();
        String head = "HTTP/1.1 200 OK\r\nContent-Length: 12\r\nConnection: keep-alive, close\r\nDate: x\r\n\r\n";
        ByteBuffer b = buf(head + "body");
        assertThat(Http1.parseResponse(b, 0, b.position(), r)).isEqualTo(head.length());
        assertThat(r.status).isEqualTo(200);
        assertThat(r.contentLength).isEqualTo(12);
        assertThat(r.close).isTrue();
        assertThat(r.date).isTrue();
        assertThat(head.substring(r.connectionStart, r.connectionEnd)).isEqualTo("Connection: keep-alive, close\r\n");

        b = buf("HTTP/1.1 204\r\n\r\n");
        assertThat(Http1.parseResponse(b, 0, b.position(), r)).isEqualTo(b.position());
        assertThat(r.status).isEqualTo(204);
        assertThat(r.contentLength).isEqualTo(-1);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: +1\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
        "HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n",
        "HTTP/1.1 2000 OK\r\n\r\n",
        "HTTP/2 200 OK\r\n\r\n",
        "HTTP/1.1 200 OK\nX: a\n\n",
        "HTTP/1.1 200 OK\r\nUpgrade: h2c\r\n\r\n",
    })
    void responsesWithDoubtfulFramingAreRefused(String head) {
        ByteBuffer b = buf(head);
        assertThat(Http1.parseResponse(b, 0, b.position(), new Http1.ResponseHead())).isEqualTo(Http1.NOT_SIMPLE);
    }

    @Test
    void chunkedEndIsFoundInAnySplit() {
        String body = "5;ext=1\r\nhello\r\n10\r\n0123456789abcdef\r\n0\r\nTrailer: t\r\n\r\n";
        String stream = body + "HTTP/1.1 200 OK";
        for (int step = 1; step <= stream.length(); step++) {
            ChunkedFraming c = new ChunkedFraming();
            ByteBuffer b = buf(stream);
            int found = ChunkedFraming.MORE;
            for (int at = 0; at < stream.length() && found == ChunkedFraming.MORE; at += step) {
                found = c.scan(b, at, Math.min(stream.length(), at + step));
            }
            assertThat(found).as("pieces of %d", step).isEqualTo(body.length());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"x\r\n", "5\r\nhelloXX", "5\nhello\r\n", "fffffffffffffffff\r\n", ";\r\n"})
    void malformedChunkedBodiesAreCaught(String body) {
        ByteBuffer b = buf(body);
        assertThat(new ChunkedFraming().scan(b, 0, b.position())).isEqualTo(ChunkedFraming.MALFORMED);
    }
}
