package dev.cairn.backup;

import dev.cairn.spi.error.ErrorId;

/** The backup module's error ids (docs/errors.md is generated from this list). */
public enum BackupErrors implements ErrorId {
    NO_REPOSITORY("CAIRN-BACKUP-0001", "There is no repository at the configured store.",
            "Create it (cairn backup init REPO, or create: true), or fix path, s3 or backup_server."),
    WRONG_KEY("CAIRN-BACKUP-0002", "None of the repository's key slots opens with the configured key file or passphrase; nothing was read or written.",
            "Use the key the repository was created with (or one added with cairn backup key add); cairn backup key list shows the slots."),
    NEWER_FORMAT("CAIRN-BACKUP-0003", "The repository (or a manifest) has a format version newer than this Cairn knows.",
            "Upgrade Cairn on this node; an older Cairn never writes into a newer repository."),
    KEY_FILE("CAIRN-BACKUP-0004", "The key file is missing or shorter than 32 bytes.",
            "Create one with cairn backup key generate FILE (keep a copy away from the repository), or fix key_file."),
    REPOSITORY_EXISTS("CAIRN-BACKUP-0005", "cairn backup init found a repository already there (or another node created it at the same time).",
            "Nothing to do: open the existing repository with its key."),
    KEY_SLOT("CAIRN-BACKUP-0006", "A key slot to remove does not exist, or it is the last one (the repository would be lost).",
            "cairn backup key list shows the slots; add the new key before removing the old one."),
    INDEX_DAMAGED("CAIRN-BACKUP-0010", "An index file does not authenticate or parse: the blobs it names are unknown until it is rebuilt.",
            "Run cairn backup repair (rebuilds every index from the packs alone), then cairn backup check."),
    SNAPSHOT_DAMAGED("CAIRN-BACKUP-0011", "A snapshot manifest does not authenticate or parse: that snapshot cannot be restored; the others are unaffected.",
            "Restore from another snapshot; prune refuses to run while a manifest is unreadable (it cannot know what that snapshot uses)."),
    NO_SNAPSHOT("CAIRN-BACKUP-0012", "No snapshot matches (none of the job, none at or before --at, or no such id).",
            "cairn backup list JOB shows the snapshots and their ids."),
    CHANGED_WHILE_READ("CAIRN-BACKUP-0020", "A file kept changing while it was read (three attempts): it is stored as read, flagged, and the snapshot is marked partial.",
            "Back up such files from a consistent copy (a dump, a filesystem snapshot), or exclude them."),
    JVM_NOT_UTF8("CAIRN-BACKUP-0021", "The JVM decodes file names in a charset other than UTF-8: names would be stored mangled, so nothing is backed up.",
            "Run Cairn under a UTF-8 locale (the launcher sets LC_ALL=C.UTF-8 when the locale is not UTF-8)."),
    NAME_NOT_UTF8("CAIRN-BACKUP-0022", "A file name is not valid UTF-8: the entry (named by its inode) is refused rather than stored mangled; the snapshot is partial.",
            "Rename it (find DIR -inum INODE -exec mv {} NEWNAME \\;) or exclude it."),
    PERMISSION_DENIED("CAIRN-BACKUP-0023", "A directory could not be listed or a file read (permission denied): it is missing from the snapshot, which is partial.",
            "Run the job as a user that can read the tree (root for system paths), or exclude the path."),
    VANISHED("CAIRN-BACKUP-0024", "A file was deleted between listing and reading: it is missing from the snapshot, which is partial.",
            "Nothing, if the file is temporary; otherwise exclude it."),
    SKIPPED_SPECIAL("CAIRN-BACKUP-0025", "A FIFO, socket or device was skipped (by design): listed in the snapshot's problems, the snapshot is not partial.",
            "Nothing; recreate such entries from the application's own setup."),
    LOCKED("CAIRN-BACKUP-0030", "The repository is locked by another process (prune needs it alone; a backup waits for no prune).",
            "Retry when the other process ends; a lock of a dead process on this host, or older than 30 minutes, is removed automatically."),
    RESTORE_TARGET("CAIRN-BACKUP-0040", "The restore target is not a directory.", "Give --to a directory (it is created when missing)."),
    UNSAFE_PATH("CAIRN-BACKUP-0041", "A snapshot entry has an unsafe path (.., absolute, empty component): refused on restore and export.",
            "The manifest was written by someone holding the key or by a bug: check where the repository came from."),
    UNSAFE_HARD_LINK("CAIRN-BACKUP-0042", "A hard link points outside the snapshot's files: refused on restore.",
            "As for CAIRN-BACKUP-0041."),
    NOT_A_SYMLINK("CAIRN-BACKUP-0043", "A symlink was not restored because a non-symlink is in the way.", "Restore into an empty directory."),
    THROUGH_SYMLINK("CAIRN-BACKUP-0044", "A path of the restore goes through a symlink or a non-directory that is already in the target: the restore stops rather than write through it.",
            "Restore into an empty directory, or remove the symlink."),
    XATTR_NOT_RESTORED("CAIRN-BACKUP-0045", "An extended attribute could not be set on restore (the target file system refuses user.* xattrs).",
            "Restore onto a file system with user xattrs (ext4, xfs, tmpfs on Linux 6.6+)."),
    FILES_DAMAGED("CAIRN-BACKUP-0046", "Some files were not restored because blobs they use are missing or damaged; every other file was restored and verified.",
            "cairn backup check --read-data names the damaged packs; restore those files from an older snapshot or a copy (cairn backup copy)."),
    PACK_MISSING("CAIRN-BACKUP-0050", "A pack named by the index is missing from the store.", "Restore it from a copy of the repository, or run repair and accept the loss (check names the files)."),
    PACK_SIZE("CAIRN-BACKUP-0051", "A pack's size differs from the index (truncated or zero-length).", "As for CAIRN-BACKUP-0050."),
    PACK_HASH("CAIRN-BACKUP-0052", "A pack's content does not match its hash (damaged at rest).", "As for CAIRN-BACKUP-0050; the blobs that still authenticate remain usable."),
    BLOB_DAMAGED("CAIRN-BACKUP-0053", "A blob does not authenticate or does not hash to its id: the files using it are listed.", "As for CAIRN-BACKUP-0050."),
    BLOB_UNINDEXED("CAIRN-BACKUP-0054", "A snapshot uses a blob that no index names.", "Run cairn backup repair; if the blob is in no pack, those files are lost in that snapshot."),
    PRUNE_SNAPSHOT_UNREADABLE("CAIRN-BACKUP-0060", "Prune refused: a snapshot cannot be read, so what it uses is unknown and nothing is deleted.",
            "Fix or forget the damaged snapshot (cairn backup check names it), then prune."),
    PRUNE_INDEX_DAMAGED("CAIRN-BACKUP-0061", "Prune refused: an index file is damaged.", "Run cairn backup repair, then prune."),
    COPY_SOURCE_DAMAGED("CAIRN-BACKUP-0070", "An object is damaged in the source repository of a copy: not copied.", "cairn backup check --read-data on the source."),
    COPY_MISMATCH("CAIRN-BACKUP-0071", "A copied object does not read back identically from the destination.", "Check the destination store (disk, network, S3 endpoint); copy again."),
    SOURCE_KIND("CAIRN-BACKUP-0100", "A job's source sets no kind or more than one.", "Set exactly one source kind (directory, ...)."),
    NO_JOB("CAIRN-BACKUP-0101", "No job of that name in backup.jobs.", "cairn backup list shows the jobs; check the spelling."),
    NO_SECTION("CAIRN-BACKUP-0102", "The config file has no backup: section.", "Give the config with -c FILE, or add a backup: section."),
    KEY_CONFIG("CAIRN-BACKUP-0103", "A repository sets neither or both of key_file and passphrase_file.", "Set exactly one."),
    STORE_CONFIG("CAIRN-BACKUP-0104", "A repository sets no store or more than one of path, s3 and backup_server.", "Set exactly one."),
    SERVER_KEY("CAIRN-BACKUP-0110", "The backup server's TLS key is not PKCS#8 PEM (or not RSA, EC or Ed25519).", "Convert it: openssl pkcs8 -topk8 -nocrypt -in KEY -out KEY.pk8"),
    SERVER_TOKEN("CAIRN-BACKUP-0111", "A request to the backup server had no or a wrong bearer token: refused.", "Give the client the server's token_file."),
    SERVER_HASH("CAIRN-BACKUP-0112", "An upload to the backup server does not hash to its name (damaged in transit): not stored.", "Nothing: the client retries; repeated, check the network path."),
    SERVER_APPEND_ONLY("CAIRN-BACKUP-0113", "The backup server is append-only: clients may not delete (forget, prune).", "Run forget and prune on the server node itself, against the repository directory."),
    SERVER_CA("CAIRN-BACKUP-0114", "The CA file for the backup server cannot be read as PEM certificates.", "Point ca_file at the server's certificate or its CA, in PEM."),
    SERVER_PLAIN_HTTP("CAIRN-BACKUP-0115", "The backup server would listen without TLS on a non-loopback address.", "Set tls_cert_file and tls_key_file, or listen on 127.0.0.1.");

    private final String id;
    private final String meaning;
    private final String action;

    BackupErrors(String id, String meaning, String action) {
        this.id = id;
        this.meaning = meaning;
        this.action = action;
    }

    @Override public String id() { return id; }
    @Override public String meaning() { return meaning; }
    @Override public String action() { return action; }
}
