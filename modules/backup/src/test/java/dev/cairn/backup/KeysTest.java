package dev.cairn.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cairn.backup.repo.RepoKey;
import dev.cairn.backup.repo.Repository;
import dev.cairn.backup.store.LocalStore;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KeysTest {

    @TempDir
    Path tmp;

    @Test
    void aWrongKeyIsAClearErrorAndWritesNothing() throws Exception {
        Path src = tmp.resolve("src");
        Files.createDirectories(src);
        Files.writeString(src.resolve("f"), "secret content");
        RepoFixture repo = new RepoFixture(tmp);
        repo.backup("j", src);
        String before = Trees.sh("find", repo.dir.toString(), "-printf", "%P %s\\n");
        Path other = tmp.resolve("other.key");
        RepoKey.generate(other);

        assertThatThrownBy(() -> Repository.open(new LocalStore(repo.dir), RepoKey.keyFile(other)))
                .hasMessageContaining("CAIRN-BACKUP-0002 wrong key").hasMessageContaining("1 key slots");
        assertThatThrownBy(() -> Repository.open(new LocalStore(repo.dir), RepoKey.passphrase("guess")))
                .hasMessageContaining("CAIRN-BACKUP-0002");
        assertThat(Trees.sh("find", repo.dir.toString(), "-printf", "%P %s\\n")).isEqualTo(before);
        try (var files = Files.walk(repo.dir)) {
            for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
                assertThat(new String(Files.readAllBytes(f), java.nio.charset.StandardCharsets.ISO_8859_1))
                        .as("plaintext in " + f).doesNotContain("secret content");
            }
        }
    }

    @Test
    void keyRotationRewritesNoData() throws Exception {
        Path src = tmp.resolve("src");
        Files.createDirectories(src);
        Trees.random(src.resolve("f"), 3, 200_000);
        RepoFixture repo = new RepoFixture(tmp);
        var snap = repo.backup("j", src);
        String data = Trees.sh("find", repo.dir.resolve("data").toString(), repo.dir.resolve("snapshots").toString(), "-type", "f", "-printf", "%P %s %T@\\n");
        String oldSlot;
        try (Repository r = repo.open()) {
            oldSlot = r.keySlots().get(0);
            r.addKey(RepoKey.passphrase("correct horse battery staple"));
            assertThat(r.keySlots()).hasSize(2);
        }
        try (Repository r = Repository.open(new LocalStore(repo.dir), RepoKey.passphrase("correct horse battery staple"))) {
            r.removeKey(oldSlot);
            assertThatThrownBy(() -> r.removeKey(r.keySlots().get(0))).hasMessageContaining("last key slot");
        }
        assertThatThrownBy(repo::open).hasMessageContaining("CAIRN-BACKUP-0002");
        try (Repository r = Repository.open(new LocalStore(repo.dir), RepoKey.passphrase("correct horse battery staple"))) {
            Path out = tmp.resolve("out");
            var res = new dev.cairn.backup.restore.Restorer(r, new dev.cairn.backup.restore.Restorer.Options(out, java.util.List.of(), 1, null))
                    .restore(r.readSnapshot(snap.snapshotId()));
            assertThat(res.ok()).isTrue();
            assertThat(Files.mismatch(out.resolve("src/f"), src.resolve("f"))).isEqualTo(-1);
        }
        assertThat(Trees.sh("find", repo.dir.resolve("data").toString(), repo.dir.resolve("snapshots").toString(), "-type", "f", "-printf", "%P %s %T@\\n"))
                .isEqualTo(data);
    }
}
