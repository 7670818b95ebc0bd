package dev.cairn.backup.server;

import dev.cairn.backup.BackupErrors;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.cairn.backup.repo.Crypto;
import dev.cairn.backup.repo.Pack;
import dev.cairn.backup.repo.Wire;
import dev.cairn.backup.store.LocalStore;
import dev.cairn.backup.store.Store;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.Collection;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/**
 * A Cairn node as the backup server (as restic's rest-server): repositories under one directory,
 * served over HTTPS to clients holding the bearer token. Each upload is re-hashed against its
 * name (packs, index files and snapshots are named by their SHA-256) before it is acknowledged;
 * in append-only mode clients cannot delete anything but their own locks. Thread-safe; one
 * small pool of worker threads, stopped by {@link #close}.
 *
 * <p>API: {@code PUT /o/NAME} (201 stored, 200 already there), {@code GET /o/NAME} with an
 * optional {@code Range: bytes=A-B}, {@code HEAD /o/NAME}, {@code GET /list?prefix=P} (lines
 * "name size"), {@code DELETE /o/NAME}. Names are repository object names, optionally under a
 * repository directory ({@code REPO/data/..}).
 *
 * <p>Resumable uploads of content-named objects: {@code PUT /o/NAME?upload=ID} with
 * {@code Content-Range: bytes A-B/TOTAL} appends a part to the upload {@code ID} (a random id the
 * client picks) and answers 202 with {@code Upload-Offset} (bytes held) until the last part, then
 * 201/200 once the whole staged object hashes to its name (400 with {@link BackupErrors#SERVER_HASH}'s id and the
 * staged bytes dropped when not), or 409 with {@code Upload-Offset} when A is not where the staged
 * bytes end. {@code HEAD /o/NAME?upload=ID} answers {@code Upload-Offset}. A part cut short keeps
 * the bytes that arrived. See {@link UploadStaging}.
 */
public final class BackupServer implements AutoCloseable {

    private static final Pattern RANGE = Pattern.compile("bytes=(\\d+)-(\\d+)");
    private static final Pattern CONTENT_RANGE = Pattern.compile("bytes (\\d+)-(\\d+)/(\\d+)");
    private static final Pattern UPLOAD_ID = Pattern.compile("[0-9a-f]{16,64}");
    /** Default of {@code backup.server.upload_expiry}. */
    public static final java.time.Duration UPLOAD_EXPIRY = java.time.Duration.ofHours(24);
    private static final int MAX_OBJECT = 256 * 1024 * 1024;

    private final HttpServer http;
    private final ExecutorService pool;
    private final LocalStore store;
    private final byte[] token;
    private final boolean appendOnly;
    private final UploadStaging staging;
    private final java.util.concurrent.ScheduledExecutorService sweeper;

    public BackupServer(InetSocketAddress listen, Path root, String token, Path certFile, Path keyFile, boolean appendOnly) throws Exception {
        this(listen, root, token, certFile, keyFile, appendOnly, UPLOAD_EXPIRY);
    }

