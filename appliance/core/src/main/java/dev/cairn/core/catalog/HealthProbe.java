package dev.cairn.core.catalog;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

/** Runs one active check against one endpoint and says whether it passed, and why not. */
final class HealthProbe {

    /** Outcome of one check; {@code detail} is shown to operators ("HTTP 503", "connection refused"). */
    record Result(boolean ok, String detail) {
    }

    private final HttpClient http;

    HealthProbe(HttpClient http) {
        this.http = http;
    }

    Result run(CheckConfig check, String host, int endpointPort) {
        int port = check.port() != 0 ? check.port() : endpointPort;
        return switch (check.type()) {
            case TCP -> tcp(check, host, port);
            case HTTP -> http(check, host, port);
        };
    }

    private static Result tcp(CheckConfig check, String host, int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port), (int) check.timeout().toMillis());
            return new Result(true, "TCP connect ok");
        } catch (IOException e) {
            return new Result(false, "TCP connect: " + reason(e));
        }
    }

    private Result http(CheckConfig check, String host, int port) {
        String authority = (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
        try {
            HttpRequest.Builder req = HttpRequest.newBuilder(URI.create("http://" + authority + check.path()))
                    .timeout(check.timeout())
                    .header("User-Agent", "cairn-health-check")
                    .GET();
            if (check.host() != null) {
                req.header("Host", check.host());
            }
            HttpResponse<String> resp = http.send(req.build(), HttpResponse.BodyHandlers.ofString());
            int code = resp.statusCode();
            if (code < check.statusLow() || code > check.statusHigh()) {
                return new Result(false, "HTTP " + code + " (expected " + check.expectStatus() + ")");
            }
            if (check.expectBody() != null && !resp.body().contains(check.expectBody())) {
                return new Result(false, "HTTP " + code + ", body lacks '" + check.expectBody() + "'");
            }
            return new Result(true, "HTTP " + code);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(false, "interrupted");
        } catch (IOException | IllegalArgumentException e) {
            return new Result(false, "HTTP: " + reason(e));
        }
    }

    private static String reason(Exception e) {
        if (e instanceof java.net.http.HttpTimeoutException || e instanceof java.net.SocketTimeoutException) {
            return "timeout";
        }
        if (e instanceof java.net.ConnectException) {
            return "connection refused";
        }
        String m = e.getMessage();
        return m == null ? e.getClass().getSimpleName() : m;
    }
}
