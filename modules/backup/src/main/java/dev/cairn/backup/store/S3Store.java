package dev.cairn.backup.store;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.URI;
import java.nio.file.NoSuchFileException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.retry.RetryMode;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CompletedMultipartUpload;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * A repository in an S3-compatible bucket (AWS S3, MinIO, Ceph RGW) through AWS SDK v2 with the
 * URL-connection HTTP client. Objects above the multipart threshold go up in parts; every call is
 * retried with exponential backoff and jitter on 5xx, throttling and I/O errors. The SDK's
 * default request checksums can be turned off (Ceph RGW and others reject them).
 *
 * <p>Put-if-absent is a HEAD then a PUT with {@code If-None-Match: *}; a server that ignores the
 * condition is harmless here because every object but {@code config} and key slots is named by
 * the hash of its content (a second writer writes the same bytes). Thread-safe.
 */
public final class S3Store implements Store {

    /** How to reach the bucket. */
    public record Settings(URI endpoint, String region, String bucket, String prefix, String accessKey, String secretKey,
                           boolean checksums, long multipartThreshold, int retries, Duration timeout) {
    }

    public static final long MIN_PART = 5L * 1024 * 1024;

    private final Settings s;
    private final S3Client client;
    private final String prefix;

    public S3Store(Settings s) {
        this.s = s;
        this.prefix = s.prefix() == null || s.prefix().isEmpty() ? "" : (s.prefix().endsWith("/") ? s.prefix() : s.prefix() + "/");
        var b = S3Client.builder()
                .region(Region.of(s.region() == null ? "us-east-1" : s.region()))
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(s.accessKey(), s.secretKey())))
                .httpClient(UrlConnectionHttpClient.builder().connectionTimeout(s.timeout()).socketTimeout(s.timeout()).build())
                .forcePathStyle(true)
                // Retries are ours (below): one policy for every call, counted in the store's error metric.
                .overrideConfiguration(o -> o.retryStrategy(RetryMode.STANDARD).retryStrategy(r -> r.maxAttempts(1)))
                .requestChecksumCalculation(s.checksums() ? RequestChecksumCalculation.WHEN_SUPPORTED : RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(s.checksums() ? ResponseChecksumValidation.WHEN_SUPPORTED : ResponseChecksumValidation.WHEN_REQUIRED);
        if (s.endpoint() != null) b.endpointOverride(s.endpoint());
        client = b.build();
    }

    private String key(String name) {
        return prefix + name;
    }

    interface Call<T> {
        T run() throws IOException;
    }

    /** Runs {@code c}, retrying transient failures with exponential backoff (100 ms doubling, at most 5 s, jittered). */
    private <T> T retry(String what, Call<T> c) throws IOException {
        long backoff = 100;
        for (int attempt = 0; ; attempt++) {
            try {
                return c.run();
            } catch (NoSuchKeyException e) {
                throw new NoSuchFileException(what);
            } catch (S3Exception e) {
                if (e.statusCode() == 404) throw new NoSuchFileException(what);
                boolean transientError = e.statusCode() >= 500 || e.statusCode() == 429 || e.statusCode() == 408;
                if (!transientError || attempt >= s.retries()) {
                    throw new IOException("S3 " + what + " on " + describe() + ": " + e.statusCode() + " " + e.awsErrorDetails().errorMessage(), e);
                }
            } catch (SdkClientException | IOException e) {
                if (attempt >= s.retries()) throw new IOException("S3 " + what + " on " + describe() + ": " + e.getMessage(), e);
            } catch (SdkException e) {
                throw new IOException("S3 " + what + " on " + describe() + ": " + e.getMessage(), e);
            }
            try {
                Thread.sleep(ThreadLocalRandom.current().nextLong(backoff / 2, backoff + 1));
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while retrying " + what);
            }
            backoff = Math.min(5000, backoff * 2);
        }
    }

    public boolean exists(String name) throws IOException {
        try {
            retry("HEAD " + name, () -> client.headObject(h -> h.bucket(s.bucket()).key(key(name))));
            return true;
        } catch (NoSuchFileException e) {
            return false;
        }
    }

    @Override
    public boolean putIfAbsent(String name, byte[] data, int off, int len) throws IOException {
        if (exists(name)) return false;
        if (len > s.multipartThreshold()) {
            multipart(name, data, off, len);
            return true;
        }
        try {
            retry("PUT " + name, () -> client.putObject(p -> p.bucket(s.bucket()).key(key(name)).ifNoneMatch("*").contentLength((long) len),
                    body(data, off, len)));
        } catch (IOException e) {
            if (e.getCause() instanceof S3Exception s3 && (s3.statusCode() == 412 || s3.statusCode() == 409)) return false;
            throw e;
        }
        return true;
    }

    private void multipart(String name, byte[] data, int off, int len) throws IOException {
        String k = key(name);
        String upload = retry("CreateMultipartUpload " + name, () -> client.createMultipartUpload(c -> c.bucket(s.bucket()).key(k)).uploadId());
        try {
            long partSize = Math.max(MIN_PART, s.multipartThreshold());
            List<CompletedPart> parts = new ArrayList<>();
            int number = 1;
            for (long pos = 0; pos < len; pos += partSize, number++) {
                int n = (int) Math.min(partSize, len - pos);
                int at = (int) (off + pos);
                int pn = number;
                String etag = retry("UploadPart " + pn + " of " + name, () -> client.uploadPart(u -> u.bucket(s.bucket()).key(k)
                        .uploadId(upload).partNumber(pn).contentLength((long) n), body(data, at, n)).eTag());
                parts.add(CompletedPart.builder().partNumber(pn).eTag(etag).build());
            }
            retry("CompleteMultipartUpload " + name, () -> client.completeMultipartUpload(c -> c.bucket(s.bucket()).key(k).uploadId(upload)
                    .multipartUpload(CompletedMultipartUpload.builder().parts(parts).build())));
        } catch (IOException | RuntimeException e) {
            try {
                client.abortMultipartUpload(a -> a.bucket(s.bucket()).key(k).uploadId(upload));
            } catch (SdkException ignored) {
                // the bucket's lifecycle rule (or prune) cleans abandoned uploads
            }
            throw e;
        }
    }

    /** A body of exactly data[off, off+len) (the SDK's fromByteBuffer copies the whole backing array). */
    private static RequestBody body(byte[] data, int off, int len) {
        return RequestBody.fromInputStream(new java.io.ByteArrayInputStream(data, off, len), len);
    }

    @Override
    public byte[] get(String name) throws IOException {
        return retry("GET " + name, () -> client.getObjectAsBytes(g -> g.bucket(s.bucket()).key(key(name))).asByteArray());
    }

    @Override
    public byte[] get(String name, long offset, int length) throws IOException {
        if (length == 0) return new byte[0];
        try {
            return retry("GET " + name, () -> client.getObjectAsBytes(g -> g.bucket(s.bucket()).key(key(name))
                    .range("bytes=" + offset + "-" + (offset + length - 1))).asByteArray());
        } catch (IOException e) {
            if (e.getCause() instanceof S3Exception s3 && s3.statusCode() == 416) return new byte[0];
            throw e;
        }
    }

    @Override
    public List<StoreObject> list(String p) throws IOException {
        return retry("LIST " + p, () -> {
            List<StoreObject> out = new ArrayList<>();
            for (S3Object o : client.listObjectsV2Paginator(l -> l.bucket(s.bucket()).prefix(key(p))).contents()) {
                String n = o.key().substring(prefix.length());
                if (n.startsWith(".") || n.contains("/.")) continue;
                out.add(new StoreObject(n, o.size()));
            }
            return out;
        });
    }

    @Override
    public void delete(String name) throws IOException {
        retry("DELETE " + name, () -> client.deleteObject(d -> d.bucket(s.bucket()).key(key(name))));
    }

    /** Creates the bucket if it does not exist (tests, first use). */
    public void createBucketIfMissing() throws IOException {
        try {
            retry("HEAD bucket", () -> client.headBucket(h -> h.bucket(s.bucket())));
        } catch (NoSuchFileException e) {
            retry("CREATE bucket", () -> client.createBucket(c -> c.bucket(s.bucket())));
        } catch (IOException e) {
            if (!(e.getCause() instanceof S3Exception s3 && s3.statusCode() == 404)) throw e;
            retry("CREATE bucket", () -> client.createBucket(c -> c.bucket(s.bucket())));
        }
    }

    @Override
    public String describe() {
        return "s3://" + s.bucket() + "/" + prefix + (s.endpoint() == null ? "" : " at " + s.endpoint());
    }

    @Override
    public void close() {
        client.close();
    }
}
