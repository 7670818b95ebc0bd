package dev.cairn.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cairn.backup.repo.BackupRun;
import dev.cairn.backup.repo.Backups;
import dev.cairn.backup.repo.Crypto;
import dev.cairn.backup.repo.Maintenance;
import dev.cairn.backup.repo.RepoKey;
import dev.cairn.backup.repo.Repository;
import dev.cairn.backup.restore.Restorer;
import dev.cairn.backup.server.BackupServer;
import dev.cairn.backup.source.DirectorySource;
import dev.cairn.backup.store.ServerStore;
import dev.cairn.core.testing.TestHost;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A Cairn node as the backup server: HTTPS with a bearer token, uploads re-hashed, append-only mode. */
class BackupServerTest {

    @TempDir
    Path tmp;
    Path cert;
    Path key;
    Path src;

    @BeforeEach
    void certificateAndData() throws Exception {
        cert = tmp.resolve("cert.pem");
        key = tmp.resolve("key.pem");
        Trees.sh("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key.toString(), "-out", cert.toString(),
                "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost");
        src = tmp.resolve("src");
        Files.createDirectories(src);
        Trees.random(src.resolve("a.bin"), 1, 900 * 1024);
        Trees.text(src.resolve("b.log"), 5000, 2);
    }

    private BackupServer server(boolean appendOnly) throws Exception {
        return new BackupServer(new InetSocketAddress("127.0.0.1", 0), tmp.resolve("served"), "s3cret-token", cert, key, appendOnly);
    }

    private ServerStore client(BackupServer s, String token) throws Exception {
        return new ServerStore(URI.create("https://127.0.0.1:" + s.port() + "/repo1"), token, cert, 2);
    }

    @Test
    void backupRestoreAndCheckOverHttpsWithUploadsRehashed() throws Exception {
        Path k = tmp.resolve("repo.key");
        RepoKey.generate(k);
        try (BackupServer s = server(false)) {
            BackupRun.Result r;
            try (Repository repo = Repository.init(client(s, "s3cret-token"), RepoKey.keyFile(k), RepoFixture.SMALL)) {
                r = Backups.backup(repo, "j", new DirectorySource(List.of(src), List.of()), List.of(), 3, null);
                assertThat(Maintenance.check(repo, true, null).errors()).isEmpty();
                Path out = tmp.resolve("out");
                Restorer.Result res = new Restorer(repo, new Restorer.Options(out, List.of(), 2, null)).restore(repo.readSnapshot(r.snapshotId()));
                assertThat(res.ok()).isTrue();
                Trees.assertSameTree(src, out.resolve("src"));
            }
            assertThat(tmp.resolve("served/repo1/snapshots/" + r.snapshotId())).exists();
            ServerStore c = client(s, "s3cret-token");
            String fake = "data/ab/" + "ab".repeat(32) + ".tar";
            assertThatThrownBy(() -> c.putIfAbsent(fake, "not what the name says".getBytes()))
                    .hasMessageContaining("400").hasMessageContaining("CAIRN-BACKUP-0112");
            assertThat(c.list("data/")).noneMatch(o -> o.name().equals(fake));
            assertThatThrownBy(() -> Repository.open(client(s, "wrong-token"), RepoKey.keyFile(k)))
                    .hasMessageContaining("401").hasMessageContaining("CAIRN-BACKUP-0111");
        }
    }

    @Test
    void appendOnlyRefusesDeletesButBackupsAndLocksWork() throws Exception {
        Path k = tmp.resolve("repo.key");
        RepoKey.generate(k);
        try (BackupServer s = server(true); Repository repo = Repository.init(client(s, "s3cret-token"), RepoKey.keyFile(k), RepoFixture.SMALL)) {
            BackupRun.Result first = Backups.backup(repo, "j", new DirectorySource(List.of(src), List.of()), List.of(), 3, null);
            Files.writeString(src.resolve("c.txt"), "more\n");
            Backups.backup(repo, "j", new DirectorySource(List.of(src), List.of()), List.of(), 3, null);
            assertThat(repo.store().list("locks/")).as("backups removed their own locks").isEmpty();
            assertThatThrownBy(() -> repo.store().delete("snapshots/" + first.snapshotId()))
                    .hasMessageContaining("403").hasMessageContaining("append-only");
            assertThatThrownBy(() -> Maintenance.forget(repo, "j", new dev.cairn.backup.retention.KeepPolicy(1, 0, 0, 0, 0, 0, Duration.ZERO),
                    java.time.ZoneId.of("UTC"), false)).hasMessageContaining("append-only");
            assertThat(repo.snapshots(null)).hasSize(2);
            assertThat(Crypto.random(1)).hasSize(1);
        }
    }

