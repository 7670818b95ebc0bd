package dev.cairn.backup;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.backup.repo.BackupRun;
import dev.cairn.backup.repo.Repository;
import dev.cairn.backup.restore.TarExport;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An exported snapshot is a standard tar: GNU tar extracts the same tree as cairn restore. */
class ExportTest {

    @TempDir
    Path tmp;

    @Test
    void gnuTarExtractsTheExportIdenticallyToTheSource() throws Exception {
        Path src = tmp.resolve("src");
        Trees.everyKind(src, false);
        RepoFixture repo = new RepoFixture(tmp);
        BackupRun.Result r = repo.backup("j", src);
        for (boolean zstd : new boolean[] {false, true}) {
            Path tar = tmp.resolve(zstd ? "x.tar.zst" : "x.tar");
            try (Repository rr = repo.open(); OutputStream o = Files.newOutputStream(tar)) {
                TarExport.write(rr, rr.readSnapshot(r.snapshotId()), o, zstd);
            }
            Path out = tmp.resolve("untar-" + zstd);
            Files.createDirectories(out);
            if (zstd) {
                Trees.sh("bash", "-c", "zstd -dc '" + tar + "' | tar -x --xattrs --xattrs-include='user.*' -p --numeric-owner -C '" + out + "'");
            } else {
                Trees.sh("tar", "-x", "--xattrs", "--xattrs-include=user.*", "-p", "--numeric-owner", "-f", tar.toString(), "-C", out.toString());
            }
            Trees.assertSameTree(src, out.resolve("src"));
            var x = Files.getFileAttributeView(out.resolve("src/small.txt"), java.nio.file.attribute.UserDefinedFileAttributeView.class);
            assertThat(x.list()).containsExactlyInAnyOrder("comment", "checksum");
        }
    }
}
