package dev.cairn.proxy;

import dev.cairn.core.testing.TestHost;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;

/** A TestHost running the proxy module (and optionally the demo backends), plus an HTTP client. */
final class ProxyFixture implements AutoCloseable {

    final ProxyModule proxy = new ProxyModule();
    final TestHost host;
    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    ProxyFixture(Path dir, String yaml, boolean demo) throws Exception {
        host = demo ? TestHost.start(dir, yaml, proxy, new dev.cairn.core.demo.DemoModule())
                : TestHost.start(dir, yaml, proxy);
    }

    String base(String listener) {
        return "http://127.0.0.1:" + proxy.listenerAddress(listener).getPort();
    }

    HttpResponse<String> get(String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> get(String url, String header, String value) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).header(header, value).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** A service block with these endpoints (name=address pairs) and a fast HTTP check. */
    static String service(String name, String check, String... endpoints) {
        StringBuilder b = new StringBuilder("  " + name + ":\n    endpoints:\n");
        for (String e : endpoints) b.append("      - ").append(e).append('\n');
        if (check != null) b.append("    check: ").append(check).append('\n');
        return b.toString();
    }

    static final String FAST_HTTP_CHECK = "{ type: http, path: /health, interval: 100ms, timeout: 500ms, rise: 1, fall: 1 }";

    @Override
    public void close() {
        host.close();
    }
}
