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
 * Transient failures (I/O errors, 5xx) are retried with backoff. Content-named objects of at
 * least {@link #RESUMABLE_FROM_BYTES} (packs, large index files) are uploaded resumably: after a
 * cut connection or a server restart the client asks how many bytes the server holds and sends
 * only the rest (see {@code BackupServer}). Thread-safe.
 */
public final class ServerStore implements Store {

    /** Objects this large or larger are uploaded resumably; smaller ones in one request. */
    public static final int RESUMABLE_FROM_BYTES = 1024 * 1024;
    private static final long MAX_BACKOFF_MS = 5000;

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
        if (len >= RESUMABLE_FROM_BYTES && contentNamed(name)) return putResumable(name, data, off, len);
        HttpResponse<byte[]> r = send(HttpRequest.newBuilder(object(name)).PUT(HttpRequest.BodyPublishers.ofByteArray(data, off, len)), "PUT " + name);
        if (r.statusCode() == 201) return true;
        if (r.statusCode() == 200) return false;
        throw failed("PUT " + name, r);
    }

    private static boolean contentNamed(String name) {
        return (name.startsWith("data/") && name.endsWith(".tar")) || name.startsWith("index/") || name.startsWith("snapshots/")
                || name.startsWith("verify/");
    }

    private URI upload(String name, String id) {
        return URI.create(object(name) + "?upload=" + id);
    }

    /**
     * Sends the object in one request from the offset the server holds; when the connection is
     * cut or the server answers 5xx, asks the server how much it holds ({@code HEAD}) and sends
     * the rest. Attempts that made progress do not count against the retries. A whole object
     * refused by the server's re-hash is sent once more from the start under a new upload id.
     */
    private boolean putResumable(String name, byte[] data, int off, int len) throws IOException {
        String id = dev.cairn.backup.repo.Wire.hex(dev.cairn.backup.repo.Crypto.random(16));
        long offset = 0;
        boolean restarted = false;
        long backoff = 100;
        int failures = 0;
        boolean ask = false;
        String lastError = "";
        while (true) {
            long before = offset;
            HttpResponse<byte[]> refused = null;
            try {
                if (ask) {
                    HttpResponse<byte[]> h = http.send(HttpRequest.newBuilder(upload(name, id)).method("HEAD", HttpRequest.BodyPublishers.noBody())
                            .header("Authorization", auth).timeout(Duration.ofSeconds(120)).build(), HttpResponse.BodyHandlers.ofByteArray());
                    if (h.statusCode() != 200) throw new IOException("HEAD " + name + ": HTTP " + h.statusCode());
                    offset = h.headers().firstValueAsLong("Upload-Offset").orElse(0);
                    ask = false;
                }
                HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(upload(name, id))
                        .header("Authorization", auth).header("Content-Range", "bytes " + offset + "-" + (len - 1) + "/" + len)
                        .timeout(Duration.ofSeconds(120))
                        .PUT(HttpRequest.BodyPublishers.ofByteArray(data, off + (int) offset, len - (int) offset)).build(),
                        HttpResponse.BodyHandlers.ofByteArray());
                int st = r.statusCode();
                if (st == 201) return true;
                if (st == 200) return false;
                if (st == 202 || st == 409) {
                    offset = r.headers().firstValueAsLong("Upload-Offset").orElse(offset);
                    lastError = "HTTP " + st + " " + new String(r.body(), StandardCharsets.UTF_8).trim();
                } else if (st == 400 && new String(r.body(), StandardCharsets.UTF_8).contains(BackupErrors.SERVER_HASH.id()) && !restarted) {
                    restarted = true;
                    id = dev.cairn.backup.repo.Wire.hex(dev.cairn.backup.repo.Crypto.random(16));
                    offset = 0;
                    continue;
                } else if (st < 500) {
                    refused = r;
                } else {
                    lastError = "HTTP " + st;
                    ask = true;
                }
            } catch (IOException e) {
                lastError = String.valueOf(e.getMessage());
                ask = true;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("PUT " + name);
            }
            if (refused != null) throw failed("PUT " + name, refused);
            if (offset > before) {
                failures = 0;
                backoff = 100;
                continue;
            }
            if (++failures > retries) throw new IOException("PUT " + name + " on " + describe() + ": " + lastError);
            try {
                Thread.sleep(backoff);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("PUT " + name);
            }
            backoff = Math.min(MAX_BACKOFF_MS, backoff * 2);
        }
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
