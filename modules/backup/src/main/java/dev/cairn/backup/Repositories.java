package dev.cairn.backup;

import dev.cairn.backup.BackupConfig.RepositoryConfig;
import dev.cairn.backup.repo.RepoKey;
import dev.cairn.backup.repo.Repository;
import dev.cairn.backup.store.LocalStore;
import dev.cairn.backup.store.S3Store;
import dev.cairn.backup.store.Store;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Opens (and on first use creates) the repository a config names. */
public final class Repositories {

    private Repositories() {
    }

    public static Store store(RepositoryConfig rc, Path configDir) throws IOException {
        if (rc.s3() != null) {
            BackupConfig.S3Config c = rc.s3();
            String ak = Files.readString(configDir.resolve(c.accessKeyFile())).trim();
            String sk = Files.readString(configDir.resolve(c.secretKeyFile())).trim();
            S3Store s3 = new S3Store(new S3Store.Settings(c.endpoint() == null ? null : java.net.URI.create(c.endpoint()), c.region(), c.bucket(),
                    c.prefix(), ak, sk, c.checksums(), Math.max(S3Store.MIN_PART, c.multipartThreshold().bytes()), c.retries(), c.timeout()));
            if (c.createBucket()) s3.createBucketIfMissing();
            return s3;
        }
        if (rc.backupServer() != null) {
            BackupConfig.RemoteConfig r = rc.backupServer();
            return new dev.cairn.backup.store.ServerStore(java.net.URI.create(r.url()), Files.readString(configDir.resolve(r.tokenFile())).trim(),
                    r.caFile() == null ? null : configDir.resolve(r.caFile()), r.retries());
        }
        return new LocalStore(configDir.resolve(rc.path()).normalize());
    }

    public static RepoKey key(RepositoryConfig rc, Path configDir, boolean mayCreate) throws IOException {
        if (rc.keyFile() != null) {
            Path f = configDir.resolve(rc.keyFile()).normalize();
            if (!Files.exists(f) && mayCreate && rc.create()) {
                Files.createDirectories(f.toAbsolutePath().getParent());
                RepoKey.generate(f);
            }
            if (!Files.exists(f)) throw new IOException(BackupErrors.KEY_FILE.id() + " key file " + f + " does not exist");
            return RepoKey.keyFile(f);
        }
        return RepoKey.passphraseFile(configDir.resolve(rc.passphraseFile()).normalize());
    }

    /** Opens the repository; creates it first when {@code create: true} and there is none. */
    public static Repository open(RepositoryConfig rc, Path configDir) throws IOException {
        Store store = store(rc, configDir);
        if (rc.create()) {
            // One creator per JVM: two first uses at once (the start-up seeding and a run) would each
            // generate a key file, and the loser would open the repository with the wrong key.
            synchronized (Repositories.class) {
                if (!Repository.exists(store)) {
                    RepoKey key = key(rc, configDir, true);
                    try {
                        return Repository.init(store, key, Repository.Params.defaults());
                    } catch (Repository.OpenException raced) {
                        // created meanwhile by another process: open it
                    }
                }
            }
        }
        return Repository.open(store, key(rc, configDir, false));
    }
}
