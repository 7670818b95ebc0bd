package dev.cairn.backup;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.backup.repo.BackupRun;
import dev.cairn.backup.repo.Backups;
import dev.cairn.backup.repo.Repository;
import dev.cairn.backup.repo.Snapshot;
import dev.cairn.backup.restore.FileReader;
import dev.cairn.backup.source.EntryMeta;
import dev.cairn.backup.source.EntrySink;
import dev.cairn.backup.source.Source;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A source that streams a command's stdout into the repository (no temporary file), and reading it back as a stream. */
class StreamSourceTest {

    @TempDir
    Path tmp;

    @Test
    void aCommandsOutputIsChunkedAsItArrivesAndStreamsBack() throws Exception {
        RepoFixture repo = new RepoFixture(tmp);
        // 3 MB of deterministic output from a real process, with facts for the manifest header
        Source dump = new Source() {
            @Override
            public List<String> describe() {
                return List.of("command: seq 1 400000");
            }

            @Override
            public void emit(EntrySink sink) throws java.io.IOException, InterruptedException {
                Process p = new ProcessBuilder("seq", "1", "400000").start();
                try (InputStream out = p.getInputStream()) {
                    sink.directory(EntryMeta.directory("dump"));
                    sink.stream(EntryMeta.streamed("dump/seq.txt"), out);
                }
                if (p.waitFor() != 0) throw new java.io.IOException("seq failed");
                sink.extra("exit_code", "0");
            }
        };
        BackupRun.Result r;
        try (Repository rr = repo.open()) {
            r = Backups.backup(rr, "dump", dump, List.of(), 3, null);
            Snapshot s = rr.readSnapshot(r.snapshotId());
            assertThat(s.header().extra()).containsEntry("exit_code", "0");
            assertThat(s.header().paths()).containsExactly("command: seq 1 400000");
            Snapshot.Node n = s.nodes().get(1);
            assertThat(n.chunks()).as("cut into several chunks on the way in").hasSizeGreaterThan(3);
            ByteArrayOutputStream back = new ByteArrayOutputStream();
            try (FileReader in = FileReader.open(rr, s, "dump/seq.txt")) {
                in.transferTo(back);
            }
            String expected = Trees.sh("seq", "1", "400000");
            assertThat(back.size()).isEqualTo(expected.length()).isEqualTo((int) n.size());
            assertThat(MessageDigest.getInstance("SHA-256").digest(back.toByteArray()))
                    .isEqualTo(MessageDigest.getInstance("SHA-256").digest(expected.getBytes()));
        }
    }
}
