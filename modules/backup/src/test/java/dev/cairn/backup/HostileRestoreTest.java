package dev.cairn.backup;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.backup.repo.BackupRun;
import dev.cairn.backup.repo.Repository;
import dev.cairn.backup.repo.Snapshot;
import dev.cairn.backup.restore.Restorer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Manifests written by someone holding the key (or a bug) that try to escape the target: restore
 * refuses those entries, writes nothing outside the target, and still restores the rest.
 */
class HostileRestoreTest {

    @TempDir
    Path tmp;

    private static Snapshot.Node node(Snapshot.Type t, String path, List<byte[]> chunks, long size, String target) {
        return new Snapshot.Node(t, path, t == Snapshot.Type.DIR ? 0755 : 0644, 0, 0, "root", "root", 1_700_000_000_000_000_000L, 0, 0, 0, size,
                Map.of(), 0, new long[0], chunks, target == null ? null : target.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void entriesEscapingTheTargetAreRefusedAndTheRestRestores() throws Exception {
        Path src = tmp.resolve("src");
        Files.createDirectories(src);
        Files.writeString(src.resolve("payload"), "owned\n");
        RepoFixture repo = new RepoFixture(tmp);
        BackupRun.Result r = repo.backup("j", src);
        Path outside = tmp.resolve("outside");
        Files.createDirectories(outside);
        Path target = tmp.resolve("target");
        String evil;
        try (Repository rr = repo.open()) {
            Snapshot s = rr.readSnapshot(r.snapshotId());
            Snapshot.Node payload = s.nodes().stream().filter(n -> n.path().equals("src/payload")).findFirst().orElseThrow();
            List<byte[]> c = payload.chunks();
            List<Snapshot.Node> nodes = new ArrayList<>();
            nodes.add(node(Snapshot.Type.DIR, "ok", List.of(), 0, null));
            nodes.add(node(Snapshot.Type.FILE, "ok/file", c, 6, null));
            nodes.add(node(Snapshot.Type.FILE, "../outside/dotdot", c, 6, null));
            nodes.add(node(Snapshot.Type.FILE, "ok/../../outside/inner-dotdot", c, 6, null));
            nodes.add(node(Snapshot.Type.FILE, outside.resolve("absolute").toString(), c, 6, null));
            // a symlink the archive creates, then a file "through" it: the symlink comes last, so the file lands in a real directory
            nodes.add(node(Snapshot.Type.SYMLINK, "escape", List.of(), 0, outside.toString()));
            nodes.add(node(Snapshot.Type.FILE, "escape/through-symlink", c, 6, null));
            nodes.add(node(Snapshot.Type.HARDLINK, "ok/hard-outside", List.of(), 0, "../../etc/passwd"));
            nodes.add(node(Snapshot.Type.HARDLINK, "ok/hard-unknown", List.of(), 0, "not/in/snapshot"));
            nodes.add(node(Snapshot.Type.FILE, "ok/lies-about-size", c, 1L << 40, null));
            nodes.add(node(Snapshot.Type.FILE, "ok/\0nul", c, 6, null));
            Snapshot hostile = new Snapshot(s.header(), nodes);
            evil = rr.writeSnapshot(hostile);
        }
        Restorer.Result res = repo.restore(evil, target);

        assertThat(res.ok()).isFalse();
        try (var files = Files.list(outside)) {
            assertThat(files).as("nothing written outside the target").isEmpty();
        }
        assertThat(target.resolve("ok/file")).hasContent("owned");
        assertThat(res.problems()).anyMatch(p -> p.contains("'../outside/dotdot'")).anyMatch(p -> p.contains("inner-dotdot"))
                .anyMatch(p -> p.contains("absolute")).anyMatch(p -> p.contains("hard link ok/hard-outside"))
                .anyMatch(p -> p.contains("hard link ok/hard-unknown"));
        assertThat(res.damaged()).anyMatch(d -> d.startsWith("ok/lies-about-size"));
        assertThat(target.resolve("ok/lies-about-size")).doesNotExist();
        // the symlink could not be created over the real directory made for escape/through-symlink
        assertThat(Files.isSymbolicLink(target.resolve("escape"))).isFalse();
        assertThat(target.resolve("escape/through-symlink")).hasContent("owned");
    }

    @Test
    void aRestoreNeverWritesThroughASymlinkAlreadyInTheTarget() throws Exception {
        Path src = tmp.resolve("src");
        Files.createDirectories(src.resolve("etc"));
        Files.writeString(src.resolve("etc/conf"), "x\n");
        RepoFixture repo = new RepoFixture(tmp);
        BackupRun.Result r = repo.backup("j", src);
        Path outside = tmp.resolve("outside");
        Files.createDirectories(outside);
        Path target = tmp.resolve("target");
        Files.createDirectories(target.resolve("src"));
        Files.createSymbolicLink(target.resolve("src/etc"), outside);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> repo.restore(r.snapshotId(), target))
                .hasMessageContaining("CAIRN-BACKUP-0044");
        try (var files = Files.list(outside)) {
            assertThat(files).isEmpty();
        }
    }
}
