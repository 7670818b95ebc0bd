package dev.cairn.core.catalog;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Runs one active check against one endpoint and says whether it passed, and why not. */
final class HealthProbe {

    /** Outcome of one check; {@code detail} is shown to operators ("HTTP 503", "connection refused"). */
    record Result(boolean ok, String detail) {
    }

    /** Bytes of an HTTP check's body that are read and searched for expect_body. */
    static final int MAX_BODY = 64 * 1024;

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
        HttpRequest.Builder req;
        try {
            req = HttpRequest.newBuilder(URI.create("http://" + authority + check.path()))
                    .timeout(check.timeout())
                    .header("User-Agent", "cairn-health-check")
                    .GET();
            if (check.host() != null) {
                req.header("Host", check.host());
            }
        } catch (IllegalArgumentException e) {
            return new Result(false, "HTTP: " + e.getMessage());
        }
        // The whole exchange, body included, must finish within the timeout, and at most
        // MAX_BODY bytes are read: a backend that streams forever fails its check, nothing hangs.
        CompletableFuture<HttpResponse<String>> f = http.sendAsync(req.build(), info -> new LimitedBody(MAX_BODY));
        HttpResponse<String> resp;
        try {
            resp = f.get(check.timeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            f.cancel(true);
            return new Result(false, "HTTP: timeout");
        } catch (InterruptedException e) {
            f.cancel(true);
            Thread.currentThread().interrupt();
            return new Result(false, "interrupted");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            return new Result(false, "HTTP: " + reason(cause instanceof Exception ex ? ex : e));
        }
        int code = resp.statusCode();
        if (code < check.statusLow() || code > check.statusHigh()) {
            return new Result(false, "HTTP " + code + " (expected " + check.expectStatus() + ")");
        }
        if (check.expectBody() != null && !resp.body().contains(check.expectBody())) {
            return new Result(false, "HTTP " + code + ", body lacks '" + check.expectBody() + "'");
        }
        return new Result(true, "HTTP " + code);
    }

    /** Collects at most {@code limit} bytes of a body as text, then stops reading. */
    private static final class LimitedBody implements HttpResponse.BodySubscriber<String> {
        private final int limit;
        private final java.io.ByteArrayOutputStream buf = new java.io.ByteArrayOutputStream();
        private final CompletableFuture<String> result = new CompletableFuture<>();
        private Flow.Subscription subscription;

        LimitedBody(int limit) {
            this.limit = limit;
        }

        @Override
        public CompletionStage<String> getBody() {
            return result;
        }

        @Override
        public void onSubscribe(Flow.Subscription s) {
            subscription = s;
            s.request(1);
        }

        @Override
        public void onNext(List<ByteBuffer> items) {
            for (ByteBuffer b : items) {
                int n = Math.min(b.remaining(), limit - buf.size());
                byte[] chunk = new byte[n];
                b.get(chunk);
                buf.write(chunk, 0, n);
            }
            if (buf.size() >= limit) {
                subscription.cancel();
                result.complete(text());
            } else {
                subscription.request(1);
            }
        }

        @Override
        public void onError(Throwable t) {
            result.completeExceptionally(t);
        }

        @Override
        public void onComplete() {
            result.complete(text());
        }

        private String text() {
            return buf.toString(StandardCharsets.UTF_8);
        }
    }

    private static String reason(Throwable e) {
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
