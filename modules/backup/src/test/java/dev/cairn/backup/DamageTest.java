package dev.cairn.backup;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.backup.repo.BackupRun;
import dev.cairn.backup.repo.BlobIndex;
import dev.cairn.backup.repo.Maintenance;
import dev.cairn.backup.repo.Pack;
import dev.cairn.backup.repo.Repository;
import dev.cairn.backup.repo.Snapshot;
import dev.cairn.backup.restore.Restorer;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Damaged repositories: each kind of damage is found by check, and loses only the files it touches. */
class DamageTest {

    @TempDir
    Path tmp;
    Path src;
    RepoFixture repo;
    BackupRun.Result snap;

    @BeforeEach
    void backUpTwelveFiles() throws Exception {
        src = tmp.resolve("src");
        Files.createDirectories(src);
        // each 300 KiB random file is its own chunks; 12 of them span several 1 MiB packs
        for (int i = 0; i < 12; i++) Trees.random(src.resolve("file" + i), i, 300 * 1024);
        repo = new RepoFixture(tmp);
        snap = repo.backup("j", src);
        try (Repository r = repo.open()) {
            assertThat(Maintenance.check(r, true, null).ok()).isTrue();
        }
    }

    /** The pack holding the first chunk of {@code file}, and that chunk's offset in it. */
    private BlobIndex.Location locate(String file) throws Exception {
        try (Repository r = repo.open()) {
            Snapshot s = r.readSnapshot(snap.snapshotId());
            Snapshot.Node n = s.nodes().stream().filter(x -> x.path().equals("src/" + file)).findFirst().orElseThrow();
            return r.index().get(n.chunks().get(0));
        }
    }

    private Path packFile(BlobIndex.Location loc) {
        return repo.dir.resolve(Pack.objectName(loc.packHex()));
    }

    private List<String> filesIn(String packHex) throws Exception {
        List<String> out = new ArrayList<>();
        try (Repository r = repo.open()) {
            for (Snapshot.Node n : r.readSnapshot(snap.snapshotId()).nodes()) {
                for (byte[] id : n.chunks()) {
                    if (r.index().get(id).packHex().equals(packHex)) {
                        out.add(n.path());
                        break;
                    }
                }
            }
        }
        return out;
    }

    private Restorer.Result restoreAll(Path to) throws Exception {
        return repo.restore(snap.snapshotId(), to);
    }

    private void assertOthersRestored(Path out, List<String> lost) throws Exception {
        for (int i = 0; i < 12; i++) {
            String p = "src/file" + i;
            if (lost.contains(p)) {
                assertThat(out.resolve(p)).as(p + " is damaged: never written").doesNotExist();
            } else {
                assertThat(Files.mismatch(out.resolve(p), src.resolve("file" + i))).as(p).isEqualTo(-1);
            }
        }
        try (var s = Files.list(out.resolve("src"))) {
            assertThat(s.map(x -> x.getFileName().toString())).noneMatch(n -> n.startsWith(".cairn-restore"));
        }
    }

    @Test
    void aFlippedByteInAPackLosesOnlyTheFileUsingThatBlob() throws Exception {
        BlobIndex.Location loc = locate("file5");
        try (RandomAccessFile f = new RandomAccessFile(packFile(loc).toFile(), "rw")) {
            f.seek(loc.offset() + 100);
            int b = f.read();
            f.seek(loc.offset() + 100);
            f.write(b ^ 0x01);
        }
        try (Repository r = repo.open()) {
            Maintenance.CheckResult structure = Maintenance.check(r, false, null);
            assertThat(structure.ok()).as("structure alone cannot see a flipped byte").isTrue();
            Maintenance.CheckResult c = Maintenance.check(r, true, null);
            assertThat(c.ok()).isFalse();
            assertThat(c.errors()).anyMatch(e -> e.contains("CAIRN-BACKUP-0053"));
            assertThat(c.damagedFiles().values()).containsExactly(List.of("src/file5"));
        }
        Path out = tmp.resolve("out");
        Restorer.Result res = restoreAll(out);
        assertThat(res.ok()).isFalse();
        assertThat(res.damaged()).hasSize(1).allMatch(d -> d.startsWith("src/file5 "));
        assertOthersRestored(out, List.of("src/file5"));
    }

    @Test
    void readDataSubsetsTogetherCoverEveryPack() throws Exception {
        BlobIndex.Location loc = locate("file7");
        try (RandomAccessFile f = new RandomAccessFile(packFile(loc).toFile(), "rw")) {
            f.seek(loc.offset() + 10);
            int b = f.read();
            f.seek(loc.offset() + 10);
            f.write(b ^ 0x80);
        }
        try (Repository r = repo.open()) {
            Maintenance.CheckResult one = Maintenance.check(r, true, "1/2"), two = Maintenance.check(r, true, "2/2");
            Maintenance.CheckResult all = Maintenance.check(r, true, null);
            assertThat(one.packsRead() + two.packsRead()).isEqualTo(all.packsRead());
            assertThat(one.ok() ^ two.ok()).as("exactly one half holds the damaged pack").isTrue();
            assertThat(Maintenance.check(r, true, "100%").packsRead()).isEqualTo(all.packsRead());
        }
    }

