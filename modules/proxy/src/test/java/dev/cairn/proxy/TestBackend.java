package dev.cairn.proxy;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real HTTP backend for tests (JDK HttpServer on a loopback port): answers with its name,
 * {@code /headers} echoes the request headers, {@code /slow?ms=N} holds the request, {@code /health}
 * is 200. Counts the requests it served.
 */
final class TestBackend implements AutoCloseable {

    final String name;
    final HttpServer server;
    final AtomicInteger hits = new AtomicInteger();
    final AtomicInteger inFlight = new AtomicInteger();
    /** Requests by path (health checks left out), for cases whose earlier neighbours' requests may still arrive. */
    final java.util.concurrent.ConcurrentHashMap<String, AtomicInteger> byPath = new java.util.concurrent.ConcurrentHashMap<>();
    private final ExecutorService pool;

    TestBackend(String name) throws IOException {
        this(name, 0);
    }

    TestBackend(String name, int port) throws IOException {
        this.name = name;
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 128);
        pool = Executors.newFixedThreadPool(16, r -> {
            Thread t = new Thread(r, "test-backend-" + name);
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(pool);
        server.createContext("/", this::handle);
        server.start();
    }

    /** Requests so far whose path starts with {@code prefix}. */
    int hitsStartingWith(String prefix) {
        return byPath.entrySet().stream().filter(e -> e.getKey().startsWith(prefix)).mapToInt(e -> e.getValue().get()).sum();
    }

    int port() {
        return server.getAddress().getPort();
    }

    String address() {
        return "127.0.0.1:" + port();
    }

    private void handle(HttpExchange ex) throws IOException {
        inFlight.incrementAndGet();
        try (ex) {
            String path = ex.getRequestURI().getPath();
            if (!path.equals("/health")) {
                hits.incrementAndGet();
                byPath.computeIfAbsent(path, k -> new AtomicInteger()).incrementAndGet();
            }
            byte[] body;
            try (InputStream in = ex.getRequestBody()) {
                body = in.readAllBytes();
            }
            String out;
            if (path.equals("/headers")) {
                StringBuilder b = new StringBuilder();
                for (Map.Entry<String, List<String>> h : ex.getRequestHeaders().entrySet()) {
                    for (String v : h.getValue()) b.append(h.getKey().toLowerCase()).append(": ").append(v).append('\n');
                }
                out = b.toString();
            } else if (path.equals("/slow") || path.startsWith("/slow/")) {
                String q = ex.getRequestURI().getQuery();
                long ms = q != null && q.startsWith("ms=") ? Long.parseLong(q.substring(3)) : 1000;
                try {
                    Thread.sleep(ms); // the backend is slow on purpose: the request must stay in flight
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                out = name;
            } else if (path.equals("/session")) {
                ex.getResponseHeaders().add("Set-Cookie", "PHPSESSID=app-" + name + "; Path=/");
                out = name;
            } else if (path.equals("/echo")) {
                out = new String(body, StandardCharsets.UTF_8);
            } else {
                out = name;
            }
            byte[] bytes = out.getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("X-Backend", name);
            ex.sendResponseHeaders(200, bytes.length == 0 ? -1 : bytes.length);
            if (bytes.length > 0) ex.getResponseBody().write(bytes);
        } finally {
            inFlight.decrementAndGet();
        }
    }

    @Override
    public void close() {
        server.stop(0);
        pool.shutdownNow();
    }
}
