package dev.cairn.backup;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.backup.repo.BackupRun;
import dev.cairn.backup.repo.Repository;
import dev.cairn.backup.repo.Snapshot;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A name that is not valid UTF-8 is refused with its inode named, never stored mangled; its siblings are stored. */
class NonUtf8NameTest {

    @TempDir
    Path tmp;

    @Test
    void invalidUtf8NamesAreRefusedWithTheirInode() throws Exception {
        assertThat(System.getProperty("sun.jnu.encoding")).isEqualTo("UTF-8");
        Path src = tmp.resolve("src");
        Files.createDirectories(src);
        Files.writeString(src.resolve("fine.txt"), "ok\n");
        Files.writeString(src.resolve("valid-\uFFFD-replacement-char"), "a real U+FFFD is valid UTF-8\n");
        // bytes 0xff 0xfe: Latin-1 "ÿþ", not UTF-8
        Trees.sh("bash", "-c", "cd '" + src + "' && printf 'latin1\\n' > $'bad-\\xff\\xfe.txt'");
        String inode = Trees.sh("bash", "-c", "stat -c %i '" + src + "'/bad-*").trim();
        RepoFixture repo = new RepoFixture(tmp);

        BackupRun.Result r = repo.backup("j", src);

        assertThat(r.header().partial()).isTrue();
        assertThat(r.header().problems()).singleElement().asString()
                .contains("CAIRN-BACKUP-0022").contains("inode " + inode).contains("not valid UTF-8");
        try (Repository rr = repo.open()) {
            Snapshot s = rr.readSnapshot(r.snapshotId());
            assertThat(s.nodes()).extracting(Snapshot.Node::path)
                    .containsExactlyInAnyOrder("src", "src/fine.txt", "src/valid-\uFFFD-replacement-char");
        }
        Path out = tmp.resolve("out");
        assertThat(repo.restore(r.snapshotId(), out).ok()).isTrue();
        assertThat(out.resolve("src/valid-\uFFFD-replacement-char")).hasContent("a real U+FFFD is valid UTF-8");
    }
}
