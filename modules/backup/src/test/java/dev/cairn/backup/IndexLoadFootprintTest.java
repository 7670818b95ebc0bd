package dev.cairn.backup;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.backup.repo.BlobIndex;
import dev.cairn.backup.repo.Crypto;
import dev.cairn.backup.repo.Pack;
import dev.cairn.backup.repo.RepoKey;
import dev.cairn.backup.repo.Repository;
import dev.cairn.backup.store.LocalStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Opening a repository streams its index files into the table: a repository of 1 M blobs opens in a
 * JVM of 128 MB with the launcher's collector (it fits in 96 MB; reading the files into an object
 * per blob first, as before, needed well over 100 bytes a blob and ended in an OutOfMemoryError
 * there, and at 2 M blobs in 256 MB). The index files are written by the real writer
 * ({@link Repository#writeIndex}); the packs they name are not stored, since opening reads only
 * the config, the key slots and the index files.
 */
class IndexLoadFootprintTest {

    static final int BLOBS = 1_000_000;
    static final int PER_PACK = 500;
    static final int PACKS_PER_FILE = 200;
    static final int FILES = BLOBS / PER_PACK / PACKS_PER_FILE;
    static final long SEED = 13;

    @Test
    void aRepositoryOfAMillionBlobsOpensIn128MbAndEveryLookupIsRight(@TempDir Path tmp) throws Exception {
        Path dir = tmp.resolve("repo");
        Path key = tmp.resolve("repo.key");
        RepoKey.generate(key);
        long t0 = System.nanoTime();
        try (Repository r = Repository.init(new LocalStore(dir), RepoKey.keyFile(key), RepoFixture.SMALL)) {
            SplittableRandom rnd = new SplittableRandom(SEED);
            List<Repository.PackInfo> batch = new ArrayList<>();
            for (int p = 0; p < BLOBS / PER_PACK; p++) {
                List<Pack.Entry> entries = new ArrayList<>(PER_PACK);
                for (int k = 0; k < PER_PACK; k++) entries.add(new Pack.Entry(id(rnd), 512L + 1000L * k, 900 + k, 2000 + k));
                batch.add(new Repository.PackInfo(packId(p), 1L << 24, entries));
                if (batch.size() == PACKS_PER_FILE) {
                    r.writeIndex(batch);
                    batch = new ArrayList<>();
                }
            }
            if (!batch.isEmpty()) r.writeIndex(batch);
        }
        long written = System.nanoTime() - t0;
        // a damaged index file is skipped, never half-added
        Path damaged = dir.resolve("index").resolve(hex(Crypto.sha256("not an index".getBytes())));
        Files.write(damaged, "not an index".getBytes());

        String javaBin = ProcessHandle.current().info().command().orElse("java");
        Path log = tmp.resolve("child.log");
        Process p = new ProcessBuilder(javaBin, "-XX:+UseSerialGC", "-Xmx128m", "-cp", System.getProperty("java.class.path"),
                Open.class.getName(), dir.toString(), key.toString(), damaged.getFileName().toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        String out = Files.readString(log);
        System.out.printf("index files written in %d ms, child ran %d ms%n", written / 1_000_000, (System.nanoTime() - t0 - written) / 1_000_000);
        assertThat(p.exitValue()).as(out).isZero();
        assertThat(out).contains(BLOBS + " blobs indexed, all found").contains(FILES + " index files loaded, not the damaged one");
    }

    /** Prune and repair name every pack in new index files: each of bounded size, since each is read whole. */
    @Test
    void indexFilesNamingManyBlobsAreSplitAndAllAreLoaded(@TempDir Path tmp) throws Exception {
        Path dir = tmp.resolve("repo");
        Path key = tmp.resolve("repo.key");
        RepoKey.generate(key);
        int packs = 700, perPack = 500; // 350 000 blobs: more than one file holds
        List<String> names;
        try (Repository r = Repository.init(new LocalStore(dir), RepoKey.keyFile(key), RepoFixture.SMALL)) {
            SplittableRandom rnd = new SplittableRandom(7);
            List<Repository.IndexedPack> all = new ArrayList<>();
            for (int p = 0; p < packs; p++) {
                List<Pack.Entry> entries = new ArrayList<>(perPack);
                for (int k = 0; k < perPack; k++) entries.add(new Pack.Entry(id(rnd), 512L + 100L * k, 90, 200));
                all.add(Repository.IndexedPack.of(packId(p), 1L << 24, entries));
            }
            names = r.writeIndexes(all);
        }
        assertThat(names).hasSize(2);
        try (Repository r = Repository.open(new LocalStore(dir), RepoKey.keyFile(key))) {
            assertThat(r.indexFiles()).containsExactlyInAnyOrderElementsOf(names);
            assertThat(r.index().size()).isEqualTo(packs * perPack);
            SplittableRandom rnd = new SplittableRandom(7);
            List<String> wrong = new ArrayList<>();
            for (int p = 0; p < packs; p++) {
                String pack = hex(packId(p));
                for (int k = 0; k < perPack; k++) {
                    BlobIndex.Location l = r.index().get(id(rnd));
                    if (l == null || !l.packHex().equals(pack) || l.offset() != 512L + 100L * k) wrong.add(p + "/" + k + ": " + l);
                }
            }
            assertThat(wrong).as("blobs not found where they are").isEmpty();
            Repository.IndexContents ic = r.readIndexContents();
            assertThat(ic.packs()).hasSize(packs);
            assertThat(ic.packs().get(hex(packId(3))).entries()).hasSize(perPack);
        }
    }

    private static String hex(byte[] b) {
        StringBuilder s = new StringBuilder();
        for (byte x : b) s.append(String.format("%02x", x));
        return s.toString();
    }

    static byte[] id(SplittableRandom r) {
        byte[] id = new byte[32];
        for (int w = 0; w < 4; w++) {
            long v = r.nextLong();
            for (int j = 0; j < 8; j++) id[w * 8 + j] = (byte) (v >>> (8 * j));
        }
        return id;
    }

    static byte[] packId(int p) {
        return Crypto.sha256(new byte[] {(byte) p, (byte) (p >> 8), (byte) (p >> 16), (byte) (p >> 24)});
    }

    /** The child: opens the repository with its heap and checks every blob's location. */
    public static final class Open {
        public static void main(String[] args) throws Exception {
            try (Repository r = Repository.open(new LocalStore(Path.of(args[0])), RepoKey.keyFile(Path.of(args[1])))) {
                BlobIndex idx = r.index();
                if (idx.size() != BLOBS) throw new AssertionError(idx.size() + " blobs indexed, not " + BLOBS);
                SplittableRandom rnd = new SplittableRandom(SEED);
                for (int p = 0; p < BLOBS / PER_PACK; p++) {
                    String pack = hex(packId(p));
                    for (int k = 0; k < PER_PACK; k++) {
                        BlobIndex.Location l = idx.get(id(rnd));
                        if (l == null || !l.packHex().equals(pack) || l.offset() != 512L + 1000L * k || l.length() != 900 + k || l.rawLength() != 2000 + k) {
                            throw new AssertionError("blob " + k + " of pack " + p + ": " + l);
                        }
                    }
                }
                if (idx.get(new byte[32]) != null) throw new AssertionError("an unknown id was found");
                System.out.println(idx.size() + " blobs indexed, all found; heap max " + (Runtime.getRuntime().maxMemory() >> 20) + " MiB");
                System.out.println(r.indexFiles().size() + " index files loaded"
                        + (r.indexFiles().stream().anyMatch(f -> f.endsWith(args[2])) ? ", the damaged one too" : ", not the damaged one"));
            }
        }
    }
}
