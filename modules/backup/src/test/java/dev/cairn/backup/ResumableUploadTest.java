package dev.cairn.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cairn.backup.repo.Crypto;
import dev.cairn.backup.repo.Repository;
import dev.cairn.backup.repo.Wire;
import dev.cairn.backup.server.BackupServer;
import dev.cairn.backup.store.ServerStore;
import dev.cairn.core.testing.TestHost;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Resumable uploads to a Cairn backup server, through a TCP proxy that cuts the connection in
 * the middle of a pack's upload: the client resumes from the byte the server holds and sends only
 * the rest (counted on the wire); a staged part damaged before the resume is refused by the
 * server's re-hash of the whole object; a server killed between the parts resumes from its
 * staging area; a partial upload expires; a partial upload is never visible.
 */
class ResumableUploadTest {

    static final String TOKEN = "resume-token";
    static final int SIZE = 6 * 1024 * 1024 + 777;
    static final long CUT = 2 * 1024 * 1024 + 12345;

    @TempDir
    Path tmp;
    Path root;
    byte[] pack;
    String name;

    @BeforeEach
    void aPack() {
        root = tmp.resolve("served");
        pack = new byte[SIZE];
        new Random(7).nextBytes(pack);
        String hex = Wire.hex(Crypto.sha256(pack));
        name = "data/" + hex.substring(0, 2) + "/" + hex + ".tar";
    }

    private BackupServer server(int port, boolean appendOnly) throws Exception {
        return new BackupServer(new InetSocketAddress("127.0.0.1", port), root, TOKEN, null, null, appendOnly, Duration.ofHours(24));
    }

    private static ServerStore client(int port) throws Exception {
        return new ServerStore(URI.create("http://127.0.0.1:" + port + "/repo1"), TOKEN, null, 3);
    }

    private Path staging() {
        return root.resolve(".uploads");
    }

    private List<Path> staged() throws Exception {
        if (!Files.isDirectory(staging())) return List.of();
        try (Stream<Path> s = Files.list(staging())) {
            return s.toList();
        }
    }

    /**
     * Blocks (in the proxy, before the client sees the cut) until the server has staged every byte
     * it was sent and is done with the part: a HEAD of the upload waits for the part's lock.
     */
    private void awaitStaged(long bytes, int serverPort, FaultProxy proxy) throws Exception {
        TestHost.await(Duration.ofSeconds(20), bytes + " bytes staged", () -> {
            try {
                List<Path> s = staged();
                return s.size() == 1 && Files.size(s.get(0)) == bytes;
            } catch (Exception e) {
                return false;
            }
        });
        assertThat(held(serverPort, puts(proxy).get(0))).as("what the server holds").isEqualTo(bytes);
    }