    /** @param uploadExpiry how long a partial upload is kept for its client to resume it (null: {@link #UPLOAD_EXPIRY}) */
    public BackupServer(InetSocketAddress listen, Path root, String token, Path certFile, Path keyFile, boolean appendOnly,
                        java.time.Duration uploadExpiry) throws Exception {
        this.store = new LocalStore(root);
        java.time.Duration expiry = uploadExpiry == null ? UPLOAD_EXPIRY : uploadExpiry;
        this.staging = new UploadStaging(store, expiry);
        this.token = ("Bearer " + token).getBytes(StandardCharsets.UTF_8);
        this.appendOnly = appendOnly;
        if (certFile != null) {
            HttpsServer s = HttpsServer.create(listen, 64);
            s.setHttpsConfigurator(new HttpsConfigurator(sslContext(certFile, keyFile)));
            http = s;
        } else {
            http = HttpServer.create(listen, 64);
        }
        pool = Executors.newFixedThreadPool(4, r -> {
            Thread t = new Thread(r, "cairn-backup-server");
            t.setDaemon(true);
            return t;
        });
        http.setExecutor(pool);
        http.createContext("/", this::handle);
        http.start();
        sweeper = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "cairn-backup-server-uploads");
            t.setDaemon(true);
            return t;
        });
        long every = Math.max(1, Math.min(expiry.toSeconds() / 4, 600));
        sweeper.scheduleWithFixedDelay(() -> {
            try {
                expireUploads();
            } catch (IOException | RuntimeException e) {
                // the next sweep tries again
            }
        }, 0, every, java.util.concurrent.TimeUnit.SECONDS);
    }

    /**
     * Deletes partial uploads older than the expiry (also every quarter of it, at most every 10
     * minutes, on the server's own thread).
     *
     * @return how many were deleted
     */
    public int expireUploads() throws IOException {
        return staging.expire(java.time.Instant.now());
    }

    public int port() {
        return http.getAddress().getPort();
    }

    static SSLContext sslContext(Path certFile, Path keyFile) throws Exception {
        Collection<? extends Certificate> chain;
        try (InputStream in = Files.newInputStream(certFile)) {
            chain = CertificateFactory.getInstance("X.509").generateCertificates(in);
        }
        String pem = Files.readString(keyFile);
        if (!pem.contains("BEGIN PRIVATE KEY")) {
            throw new IllegalArgumentException(BackupErrors.SERVER_KEY.id() + " " + keyFile + ": write the key as PKCS#8 PEM (BEGIN PRIVATE KEY), e.g. openssl pkcs8 -topk8 -nocrypt");
        }
        String b64 = pem.replaceAll("(?s).*-----BEGIN PRIVATE KEY-----", "").replaceAll("(?s)-----END PRIVATE KEY-----.*", "").replaceAll("\\s", "");
        PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(Base64.getDecoder().decode(b64));
        PrivateKey key = null;
        for (String alg : new String[] {"RSA", "EC", "Ed25519"}) {
            try {
                key = KeyFactory.getInstance(alg).generatePrivate(spec);
                break;
            } catch (Exception e) {
                // try the next algorithm
            }
        }
        if (key == null) throw new IllegalArgumentException(BackupErrors.SERVER_KEY.id() + " " + keyFile + ": not an RSA, EC or Ed25519 key");
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry("server", key, new char[0], chain.toArray(new Certificate[0]));
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, new char[0]);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), null, null);
        return ctx;
    }

    /** The name a content-addressed object must hash to, or null for objects named otherwise. */
    static String expectedHash(String name) {
        String n = name;
        int i = n.indexOf("data/");
        if (i >= 0 && n.endsWith(".tar")) return Pack.hexOf(n);
        for (String kind : new String[] {"index/", "snapshots/", "verify/"}) {
            int k = n.lastIndexOf(kind);
            if (k >= 0) return n.substring(k + kind.length());
        }
        return null;
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String auth = ex.getRequestHeaders().getFirst("Authorization");
            if (auth == null || !MessageDigest.isEqual(auth.getBytes(StandardCharsets.UTF_8), token)) {
                send(ex, 401, BackupErrors.SERVER_TOKEN.id() + " missing or wrong bearer token\n");
                return;
            }
            String path = ex.getRequestURI().getRawPath();
            String method = ex.getRequestMethod();
            if (path.equals("/list") && method.equals("GET")) {
                String q = ex.getRequestURI().getRawQuery();
                String prefix = q != null && q.startsWith("prefix=") ? URLDecoder.decode(q.substring(7), StandardCharsets.UTF_8) : "";
                StringBuilder b = new StringBuilder();
                for (Store.StoreObject o : store.list(prefix)) b.append(o.name()).append(' ').append(o.size()).append('\n');
                send(ex, 200, b.toString());
                return;
            }
            if (!path.startsWith("/o/")) {
                send(ex, 404, "no such endpoint\n");
                return;
            }
            String name = URLDecoder.decode(path.substring(3), StandardCharsets.UTF_8);
            if (name.isEmpty() || name.contains("..") || name.startsWith("/") || name.contains("/.") || name.startsWith(".")) {
                send(ex, 400, "bad object name\n");
                return;
            }
            switch (method) {
                case "PUT" -> {
                    String upload = query(ex, "upload");
                    if (upload != null) {
                        resumablePut(ex, name, upload);
                        return;
                    }
                    byte[] body = ex.getRequestBody().readNBytes(MAX_OBJECT + 1);
                    if (body.length > MAX_OBJECT) {
                        send(ex, 413, "object larger than " + MAX_OBJECT + " bytes\n");
                        return;
                    }
                    String want = expectedHash(name);
                    if (want != null && !Wire.hex(Crypto.sha256(body)).equals(want)) {
                        send(ex, 400, BackupErrors.SERVER_HASH.id() + " content does not hash to its name (damaged in transit): not stored\n");
                        return;
                    }
                    boolean created = store.putIfAbsent(name, body);
                    send(ex, created ? 201 : 200, created ? "stored\n" : "exists\n");
                }
                case "GET" -> {
                    String range = ex.getRequestHeaders().getFirst("Range");
                    try {
                        if (range != null) {
                            Matcher m = RANGE.matcher(range);
                            if (!m.matches()) {
                                send(ex, 416, "bad range\n");
                                return;
                            }
                            long from = Long.parseLong(m.group(1)), to = Long.parseLong(m.group(2));
                            byte[] part = store.get(name, from, (int) Math.min(MAX_OBJECT, to - from + 1));
                            sendBytes(ex, 206, part);
                        } else {
                            sendBytes(ex, 200, store.get(name));
                        }
                    } catch (NoSuchFileException e) {
                        send(ex, 404, "no such object\n");
                    }
                }
                case "HEAD" -> {
                    String upload = query(ex, "upload");
                    if (upload != null) {
                        if (!UPLOAD_ID.matcher(upload).matches()) {
                            send(ex, 400, null);
                            return;
                        }
                        ex.getResponseHeaders().set("Upload-Offset", String.valueOf(staging.held(name, upload)));
                        ex.sendResponseHeaders(200, -1);
                    } else if (store.exists(name)) {
                        ex.getResponseHeaders().set("Content-Length", String.valueOf(Files.size(store.root().resolve(name))));
                        ex.sendResponseHeaders(200, -1);
                    } else {
                        ex.sendResponseHeaders(404, -1);
                    }
                }
                case "DELETE" -> {
                    if (appendOnly && !name.startsWith("locks/") && !name.contains("/locks/")) {
                        send(ex, 403, BackupErrors.SERVER_APPEND_ONLY.id() + " append-only server: deleting " + name + " is not allowed\n");
                        return;
                    }
                    store.delete(name);
                    send(ex, 204, null);
                }
                default -> send(ex, 405, "method not allowed\n");
            }
        } catch (IOException | RuntimeException e) {
            try {
                send(ex, 500, "server error: " + e.getMessage() + "\n");
            } catch (IOException ignored) {
                // the client went away
            }
        }
    }

    private static String query(HttpExchange ex, String key) {
        String q = ex.getRequestURI().getRawQuery();
        if (q == null) return null;
        for (String kv : q.split("&")) {
            if (kv.startsWith(key + "=")) return URLDecoder.decode(kv.substring(key.length() + 1), StandardCharsets.UTF_8);
        }
        return null;
    }

    /** One part of a resumable upload (see the class comment). */
    private void resumablePut(HttpExchange ex, String name, String upload) throws IOException {
        String want = expectedHash(name);
        if (want == null || !UPLOAD_ID.matcher(upload).matches()) {
            send(ex, 400, "resumable uploads are for content-named objects (data, index, snapshots, verify) with an upload id of 16-64 hex digits\n");
            return;
        }
        String cr = ex.getRequestHeaders().getFirst("Content-Range");
        Matcher m = cr == null ? null : CONTENT_RANGE.matcher(cr);
        if (m == null || !m.matches()) {
            send(ex, 400, "a resumable upload needs Content-Range: bytes A-B/TOTAL\n");
            return;
        }
        long from = Long.parseLong(m.group(1)), to = Long.parseLong(m.group(2)), total = Long.parseLong(m.group(3));
        if (total > MAX_OBJECT) {
            send(ex, 413, "object larger than " + MAX_OBJECT + " bytes\n");
            return;
        }
        if (from > to || to >= total) {
            send(ex, 416, "bad Content-Range " + cr + "\n");
            return;
        }
        if (store.exists(name)) {
            staging.discard(name, upload);
            // read the part: a response before the body is read is lost to a client still sending it
            ex.getRequestBody().transferTo(OutputStream.nullOutputStream());
            send(ex, 200, "exists\n");
            return;
        }
        UploadStaging.Part part;
        try {
            part = staging.append(name, upload, from, to - from + 1, total, ex.getRequestBody(), want);
        } catch (UploadStaging.WrongOffset w) {
            ex.getResponseHeaders().set("Upload-Offset", String.valueOf(w.held));
            send(ex, 409, w.getMessage() + "; continue from there\n");
            return;
        } catch (UploadStaging.Busy b) {
            send(ex, 409, b.getMessage() + "; retry\n");
            return;
        }
        if (!part.complete()) {
            ex.getResponseHeaders().set("Upload-Offset", String.valueOf(part.offset()));
            send(ex, 202, "holding " + part.offset() + " of " + total + " bytes\n");
        } else if (!part.hashOk()) {
            send(ex, 400, BackupErrors.SERVER_HASH.id() + " the uploaded object does not hash to its name (damaged in transit or in staging): not stored; upload it again\n");
        } else {
            send(ex, 201, "stored\n");
        }
    }

    private static void send(HttpExchange ex, int status, String body) throws IOException {
        if (body == null) {
            ex.sendResponseHeaders(status, -1);
            return;
        }
        sendBytes(ex, status, body.getBytes(StandardCharsets.UTF_8));
    }

    private static void sendBytes(HttpExchange ex, int status, byte[] b) throws IOException {
        ex.sendResponseHeaders(status, b.length == 0 ? -1 : b.length);
        if (b.length > 0) {
            try (OutputStream o = ex.getResponseBody()) {
                new ByteArrayInputStream(b).transferTo(o);
            }
        }
    }

    @Override
    public void close() {
        sweeper.shutdownNow();
        http.stop(1);
        pool.shutdownNow();
    }
}
