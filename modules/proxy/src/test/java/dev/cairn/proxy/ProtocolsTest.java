package dev.cairn.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.core.testing.TestHost;
import io.undertow.Handlers;
import io.undertow.Undertow;
import io.undertow.websockets.core.AbstractReceiveListener;
import io.undertow.websockets.core.BufferedTextMessage;
import io.undertow.websockets.core.WebSocketChannel;
import io.undertow.websockets.core.WebSockets;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Sticky sessions, PROXY protocol, WebSocket and TCP mode, end to end. */
class ProtocolsTest {

    @TempDir
    Path dir;

    private static String twoBackends(TestBackend a, TestBackend b) {
        return "services:\n" + ProxyFixture.service("web", null,
                "{ address: " + a.address() + ", name: a }", "{ address: " + b.address() + ", name: b }");
    }

    @Test
    void stickyCookieKeepsAClientOnItsEndpointAndFallsBackWhenItIsDrained() throws Exception {
        try (TestBackend a = new TestBackend("a"); TestBackend b = new TestBackend("b");
             ProxyFixture f = new ProxyFixture(dir, twoBackends(a, b) + "proxy:\n  listeners:\n"
                     + "    - { name: web, bind: 127.0.0.1:0, routes: [ { service: web, sticky: true } ] }\n", false)) {
            HttpResponse<String> first = f.get(f.base("web") + "/session");
            List<String> cookies = first.headers().allValues("Set-Cookie");
            assertThat(cookies).anySatisfy(c -> assertThat(c).startsWith("PHPSESSID=app-" + first.body()));
            String sticky = cookies.stream().filter(c -> c.startsWith("CAIRN_STICKY=")).findFirst().orElseThrow();
            String value = sticky.substring("CAIRN_STICKY=".length(), sticky.indexOf(';'));
            for (int i = 0; i < 10; i++) {
                HttpResponse<String> r = f.get(f.base("web") + "/", "Cookie", "CAIRN_STICKY=" + value);
                assertThat(r.body()).isEqualTo(first.body());
                assertThat(r.headers().allValues("Set-Cookie")).isEmpty(); // already sticky: nothing to set
            }
            // A forged cookie (right shape, wrong signature) is ignored.
            String forged = value.substring(0, value.indexOf('.') + 1) + "AAAAAAAAAAAAAAAAAAAAAA";
            assertThat(f.get(f.base("web") + "/", "Cookie", "CAIRN_STICKY=" + forged).headers().allValues("Set-Cookie"))
                    .anySatisfy(c -> assertThat(c).startsWith("CAIRN_STICKY="));
            // Its endpoint drained: the client moves and gets a new cookie.
            f.http.send(HttpRequest.newBuilder(URI.create(f.host.adminUrl() + "/api/services/web/endpoints/"
                    + first.body() + "/drain")).POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
            TestHost.await(Duration.ofSeconds(5), "drain seen", () -> f.host.metric("cairn_proxy_server_up",
                    "service", "web", "endpoint", first.body()) == 0.0);
            HttpResponse<String> moved = f.get(f.base("web") + "/", "Cookie", "CAIRN_STICKY=" + value);
            assertThat(moved.body()).isNotEqualTo(first.body());
            assertThat(moved.headers().allValues("Set-Cookie")).anySatisfy(c -> assertThat(c).startsWith("CAIRN_STICKY="));
        }
    }

    @Test
    void proxyProtocolV1AndV2GiveTheRealClientAddress() throws Exception {
        try (TestBackend a = new TestBackend("a");
             ProxyFixture f = new ProxyFixture(dir, "services:\n" + ProxyFixture.service("web", null, a.address())
                     + "proxy:\n  listeners:\n"
                     + "    - { name: web, bind: 127.0.0.1:0, proxy_protocol: true, routes: [ { service: web } ] }\n", false)) {
            int port = f.proxy.listenerAddress("web").getPort();
            try (RawHttp c = new RawHttp(port)) {
                RawHttp.Response r = c.exchange("PROXY TCP4 203.0.113.9 10.0.0.1 56324 80\r\n"
                        + "GET /headers HTTP/1.1\r\nHost: x\r\n\r\n");
                assertThat(r.body()).contains("x-forwarded-for: 203.0.113.9\n");
            }
            try (RawHttp c = new RawHttp(port)) {
                // The request after the PROXY line arrives with it: the obs-fold guard sees those bytes too.
                RawHttp.Response r = c.exchange("PROXY TCP4 203.0.113.9 10.0.0.1 56324 80\r\n"
                        + "GET /headers HTTP/1.1\r\nHost: x\r\nX-A: a\r\n Injected: b\r\n\r\n");
                assertThat(r.status()).isEqualTo(400);
            }
            try (Socket s = new Socket("127.0.0.1", port)) {
                ByteBuffer h = ByteBuffer.allocate(28);
                h.put(new byte[] {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A});
                h.put((byte) 0x21).put((byte) 0x11).putShort((short) 12);
                h.put(new byte[] {(byte) 198, 51, 100, 23}).put(new byte[] {10, 0, 0, 1});
                h.putShort((short) 40000).putShort((short) 80);
                OutputStream out = s.getOutputStream();
                out.write(h.array());
                out.write("GET /headers HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                s.setSoTimeout(5000);
                String resp = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertThat(resp).startsWith("HTTP/1.1 200").contains("x-forwarded-for: 198.51.100.23\n");
            }
            try (RawHttp c = new RawHttp(port)) {
                // Without the header the connection is refused: a listener behind a balancer trusts only it.
                assertThat(c.exchange("GET / HTTP/1.1\r\nHost: x\r\n\r\n").status()).isNotEqualTo(200);
            }
        }
    }

    // With the default fast_path: true, the upgrade request is handed from the fast path to Undertow.
    @Test
    void websocketUpgradePassesThrough() throws Exception {
        Undertow ws = Undertow.builder().addHttpListener(0, "127.0.0.1").setHandler(Handlers.websocket((exchange, channel) -> {
            channel.getReceiveSetter().set(new AbstractReceiveListener() {
                @Override
                protected void onFullTextMessage(WebSocketChannel ch, BufferedTextMessage message) {
                    WebSockets.sendText("echo: " + message.getData(), ch, null);
                }
            });
            channel.resumeReceives();
        })).build();
        ws.start();
        try {
            int wsPort = ((InetSocketAddress) ws.getListenerInfo().get(0).getAddress()).getPort();
            try (ProxyFixture f = new ProxyFixture(dir, "services:\n" + ProxyFixture.service("ws", null, "127.0.0.1:" + wsPort)
                    + "proxy:\n  listeners:\n    - { name: web, bind: 127.0.0.1:0, routes: [ { service: ws } ] }\n", false)) {
                List<String> got = new CopyOnWriteArrayList<>();
                CompletableFuture<String> reply = new CompletableFuture<>();
                WebSocket socket = f.http.newWebSocketBuilder().buildAsync(
                        URI.create("ws://127.0.0.1:" + f.proxy.listenerAddress("web").getPort() + "/chat"),
                        new WebSocket.Listener() {
                            @Override
                            public CompletionStage<?> onText(WebSocket w, CharSequence data, boolean last) {
                                got.add(data.toString());
                                reply.complete(data.toString());
                                w.request(1);
                                return null;
                            }
                        }).get(10, TimeUnit.SECONDS);
                socket.sendText("hello", true).get(5, TimeUnit.SECONDS);
                assertThat(reply.get(10, TimeUnit.SECONDS)).isEqualTo("echo: hello");
                socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye").get(5, TimeUnit.SECONDS);
            }
        } finally {
            ws.stop();
        }
    }

    /** A TCP echo server: one thread per connection, closable. */
    private static final class Echo implements AutoCloseable {
        final ServerSocket server = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
        final List<Socket> conns = new CopyOnWriteArrayList<>();
        final String tag;

        Echo(String tag) throws Exception {
            this.tag = tag;
            Thread t = new Thread(() -> {
                while (!server.isClosed()) {
                    try {
                        Socket s = server.accept();
                        conns.add(s);
                        Thread c = new Thread(() -> {
                            try (s) {
                                InputStream in = s.getInputStream();
                                OutputStream out = s.getOutputStream();
                                byte[] buf = new byte[8192];
                                int n;
                                while ((n = in.read(buf)) > 0) {
                                    out.write((tag + ":" + new String(buf, 0, n, StandardCharsets.US_ASCII))
                                            .getBytes(StandardCharsets.US_ASCII));
                                    out.flush();
                                }
                            } catch (Exception e) {
                                // connection gone
                            }
                        });
                        c.setDaemon(true);
                        c.start();
                    } catch (Exception e) {
                        return;
                    }
                }
            });
            t.setDaemon(true);
            t.start();
        }

        int port() {
            return server.getLocalPort();
        }

        @Override
        public void close() throws Exception {
            server.close();
            for (Socket s : conns) s.close();
        }
    }

    private static String roundTrip(Socket s, String msg) throws Exception {
        s.getOutputStream().write(msg.getBytes(StandardCharsets.US_ASCII));
        byte[] buf = new byte[256];
        int n = s.getInputStream().read(buf);
        return n < 0 ? null : new String(buf, 0, n, StandardCharsets.US_ASCII);
    }

    @Test
    void tcpForwardFollowsTheHealthyEndpointAndCutsClientsOfADeadOne() throws Exception {
        Echo primary = new Echo("primary");
        try (Echo standby = new Echo("standby");
             ProxyFixture f = new ProxyFixture(dir, "services:\n" + ProxyFixture.service("db",
                     "{ type: tcp, interval: 100ms, timeout: 500ms, rise: 1, fall: 1 }",
                     "{ address: 127.0.0.1:" + primary.port() + ", name: primary }",
                     "{ address: 127.0.0.1:" + standby.port() + ", name: standby }")
                     + "proxy:\n  tcp:\n    - { bind: 127.0.0.1:0, service: db, balance: first }\n", false)) {
            int port = f.proxy.tcpAddress(dev.cairn.spi.config.HostPort.parse("127.0.0.1:0")).getPort();
            Socket client = new Socket("127.0.0.1", port);
            client.setSoTimeout(10_000);
            assertThat(roundTrip(client, "ping")).isEqualTo("primary:ping");
            // The primary dies (listening socket gone; its accepted connection would linger): the
            // check marks it down and the proxy cuts its clients so they reconnect.
            primary.server.close();
            TestHost.await(Duration.ofSeconds(10), "client of the dead primary cut", () -> {
                try {
                    return client.getInputStream().read() < 0;
                } catch (Exception e) {
                    return true;
                }
            });
            try (Socket again = new Socket("127.0.0.1", port)) {
                again.setSoTimeout(10_000);
                assertThat(roundTrip(again, "ping")).isEqualTo("standby:ping");
            }
            assertThat(f.host.metric("cairn_proxy_tcp_bytes_in", "bind", "127.0.0.1:0", "service", "db")).isEqualTo(8.0);
            assertThat(f.host.metric("cairn_proxy_tcp_connections", "bind", "127.0.0.1:0", "service", "db")).isEqualTo(2.0);
        } finally {
            primary.close();
        }
    }
}