    /** Upload-Offset of the upload a PUT went to (the HEAD waits while the server writes a part of it). */
    private static long held(int serverPort, FaultProxy.Exchange put) throws Exception {
        String path = put.line.substring(4, put.line.lastIndexOf(' ')); // PUT /o/repo1/data/..?upload=ID HTTP/1.1
        HttpResponse<Void> head = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + serverPort + path))
                .method("HEAD", HttpRequest.BodyPublishers.noBody()).header("Authorization", "Bearer " + TOKEN).build(),
                HttpResponse.BodyHandlers.discarding());
        return head.headers().firstValueAsLong("Upload-Offset").orElse(-1);
    }

    private static List<FaultProxy.Exchange> puts(FaultProxy proxy) {
        return proxy.exchanges.stream().filter(x -> x.line.startsWith("PUT")).toList();
    }

    private static long putBytes(FaultProxy proxy) {
        return puts(proxy).stream().mapToLong(x -> x.bodyBytes.get()).sum();
    }

    /** The upload, with what went over the wire in the message when it fails. */
    private boolean put(ServerStore c, FaultProxy proxy) {
        boolean stored;
        try {
            stored = c.putIfAbsent(name, pack);
        } catch (Exception e) {
            throw new AssertionError(e + "; exchanges: " + proxy.exchanges, e);
        }
        if (cutFailure.get() != null) throw new AssertionError("at the cut: " + cutFailure.get(), cutFailure.get());
        return stored;
    }

    /** What failed in the proxy's cut hook (it runs on the proxy's thread): rethrown by {@link #put}. */
    private final java.util.concurrent.atomic.AtomicReference<Throwable> cutFailure = new java.util.concurrent.atomic.AtomicReference<>();

    interface CutHook {
        void run(FaultProxy proxy) throws Exception;
    }

    private FaultProxy cutFirstPut(int upstream, CutHook atCut) throws Exception {
        FaultProxy proxy = new FaultProxy(upstream);
        proxy.cutAfter = CUT;
        proxy.onCut = () -> {
            try {
                atCut.run(proxy);
            } catch (Throwable t) {
                cutFailure.compareAndSet(null, t);
            }
        };
        proxy.rules = (line, n) -> line.startsWith("PUT") && proxy.exchanges.stream().filter(x -> x.line.startsWith("PUT")).count() == 1
                ? FaultProxy.Fault.CUT_AFTER : FaultProxy.Fault.NONE;
        return proxy;
    }

    @Test
    void aCutUploadResumesFromTheByteTheServerHoldsAndSendsOnlyTheRest() throws Exception {
        try (BackupServer s = server(0, true); ServerStore direct = client(s.port())) {
            try (FaultProxy proxy = cutFirstPut(s.port(), p -> {
                awaitStaged(CUT, s.port(), p);
                // Half-uploaded: invisible to list and get.
                assertThat(direct.list("data/")).isEmpty();
                assertThatThrownBy(() -> direct.get(name)).isInstanceOf(NoSuchFileException.class);
            }); ServerStore c = client(proxy.port)) {
                assertThat(put(c, proxy)).isTrue();
                List<FaultProxy.Exchange> puts = puts(proxy);
                assertThat(puts).as(proxy.exchanges.toString()).hasSize(2);
                assertThat(puts.get(0).bodyBytes.get()).isEqualTo(CUT);
                assertThat(puts.get(1).contentRange).isEqualTo("bytes " + CUT + "-" + (SIZE - 1) + "/" + SIZE);
                assertThat(putBytes(proxy)).as("bytes of the pack on the wire").isEqualTo(SIZE);
                assertThat(proxy.exchanges.stream().filter(x -> x.line.startsWith("HEAD")).toList().get(0).status).startsWith("HTTP/1.1 200");
            }
            assertThat(Files.readAllBytes(root.resolve("repo1/" + name))).isEqualTo(pack);
            assertThat(staged()).as("the staging area after the upload").isEmpty();
            assertThat(direct.list("data/")).extracting(o -> o.name()).containsExactly(name);
            assertThat(direct.putIfAbsent(name, pack)).as("already stored").isFalse();
            assertThatThrownBy(() -> direct.delete(name)).as("append-only").hasMessageContaining("403");
        }
    }

    @Test
    void aResumedUploadWhoseFirstPartWasDamagedIsRefusedByTheRehashAndSentAgain() throws Exception {
        try (BackupServer s = server(0, false)) {
            try (FaultProxy proxy = cutFirstPut(s.port(), p -> {
                awaitStaged(CUT, s.port(), p);
                Path part = staged().get(0);
                byte[] b = Files.readAllBytes(part);
                b[1000] ^= 0x20;
                Files.write(part, b);
            }); ServerStore c = client(proxy.port)) {
                assertThat(put(c, proxy)).isTrue();
                List<FaultProxy.Exchange> puts = puts(proxy);
                assertThat(puts).as(proxy.exchanges.toString()).hasSize(3);
                assertThat(puts.get(1).status).as("the resumed part").startsWith("HTTP/1.1 400").contains("CAIRN-BACKUP-0112");
                assertThat(puts.get(2).contentRange).isEqualTo("bytes 0-" + (SIZE - 1) + "/" + SIZE);
                assertThat(puts.get(2).status).startsWith("HTTP/1.1 201");
                assertThat(putBytes(proxy)).isEqualTo(CUT + (SIZE - CUT) + SIZE);
            }
            assertThat(Files.readAllBytes(root.resolve("repo1/" + name))).as("never the damaged bytes").isEqualTo(pack);
            assertThat(staged()).isEmpty();
        }
    }

    @Test
    void aServerKilledBetweenThePartsResumesFromItsStagingArea() throws Exception {
        int port = TestHost.freePort();
        String java = ProcessHandle.current().info().command().orElse("java");
        Process child = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), ServerChild.class.getName(),
                root.toString(), String.valueOf(port), TOKEN).redirectErrorStream(true).start();
        BackupServer[] restarted = new BackupServer[1];
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
            String line;
            while ((line = out.readLine()) != null && !line.startsWith("listening")) {
                // start-up output
            }
            assertThat(line).as("the server child started").isNotNull();
            try (FaultProxy proxy = cutFirstPut(port, p -> {
                awaitStaged(CUT, port, p);
                child.destroyForcibly(); // SIGKILL: no shutdown of any kind
                assertThat(child.waitFor(20, TimeUnit.SECONDS)).isTrue();
                restarted[0] = server(port, false);
            }); ServerStore c = client(proxy.port)) {
                assertThat(put(c, proxy)).isTrue();
                assertThat(child.exitValue()).isEqualTo(137);
                assertThat(puts(proxy).get(1).contentRange).startsWith("bytes " + CUT + "-");
                assertThat(putBytes(proxy)).as("bytes of the pack on the wire").isEqualTo(SIZE);
            }
            assertThat(Files.readAllBytes(root.resolve("repo1/" + name))).isEqualTo(pack);
        } finally {
            child.destroyForcibly();
            if (restarted[0] != null) restarted[0].close();
        }
    }

    @Test
    void aPartialUploadExpiresAndTheClientThenSendsEverything() throws Exception {
        try (BackupServer s = server(0, false)) {
            try (FaultProxy proxy = cutFirstPut(s.port(), p -> {
                awaitStaged(CUT, s.port(), p);
                assertThat(s.expireUploads()).as("a fresh partial upload stays").isZero();
                Files.setLastModifiedTime(staged().get(0), FileTime.from(Instant.now().minus(Duration.ofHours(25))));
                assertThat(s.expireUploads()).isEqualTo(1);
                assertThat(staged()).isEmpty();
            }); ServerStore c = client(proxy.port)) {
                assertThat(put(c, proxy)).isTrue();
                assertThat(puts(proxy).get(1).contentRange).isEqualTo("bytes 0-" + (SIZE - 1) + "/" + SIZE);
                assertThat(putBytes(proxy)).isEqualTo(CUT + SIZE);
            }
            assertThat(Files.readAllBytes(root.resolve("repo1/" + name))).isEqualTo(pack);
        }
    }

    @Test
    void aBackupWhosePackUploadsAreAllCutCompletesAndEachPackCrossesTheWireOnce() throws Exception {
        Path src = tmp.resolve("src");
        Files.createDirectories(src);
        for (int i = 0; i < 3; i++) Trees.random(src.resolve("f" + i), 40 + i, 4 * 1024 * 1024);
        Path key = tmp.resolve("repo.key");
        dev.cairn.backup.repo.RepoKey.generate(key);
        long cut = 1024 * 1024 + 1;
        try (BackupServer s = server(0, true); FaultProxy proxy = new FaultProxy(s.port())) {
            java.util.Set<String> seen = java.util.concurrent.ConcurrentHashMap.newKeySet();
            proxy.cutAfter = cut;
            proxy.rules = (line, n) -> line.startsWith("PUT") && line.contains("/data/") && line.contains("?upload=")
                    && seen.add(line.substring(0, line.indexOf('?'))) ? FaultProxy.Fault.CUT_AFTER : FaultProxy.Fault.NONE;
            proxy.onCut = () -> {
                FaultProxy.Exchange x = puts(proxy).stream().filter(e -> e.bodyBytes.get() == cut).reduce((a, b) -> b).orElseThrow();
                try {
                    TestHost.await(Duration.ofSeconds(20), "the cut part staged", () -> {
                        try {
                            return held(s.port(), x) == cut;
                        } catch (Exception e) {
                            return false;
                        }
                    });
                } catch (Throwable t) {
                    cutFailure.compareAndSet(null, t);
                }
            };
            Repository.Params params = new Repository.Params(new byte[16], 16 * 1024, 64 * 1024, 256 * 1024, 4 * 1024 * 1024);
            String snapshot;
            try (ServerStore c = client(proxy.port);
                 dev.cairn.backup.repo.Repository repo = dev.cairn.backup.repo.Repository.init(c, dev.cairn.backup.repo.RepoKey.keyFile(key), params)) {
                snapshot = dev.cairn.backup.repo.Backups.backup(repo, "j", new dev.cairn.backup.source.DirectorySource(List.of(src), List.of()),
                        List.of(), 0, null).snapshotId();
            }
            if (cutFailure.get() != null) throw new AssertionError(cutFailure.get());
            assertThat(seen).as("packs cut mid-upload").hasSizeGreaterThanOrEqualTo(2);
            long packBytes;
            try (Stream<Path> files = Files.walk(root.resolve("repo1/data"))) {
                packBytes = files.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
            }
            long dataOnWire = puts(proxy).stream().filter(x -> x.line.contains("/data/")).mapToLong(x -> x.bodyBytes.get()).sum();
            assertThat(dataOnWire).as("pack bytes on the wire, cuts included").isEqualTo(packBytes);
            assertThat(staged()).isEmpty();
            try (ServerStore direct = client(s.port());
                 dev.cairn.backup.repo.Repository repo = dev.cairn.backup.repo.Repository.open(direct, dev.cairn.backup.repo.RepoKey.keyFile(key))) {
                assertThat(dev.cairn.backup.repo.Maintenance.check(repo, true, null).errors()).isEmpty();
                Path out = tmp.resolve("out");
                assertThat(new dev.cairn.backup.restore.Restorer(repo, new dev.cairn.backup.restore.Restorer.Options(out, List.of(), 2, null))
                        .restore(repo.readSnapshot(snapshot)).ok()).isTrue();
                Trees.assertSameTree(src, out.resolve("src"));
            }
        }
    }
}