    @Test
    void missingTruncatedAndZeroLengthPacksAreNamedWithTheirFiles() throws Exception {
        BlobIndex.Location loc = locate("file0");
        List<String> lost = filesIn(loc.packHex());
        assertThat(lost).isNotEmpty().hasSizeLessThan(12);
        for (String damage : List.of("truncated", "zero-length", "missing")) {
            Path p = packFile(loc);
            Path saved = tmp.resolve("saved.tar");
            Files.copy(p, saved, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            switch (damage) {
                case "truncated" -> {
                    try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
                        f.setLength(f.length() / 2);
                    }
                }
                case "zero-length" -> Files.write(p, new byte[0]);
                default -> Files.delete(p);
            }
            try (Repository r = repo.open()) {
                Maintenance.CheckResult c = Maintenance.check(r, false, null);
                assertThat(c.ok()).as(damage).isFalse();
                assertThat(String.join("\n", c.errors())).as(damage).contains(loc.packHex())
                        .contains(damage.equals("missing") ? "is missing" : "(" + damage + ")");
                assertThat(c.damagedFiles().values().iterator().next()).as(damage).containsExactlyInAnyOrderElementsOf(lost);
            }
            Path out = tmp.resolve("out-" + damage);
            Restorer.Result res = restoreAll(out);
            List<String> damagedPaths = res.damaged().stream().map(d -> d.substring(0, d.indexOf(' '))).toList();
            // a truncated pack still serves the blobs before the cut: restore loses no more than check named
            if (damage.equals("truncated")) assertThat(lost).as(damage).containsAll(damagedPaths).isNotEmpty();
            else assertThat(damagedPaths).as(damage).containsExactlyInAnyOrderElementsOf(lost);
            assertOthersRestored(out, damagedPaths);
            Files.copy(saved, p, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
    }

    @Test
    void aDuplicatedPackIsHarmlessAndPruneRemovesIt() throws Exception {
        BlobIndex.Location loc = locate("file3");
        Path p = packFile(loc);
        // Another name for the same bytes (a pack id starting with ff gets ee: the same name would copy nothing).
        String dupHex = (loc.packHex().startsWith("ff") ? "ee" : "ff") + loc.packHex().substring(2);
        Path dup = repo.dir.resolve(Pack.objectName(dupHex));
        Files.createDirectories(dup.getParent());
        Files.copy(p, dup);
        try (Repository r = repo.open()) {
            Maintenance.CheckResult c = Maintenance.check(r, true, null);
            assertThat(c.notes()).anyMatch(n -> n.contains(dupHex) && n.contains("in no index"));
            assertThat(c.errors()).anyMatch(e -> e.contains(dupHex) && e.contains("does not match its hash"));
            assertThat(c.damagedFiles()).isEmpty();
            Maintenance.prune(r, 0.05, Maintenance.Steps.NONE);
            assertThat(dup).doesNotExist();
            assertThat(Maintenance.check(r, true, null).ok()).isTrue();
        }
        assertThat(restoreAll(tmp.resolve("out")).ok()).isTrue();
    }

    @Test
    void aFlippedByteInAnIndexIsFoundAndRepairRebuildsIt() throws Exception {
        Path index;
        try (var s = Files.list(repo.dir.resolve("index"))) {
            index = s.findFirst().orElseThrow();
        }
        byte[] b = Files.readAllBytes(index);
        b[b.length / 2] ^= 0x40;
        Files.write(index, b);
        try (Repository r = repo.open()) {
            Maintenance.CheckResult c = Maintenance.check(r, false, null);
            assertThat(c.errors()).anyMatch(e -> e.contains("CAIRN-BACKUP-0010") && e.contains("damaged"));
            List<String> done = Maintenance.repair(r);
            assertThat(done).anyMatch(l -> l.startsWith("indexed "));
            assertThat(Maintenance.check(r, true, null).ok()).isTrue();
        }
        Path out = tmp.resolve("out");
        assertThat(restoreAll(out).ok()).isTrue();
        Trees.assertSameTree(src, out.resolve("src"));
    }

    @Test
    void aFlippedByteInAManifestLosesThatSnapshotOnly() throws Exception {
        Files.writeString(src.resolve("later"), "second snapshot");
        BackupRun.Result second = repo.backup("j", src);
        Path m = repo.dir.resolve("snapshots/" + snap.snapshotId());
        byte[] b = Files.readAllBytes(m);
        b[40] ^= 0x01;
        Files.write(m, b);
        try (Repository r = repo.open()) {
            List<String> problems = new ArrayList<>();
            assertThat(r.snapshots(problems)).extracting(Repository.SnapshotRef::id).containsExactly(second.snapshotId());
            assertThat(problems).singleElement().asString().contains("CAIRN-BACKUP-0011").contains(snap.snapshotId());
            assertThat(Maintenance.check(r, false, null).ok()).isFalse();
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> Maintenance.prune(r, 0.05, Maintenance.Steps.NONE))
                    .hasMessageContaining("CAIRN-BACKUP-0060");
        }
        Path out = tmp.resolve("out");
        assertThat(repo.restore(second.snapshotId(), out).ok()).isTrue();
        Trees.assertSameTree(src, out.resolve("src"));
    }
}
