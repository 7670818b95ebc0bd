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

    @Test
    void aJvmThatDoesNotDecodeNamesAsUtf8RefusesToBackUp() throws Exception {
        Path src = tmp.resolve("src");
        Files.createDirectories(src);
        Files.writeString(src.resolve("ünïcødé.txt"), "would be stored as ?????\n");
        RepoFixture repo = new RepoFixture(tmp);
        // a JVM started under the C locale: sun.jnu.encoding is ANSI_X3.4-1968 (the launcher sets C.UTF-8, a bare java does not)
        String javaBin = ProcessHandle.current().info().command().orElse("java");
        ProcessBuilder pb = new ProcessBuilder(javaBin, "-cp", System.getProperty("java.class.path"), CrashChild.class.getName(), "backup",
                repo.dir.toString(), repo.keyFile.toString(), src.toString(), "never/", "1")
                .redirectErrorStream(true).redirectOutput(tmp.resolve("child.log").toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("LC_") || k.equals("LANG") || k.equals("LANGUAGE"));
        pb.environment().put("LC_ALL", "C");
        Process p = pb.start();
        assertThat(p.waitFor(120, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        String log = Files.readString(tmp.resolve("child.log"));
        assertThat(p.exitValue()).as(log).isNotZero();
        assertThat(log).contains("CAIRN-BACKUP-0021").contains("not UTF-8");
        try (Repository rr = repo.open()) {
            assertThat(rr.snapshots(null)).as("nothing backed up").isEmpty();
        }
    }
}
