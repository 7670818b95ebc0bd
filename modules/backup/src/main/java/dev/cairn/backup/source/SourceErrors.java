package dev.cairn.backup.source;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The stable ids of what a backup source or the backup SLA reports (CAIRN-BACKUP-03xx sources,
 * 04xx SLA), one place, tested unique. The engine (part 1) numbers below 0200.
 */
public final class SourceErrors {

    public static final String DUMP_FAILED = "CAIRN-BACKUP-0301";
    public static final String ACCESS_DENIED = "CAIRN-BACKUP-0302";
    public static final String PASSWORD_EXPIRED = "CAIRN-BACKUP-0303";
    public static final String DDL_DURING_DUMP = "CAIRN-BACKUP-0304";
    public static final String CANNOT_CONNECT = "CAIRN-BACKUP-0305";
    public static final String NO_REPLICA = "CAIRN-BACKUP-0306";
    public static final String TIMED_OUT = "CAIRN-BACKUP-0307";
    public static final String INCOMPLETE_DUMP = "CAIRN-BACKUP-0308";
    public static final String COMMAND_FAILED = "CAIRN-BACKUP-0309";
    public static final String RESTORE_FAILED = "CAIRN-BACKUP-0310";
    public static final String PROMETHEUS_ADMIN_API_OFF = "CAIRN-BACKUP-0311";
    public static final String PROMETHEUS_FAILED = "CAIRN-BACKUP-0312";
    public static final String GRAFANA_FAILED = "CAIRN-BACKUP-0313";
    public static final String SECRET_UNREADABLE = "CAIRN-BACKUP-0314";

    public static final String SLA_IMPOSSIBLE = "CAIRN-BACKUP-0401";
    public static final String RESTORE_TEST_MISMATCH = "CAIRN-BACKUP-0402";
    public static final String RESTORE_SLOWER_THAN_RTO = "CAIRN-BACKUP-0403";
    public static final String RPO_MISSED = "CAIRN-BACKUP-0404";
    public static final String VERIFY_FAILED = "CAIRN-BACKUP-0405";
    public static final String VERSIONS_SHORT = "CAIRN-BACKUP-0406";
    public static final String COPY_LAGGING = "CAIRN-BACKUP-0407";

    /** Every id with one line for docs/errors: what it means and what to do. */
    public static final Map<String, String> ALL;

    static {
        Map<String, String> m = new LinkedHashMap<>();
        m.put(DUMP_FAILED, "the database dump program exited non-zero; its standard error is quoted");
        m.put(ACCESS_DENIED, "the server refused the backup account (user, password_file, or host grants)");
        m.put(PASSWORD_EXPIRED, "the backup account's password has expired: SET PASSWORD / ALTER USER on the server");
        m.put(DDL_DURING_DUMP, "a table was altered (DDL) by another session during the dump; the dump is discarded and the next run retries");
        m.put(CANNOT_CONNECT, "the database server cannot be reached");
        m.put(NO_REPLICA, "no healthy replica under max_lag; set fallback_to_primary: true to dump the primary instead");
        m.put(TIMED_OUT, "the source ran longer than its timeout and was killed");
        m.put(INCOMPLETE_DUMP, "the dump ended without its '-- Dump completed' trailer (killed or truncated)");
        m.put(COMMAND_FAILED, "a command source exited non-zero; its standard error is quoted");
        m.put(RESTORE_FAILED, "loading a dump back into a database failed");
        m.put(PROMETHEUS_ADMIN_API_OFF, "Prometheus answered that its admin API is disabled: start it with --web.enable-admin-api");
        m.put(PROMETHEUS_FAILED, "the Prometheus snapshot could not be taken, read or deleted");
        m.put(GRAFANA_FAILED, "the Grafana HTTP API refused or failed a request");
        m.put(SECRET_UNREADABLE, "a password_file / token_file cannot be read");
        m.put(SLA_IMPOSSIBLE, "cairn check: the job's SLA cannot be met by its schedule, retention or source");
        m.put(RESTORE_TEST_MISMATCH, "a restore test restored data that differs from the snapshot (hashes, row counts or checksums)");
        m.put(RESTORE_SLOWER_THAN_RTO, "a restore test took longer than the job's rto");
        m.put(RPO_MISSED, "the last successful backup is older than the job's rpo");
        m.put(VERIFY_FAILED, "the last verification of the job's snapshots failed");
        m.put(VERSIONS_SHORT, "fewer verified snapshots of the job exist than its sla.versions promises");
        m.put(COPY_LAGGING, "the copy of the job's snapshots in another repository is older than one rpo");
        ALL = java.util.Collections.unmodifiableMap(m);
    }

    private SourceErrors() {
    }
}
