package dev.cairn.backup;

import dev.cairn.backup.repo.Backups;
import dev.cairn.backup.repo.Maintenance;
import dev.cairn.backup.repo.RepoKey;
import dev.cairn.backup.repo.Repository;
import dev.cairn.backup.source.DirectorySource;
import dev.cairn.backup.store.LocalStore;
import dev.cairn.backup.store.Store;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A separate JVM that backs up or prunes and dies like kill -9 (Runtime.halt: no finally, no
 * shutdown hooks, its lock left behind) at a chosen step: the Nth put of an object kind, halfway
 * through writing it, or at a prune step.
 *
 * <p>Arguments: {@code backup|prune REPO KEYFILE SRC PREFIX N} (PREFIX: data/, index/, snapshots/,
 * or a prune step name).
 */
public final class CrashChild {

    public static void main(String[] args) throws Exception {
        String mode = args[0];
        Path repoDir = Path.of(args[1]);
        String prefix = args[4];
        int n = Integer.parseInt(args[5]);
        AtomicInteger seen = new AtomicInteger();
        LocalStore local = new LocalStore(repoDir);
        Store dying = new Store() {
            @Override
            public boolean putIfAbsent(String name, byte[] data, int off, int len) throws IOException {
                if (name.startsWith(prefix) && seen.incrementAndGet() == n) {
                    // half an upload: a temporary file as a killed writer leaves it
                    Path tmp = repoDir.resolve(name).getParent().resolve(".tmp-killed");
                    Files.createDirectories(tmp.getParent());
                    Files.write(tmp, java.util.Arrays.copyOfRange(data, off, off + len / 2));
                    Runtime.getRuntime().halt(137);
                }
                return local.putIfAbsent(name, data, off, len);
            }

            @Override public byte[] get(String name) throws IOException { return local.get(name); }
            @Override public byte[] get(String name, long o, int l) throws IOException { return local.get(name, o, l); }
            @Override public List<StoreObject> list(String p) throws IOException { return local.list(p); }
            @Override public void delete(String name) throws IOException { local.delete(name); }
            @Override public String describe() { return local.describe(); }
        };
        try (Repository r = Repository.open(dying, RepoKey.keyFile(Path.of(args[2])))) {
            if (mode.equals("backup")) {
                Backups.backup(r, "j", new DirectorySource(List.of(Path.of(args[3])), List.of()), List.of(), 3, null);
            } else {
                Maintenance.prune(r, 0.05, step -> {
                    if (step.equals(prefix)) Runtime.getRuntime().halt(137);
                });
            }
        }
        System.exit(0);
    }
}
