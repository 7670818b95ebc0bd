package dev.cairn.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import dev.cairn.spi.config.HostPort;
import io.prometheus.metrics.exporter.httpserver.MetricsHandler;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The HTTP listener that serves a registry on one path and answers 404 everywhere else.
 *
 * <p>Scrapes go through the client library's scrape handler, which negotiates the format from
 * {@code Accept} (Prometheus text, OpenMetrics, Prometheus protobuf), gzips when the scraper
 * accepts it, and honours {@code name[]} filters and {@code ?debug=}. The listener owns its
 * threads ({@value #HTTP_THREADS} daemon threads named {@code cairn-metrics-http-N}); {@link
 * #close()} stops them. The path can be changed while serving.
 */
final class MetricsListener implements AutoCloseable {

    /** Scrapes are rare and short; a few threads let two Prometheus servers and a curl overlap. */
    static final int HTTP_THREADS = 4;

    private static final AtomicInteger THREAD_IDS = new AtomicInteger();

    private final HttpServer server;
    private final ExecutorService executor;
    private final HttpHandler scrapeHandler;
    private volatile String path;

    private MetricsListener(HttpServer server, ExecutorService executor, HttpHandler scrapeHandler, String path) {
        this.server = server;
        this.executor = executor;
        this.scrapeHandler = scrapeHandler;
        this.path = path;
    }

    /** Binds {@code listen} and starts serving {@code registry} at {@code path}. */
    static MetricsListener open(HostPort listen, String path, PrometheusRegistry registry) throws IOException {
        HttpServer server = HttpServer.create(listen.toSocketAddress(), 0);
        ExecutorService executor = Executors.newFixedThreadPool(HTTP_THREADS, r -> {
            Thread t = new Thread(r, "cairn-metrics-http-" + THREAD_IDS.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        MetricsListener listener = new MetricsListener(server, executor, new MetricsHandler(registry), path);
        server.createContext("/", listener::handle);
        server.setExecutor(executor);
        server.start();
        return listener;
    }

    InetSocketAddress address() {
        return server.getAddress();
    }

    void setPath(String path) {
        this.path = path;
    }

    private void handle(HttpExchange exchange) throws IOException {
        try {
            // The context "/" matches every path: the exact path is checked here, so /metricsx is a 404.
            if (!exchange.getRequestURI().getPath().equals(path)) {
                respond(exchange, 404, "404 not found: metrics are served at " + path + "\n");
                return;
            }
            String method = exchange.getRequestMethod();
            if (!method.equals("GET") && !method.equals("HEAD")) {
                exchange.getResponseHeaders().set("Allow", "GET, HEAD");
                respond(exchange, 405, "405 method not allowed: use GET\n");
                return;
            }
            scrapeHandler.handle(exchange);
        } finally {
            exchange.close();
        }
    }

    private static void respond(HttpExchange exchange, int status, String body) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        if (exchange.getRequestMethod().equals("HEAD")) {
            exchange.sendResponseHeaders(status, -1);
            return;
        }
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    /** Closes the socket at once (scrapes in flight are cut) and stops the threads. */
    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
