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

    /** What an id means and what to do about it (docs/errors.md once the module's registry lists these). */
    public record Entry(String meaning, String action) {
    }

    /** Every id with its meaning and what to do, in id order. */
    public static final Map<String, Entry> ALL;

    static {
        Map<String, Entry> m = new LinkedHashMap<>();
        m.put(DUMP_FAILED, new Entry("The database dump program exited non-zero.",
                "Read the quoted standard error; run the same mariadb-dump by hand with the job's account."));
        m.put(ACCESS_DENIED, new Entry("The database server refused the backup account.",
                "Check user, password_file and the account's host grants (CREATE USER backup@'cairn-host')."));
        m.put(PASSWORD_EXPIRED, new Entry("The backup account's password has expired.",
                "ALTER USER backup@'host' IDENTIFIED BY '...' on the server, write it to password_file."));
        m.put(DDL_DURING_DUMP, new Entry("A table was altered (DDL) by another session during the dump; the dump was discarded.",
                "Nothing is lost (the previous snapshot stays); run the job again, or schedule it away from migrations."));
        m.put(CANNOT_CONNECT, new Entry("The database server cannot be reached.",
                "Check the address, that the server runs, and the firewall between Cairn and it."));
        m.put(NO_REPLICA, new Entry("No healthy replica under max_lag, and fallback_to_primary is off.",
                "See each replica's reason in the message; fix replication, raise max_lag, or set fallback_to_primary: true."));
        m.put(TIMED_OUT, new Entry("The source ran longer than its timeout and was killed.",
                "Raise the source's timeout, or find why the dump or command is slow."));
        m.put(INCOMPLETE_DUMP, new Entry("The dump ended without its '-- Dump completed' trailer (killed or truncated).",
                "Check the dump program's log and the server's; the run is discarded and the next one retries."));
        m.put(COMMAND_FAILED, new Entry("A command source exited non-zero or did not produce its directory.",
                "Read the quoted standard error; run the command by hand with the same environment."));
        m.put(RESTORE_FAILED, new Entry("Loading a dump back into a database failed.",
                "Read the client's message; check the target account's privileges on the target schema."));
        m.put(PROMETHEUS_ADMIN_API_OFF, new Entry("Prometheus answered that its admin API is disabled.",
                "Start Prometheus with --web.enable-admin-api (keep its port on loopback or behind auth)."));
        m.put(PROMETHEUS_FAILED, new Entry("The Prometheus snapshot could not be taken, read or deleted.",
                "Check url and data_dir (Prometheus' --storage.tsdb.path) and Cairn's access to its snapshots/ directory."));
        m.put(GRAFANA_FAILED, new Entry("The Grafana HTTP API refused or failed a request.",
                "Check url and the service account token (Viewer to back up, Admin to restore)."));
        m.put(SECRET_UNREADABLE, new Entry("A password_file, token_file or env_files entry cannot be read.",
                "Check the path (relative to the config file) and that Cairn's user may read it."));
        m.put(SLA_IMPOSSIBLE, new Entry("cairn check: the job's SLA cannot be met by its schedule, retention or source.",
                "Change the schedule, keep rules or verify settings, or promise less, as the message says."));
        m.put(RESTORE_TEST_MISMATCH, new Entry("A restore test restored data that differs from the snapshot.",
                "Restore by hand (docs/runbooks/restore-database.md) and compare; check the repository with --read-data."));
        m.put(RESTORE_SLOWER_THAN_RTO, new Entry("A restore test took longer than the job's rto.",
                "See docs/runbooks/restore-database.md#cairnbackupslarestoreslowerthanrto."));
        m.put(RPO_MISSED, new Entry("The last successful backup is older than the job's rpo.",
                "See the job's last_error in cairn status; fix it and run cairn backup run JOB --daemon."));
        m.put(VERIFY_FAILED, new Entry("The last verification of the job's snapshots failed.",
                "cairn backup check --read-data names the damage; see docs/runbooks/restore-files.md#cairnbackupslaverifyfailed."));
        m.put(VERSIONS_SHORT, new Entry("Fewer verified snapshots of the job exist than its sla.versions promises.",
                "Let verifications pass (see VERIFY_FAILED) or keep more snapshots (keep rules)."));
        m.put(COPY_LAGGING, new Entry("The copy of the job's snapshots in another repository is older than one rpo.",
                "Run cairn backup copy FROM TO; check the second store (docs/runbooks/restore-files.md#cairnbackupslacopylagging)."));
        ALL = java.util.Collections.unmodifiableMap(m);
    }

    private SourceErrors() {
    }
}
