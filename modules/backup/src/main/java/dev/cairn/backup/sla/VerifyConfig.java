package dev.cairn.backup.sla;

import dev.cairn.spi.config.Doc;
import dev.cairn.spi.config.HostPort;
import dev.cairn.spi.config.Range;
import dev.cairn.spi.config.Scalar;
import java.nio.file.Path;

/**
 * {@code backup.jobs.<name>.sla.verify}: how a job's snapshots are proven usable after each
 * backup. {@code structure}: every blob the snapshot references is indexed and its pack exists.
 * {@code read-data}: also decrypts and hashes a rotating {@code share} of the packs, so all are
 * read every {@code 100/share} runs. {@code restore-test}: every {@code every}-th snapshot is
 * restored into scratch space and compared with what was backed up, timed against the RTO.
 */
public record VerifyConfig(
        @Scalar
        @Doc(value = "`structure`, `read-data` or `restore-test`", dflt = "structure")
        Mode mode,
        @Doc(value = "read-data: percent of the packs read per verification, rotating", dflt = "10")
        @Range(min = 1, max = 100)
        int share,
        @Doc(value = "restore-test: test every N-th snapshot (the others get `structure`)", dflt = "1")
        @Range(min = 1, max = 1000)
        int every,
        @Doc("restore-test of a mysql source: a throwaway MariaDB/MySQL server (`HOST:PORT`) the dump is loaded into under `cairn_restore_test_*` names")
        HostPort scratch,
        @Doc("restore-test of a mysql source: the account on the scratch server (default: the source's `user`)")
        String scratchUser,
        @Doc("restore-test of a mysql source: its password file (default: the source's `password_file`)")
        Path scratchPasswordFile) {

    /** How a snapshot is verified. */
    public enum Mode {
        STRUCTURE,
        READ_DATA,
        RESTORE_TEST
    }
}
