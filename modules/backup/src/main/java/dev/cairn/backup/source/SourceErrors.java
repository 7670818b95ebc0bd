package dev.cairn.backup.source;

import dev.cairn.backup.BackupErrors;

/**
 * The ids the backup sources and the backup SLA report (CAIRN-BACKUP-03xx sources, 04xx SLA), as
 * the plain strings a {@link SourceException} carries. Each one is a constant of the module's one
 * registry, {@link BackupErrors}, where its meaning and what to do are written (docs/errors.md).
 */
public final class SourceErrors {

    public static final String DUMP_FAILED = BackupErrors.DUMP_FAILED.id();
    public static final String ACCESS_DENIED = BackupErrors.ACCESS_DENIED.id();
    public static final String PASSWORD_EXPIRED = BackupErrors.PASSWORD_EXPIRED.id();
    public static final String DDL_DURING_DUMP = BackupErrors.DDL_DURING_DUMP.id();
    public static final String CANNOT_CONNECT = BackupErrors.CANNOT_CONNECT.id();
    public static final String NO_REPLICA = BackupErrors.NO_REPLICA.id();
    public static final String TIMED_OUT = BackupErrors.TIMED_OUT.id();
    public static final String INCOMPLETE_DUMP = BackupErrors.INCOMPLETE_DUMP.id();
    public static final String COMMAND_FAILED = BackupErrors.COMMAND_FAILED.id();
    public static final String RESTORE_FAILED = BackupErrors.RESTORE_FAILED.id();
    public static final String PROMETHEUS_ADMIN_API_OFF = BackupErrors.PROMETHEUS_ADMIN_API_OFF.id();
    public static final String PROMETHEUS_FAILED = BackupErrors.PROMETHEUS_FAILED.id();
    public static final String GRAFANA_FAILED = BackupErrors.GRAFANA_FAILED.id();
    public static final String SECRET_UNREADABLE = BackupErrors.SECRET_UNREADABLE.id();
    public static final String READ_LOCK_TIMEOUT = BackupErrors.READ_LOCK_TIMEOUT.id();
    public static final String DUMP_SNAPSHOT_NOT_STARTED = BackupErrors.DUMP_SNAPSHOT_NOT_STARTED.id();
    public static final String READ_LOCK_UNAVAILABLE = BackupErrors.READ_LOCK_UNAVAILABLE.id();
    public static final String SLA_IMPOSSIBLE = BackupErrors.SLA_IMPOSSIBLE.id();
    public static final String RESTORE_TEST_MISMATCH = BackupErrors.RESTORE_TEST_MISMATCH.id();
    public static final String RESTORE_SLOWER_THAN_RTO = BackupErrors.RESTORE_SLOWER_THAN_RTO.id();
    public static final String RPO_MISSED = BackupErrors.RPO_MISSED.id();
    public static final String VERIFY_FAILED = BackupErrors.VERIFY_FAILED.id();
    public static final String VERSIONS_SHORT = BackupErrors.VERSIONS_SHORT.id();
    public static final String COPY_LAGGING = BackupErrors.COPY_LAGGING.id();

    private SourceErrors() {
    }
}