    @Test
    void aNodeServesItselfThroughItsConfig() throws Exception {
        Files.writeString(tmp.resolve("token"), "node-token\n");
        int port = TestHost.freePort();
        String yaml = """
                services: {}
                backup:
                  server:
                    listen: 127.0.0.1:%d
                    root: served
                    token_file: token
                    tls_cert_file: cert.pem
                    tls_key_file: key.pem
                    append_only: true
                  repositories:
                    remote:
                      backup_server: { url: "https://127.0.0.1:%d/node1", token_file: token, ca_file: cert.pem }
                      key_file: remote.key
                      create: true
                  jobs:
                    files:
                      source: { directory: { paths: [src] } }
                      schedule: manual
                      repository: remote
                """.formatted(port, port);
        try (TestHost h = TestHost.start(tmp, yaml, new BackupModule())) {
            var http = java.net.http.HttpClient.newHttpClient();
            var resp = http.send(java.net.http.HttpRequest.newBuilder(URI.create(h.adminUrl() + "/api/modules/backup/run?job=files"))
                    .POST(java.net.http.HttpRequest.BodyPublishers.noBody()).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
            assertThat(resp.statusCode()).as(resp.body()).isEqualTo(200);
            assertThat(h.metric("cairn_backup_snapshots", "backup_job", "files")).isEqualTo(1.0);
        }
        try (var s = Files.list(tmp.resolve("served/node1/snapshots"))) {
            assertThat(s).hasSize(1);
        }
    }

    /** One request on {@code s} (kept open); the answer's status, -1 when the connection is gone. */
    private static int status(java.net.Socket s, String method, String path) {
        try {
            s.getOutputStream().write((method + " " + path + " HTTP/1.1\r\nHost: backup\r\nAuthorization: Bearer node-token\r\n\r\n")
                    .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            java.io.InputStream in = s.getInputStream();
            StringBuilder head = new StringBuilder();
            while (head.indexOf("\r\n\r\n") < 0) {
                int c = in.read();
                if (c < 0) return -1;
                head.append((char) c);
            }
            java.util.regex.Matcher len = java.util.regex.Pattern.compile("(?i)content-length: *(\\d+)").matcher(head);
            int n = len.find() ? Integer.parseInt(len.group(1)) : 0;
            if (in.readNBytes(n).length != n) return -1;
            return Integer.parseInt(head.substring(9, 12));
        } catch (java.io.IOException e) {
            return -1;
        }
    }

    @Test
    void aReloadKeepsTheServerAndItsConnectionsUnlessAServerKeyChanged() throws Exception {
        Files.writeString(tmp.resolve("token"), "node-token\n");
        int port = TestHost.freePort();
        String yaml = """
                services: {}
                backup:
                  server:
                    listen: 127.0.0.1:%d
                    root: served
                    token_file: token
                    append_only: %s
                  repositories:
                    local: { path: repo, key_file: local.key, create: true }
                  jobs:
                    files:
                      source: { directory: { paths: [src] } }
                      schedule: manual
                      repository: local
                      keep: { last: %d }
                """;
        try (TestHost h = TestHost.start(tmp, yaml.formatted(port, false, 3), new BackupModule());
             java.net.Socket kept = new java.net.Socket("127.0.0.1", port)) {
            kept.setSoTimeout(5000);
            assertThat(status(kept, "GET", "/list?prefix=none")).as("the server answers").isEqualTo(200);

            // A job's key: live, and the server with its connections is left alone.
            var r = h.reload(yaml.formatted(port, false, 4));
            assertThat(r.ok()).as(r.toString()).isTrue();
            assertThat(r.restartKeys()).isEmpty();
            assertThat(status(kept, "GET", "/list?prefix=none")).as("the connection opened before the reload").isEqualTo(200);
            assertThat(status(kept, "DELETE", "/o/snapshots/none")).as("not append-only yet").isNotEqualTo(403);

            // A server key: reported restart, and the re-opened server applies it.
            r = h.reload(yaml.formatted(port, true, 4));
            assertThat(r.ok()).as(r.toString()).isTrue();
            assertThat(r.restartKeys()).containsExactly("backup.server.append_only");
            try (java.net.Socket s = new java.net.Socket("127.0.0.1", port)) {
                s.setSoTimeout(5000);
                assertThat(status(s, "DELETE", "/o/snapshots/none")).as("append-only after the reload").isEqualTo(403);
            }

            // A new address: the server moves there, and a port that cannot be bound keeps it where it is.
            int moved = TestHost.freePort();
            r = h.reload(yaml.formatted(moved, true, 4));
            assertThat(r.restartKeys()).containsExactly("backup.server.listen");
            try (java.net.Socket s = new java.net.Socket("127.0.0.1", moved)) {
                s.setSoTimeout(5000);
                assertThat(status(s, "GET", "/list?prefix=none")).isEqualTo(200);
            }
            assertThatThrownBy(() -> new java.net.Socket("127.0.0.1", port).close()).as("the old address is closed")
                    .isInstanceOf(java.net.ConnectException.class);
            try (java.net.ServerSocket taken = new java.net.ServerSocket()) {
                taken.bind(new InetSocketAddress("127.0.0.1", TestHost.freePort()));
                r = h.reload(yaml.formatted(taken.getLocalPort(), true, 4));
                assertThat(r.ok()).as("a reload onto a taken port fails").isFalse();
            }
            try (java.net.Socket s = new java.net.Socket("127.0.0.1", moved)) {
                s.setSoTimeout(5000);
                assertThat(status(s, "GET", "/list?prefix=none")).as("the running server stays after the failed reload").isEqualTo(200);
            }
        }
    }
}
