package dev.cairn.backup;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.backup.repo.BackupRun;
import dev.cairn.backup.restore.Restorer;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RoundTripTest {

    @TempDir
    Path tmp;

    @Test
    void everyKindOfEntryRestoresIdenticallyAndFifosAndDevicesAreReported() throws Exception {
        Path src = tmp.resolve("src");
        Trees.everyKind(src, true);
        Trees.sh("mknod", src.resolve("a-null-device").toString(), "c", "1", "3");
        RepoFixture repo = new RepoFixture(tmp);

        BackupRun.Result r = repo.backup("files", src);

        assertThat(r.header().partial()).as(r.header().problems().toString()).isFalse();
        assertThat(r.header().problems()).anyMatch(p -> p.contains("a-fifo") && p.contains("FIFO"))
                .anyMatch(p -> p.contains("a-null-device") && p.contains("character device"));
        Files.delete(src.resolve("a-fifo"));
        Files.delete(src.resolve("a-null-device"));

        Path dst = tmp.resolve("dst");
        Restorer.Result res = repo.restore(r.snapshotId(), dst);
        assertThat(res.ok()).as(res.toString()).isTrue();
        Trees.assertSameTree(src, dst.resolve("src"));

        long blocks = Long.parseLong(Trees.sh("stat", "-c", "%b", dst.resolve("src/sparse.img").toString()).trim());
        assertThat(blocks * 512).as("restored sparse file keeps its holes").isLessThan(1024 * 1024);
        UserDefinedFileAttributeView x = Files.getFileAttributeView(dst.resolve("src/small.txt"), UserDefinedFileAttributeView.class);
        ByteBuffer b = ByteBuffer.allocate(64);
        x.read("comment", b);
        assertThat(new String(b.array(), 0, b.position(), StandardCharsets.UTF_8)).isEqualTo("a user xattr");
    }
}
