package dev.cairn.backup.store;

import dev.cairn.backup.BackupErrors;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A repository on a Cairn backup server ({@code backup.server}), over HTTPS with a bearer token.
 * Transient failures (I/O errors, 5xx) are retried with backoff. Thread-safe.
 */
public final class ServerStore implements Store {

    private final URI base;
    private final String prefix;
    private final String auth;
    private final HttpClient http;
    private final int retries;

    public ServerStore(URI url, String token, Path caFile, int retries) throws IOException {
        String u = url.toString();
        int o = u.indexOf("/", u.indexOf("//") + 2);
        this.base = URI.create(o < 0 ? u : u.substring(0, o));
        String p = o < 0 ? "" : u.substring(o + 1);
        this.prefix = p.isEmpty() || p.endsWith("/") ? p : p + "/";
        this.auth = "Bearer " + token;
        this.retries = retries;
        HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(30));
        if (caFile != null) b.sslContext(trusting(caFile));
        this.http = b.build();
    }

    private static SSLContext trusting(Path caFile) throws IOException {
        try (InputStream in = Files.newInputStream(caFile)) {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            int i = 0;
            for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) ks.setCertificateEntry("ca" + i++, c);
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(ks);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, tmf.getTrustManagers(), null);
            return ctx;
        } catch (java.security.GeneralSecurityException e) {
            throw new IOException(BackupErrors.SERVER_CA.id() + " cannot use CA file " + caFile + ": " + e.getMessage(), e);
        }
    }

    private URI object(String name) {
        return base.resolve("/o/" + URLEncoder.encode(prefix + name, StandardCharsets.UTF_8).replace("%2F", "/"));
    }

    private HttpResponse<byte[]> send(HttpRequest.Builder rb, String what) throws IOException {
        HttpRequest req = rb.header("Authorization", auth).timeout(Duration.ofSeconds(120)).build();
        long backoff = 100;
        for (int attempt = 0; ; attempt++) {
            try {
                HttpResponse<byte[]> r = http.send(req, HttpResponse.BodyHandlers.ofByteArray());
                if (r.statusCode() < 500 || attempt >= retries) return r;
            } catch (IOException e) {
                if (attempt >= retries) throw new IOException(what + " on " + describe() + ": " + e.getMessage(), e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException(what);
            }
            try {
                Thread.sleep(backoff);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException(what);
            }
            backoff = Math.min(5000, backoff * 2);
        }
    }

    private static IOException failed(String what, HttpResponse<byte[]> r) {
        return new IOException(what + ": HTTP " + r.statusCode() + " " + new String(r.body(), StandardCharsets.UTF_8).trim());
    }

    @Override
    public boolean putIfAbsent(String name, byte[] data, int off, int len) throws IOException {
        HttpResponse<byte[]> r = send(HttpRequest.newBuilder(object(name)).PUT(HttpRequest.BodyPublishers.ofByteArray(data, off, len)), "PUT " + name);
        if (r.statusCode() == 201) return true;
        if (r.statusCode() == 200) return false;
        throw failed("PUT " + name, r);
    }

    @Override
    public byte[] get(String name) throws IOException {
        HttpResponse<byte[]> r = send(HttpRequest.newBuilder(object(name)).GET(), "GET " + name);
        if (r.statusCode() == 404) throw new NoSuchFileException(name);
        if (r.statusCode() != 200) throw failed("GET " + name, r);
        return r.body();
    }

    @Override
    public byte[] get(String name, long offset, int length) throws IOException {
        if (length == 0) return new byte[0];
        HttpResponse<byte[]> r = send(HttpRequest.newBuilder(object(name)).header("Range", "bytes=" + offset + "-" + (offset + length - 1)).GET(), "GET " + name);
        if (r.statusCode() == 404) throw new NoSuchFileException(name);
        if (r.statusCode() != 206 && r.statusCode() != 200) throw failed("GET " + name, r);
        return r.body();
    }

    @Override
    public List<StoreObject> list(String p) throws IOException {
        HttpResponse<byte[]> r = send(HttpRequest.newBuilder(base.resolve("/list?prefix=" + URLEncoder.encode(prefix + p, StandardCharsets.UTF_8))).GET(), "LIST " + p);
        if (r.statusCode() != 200) throw failed("LIST " + p, r);
        List<StoreObject> out = new ArrayList<>();
        for (String line : new String(r.body(), StandardCharsets.UTF_8).split("\n")) {
            int sp = line.lastIndexOf(' ');
            if (sp <= 0) continue;
            String n = line.substring(0, sp);
            if (!n.startsWith(prefix)) continue;
            out.add(new StoreObject(n.substring(prefix.length()), Long.parseLong(line.substring(sp + 1))));
        }
        return out;
    }

    @Override
    public void delete(String name) throws IOException {
        HttpResponse<byte[]> r = send(HttpRequest.newBuilder(object(name)).DELETE(), "DELETE " + name);
        if (r.statusCode() != 204 && r.statusCode() != 404) throw failed("DELETE " + name, r);
    }

    @Override
    public String describe() {
        return base + "/" + prefix;
    }
}
