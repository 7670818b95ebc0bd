package dev.cairn.backup;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/** The module's metrics (README, "Metrics"); labels are job and repository names from the config. */
final class BackupMetrics {

    final Gauge lastSuccess;
    final Gauge lastAttempt;
    final Gauge lastDuration;
    final Gauge lastAdded;
    final Gauge stored;
    final Gauge snapshots;
    final Gauge files;
    final Counter failures;
    final Counter storeErrors;

    BackupMetrics(PrometheusRegistry r) {
        lastSuccess = Gauge.builder().name("cairn_backup_last_success_timestamp_seconds")
                .help("When the job's last successful backup finished (Unix time).").labelNames("backup_job").register(r);
        lastAttempt = Gauge.builder().name("cairn_backup_last_attempt_timestamp_seconds")
                .help("When the job's last backup attempt finished, successful or not (Unix time).").labelNames("backup_job").register(r);
        lastDuration = Gauge.builder().name("cairn_backup_last_duration_seconds")
                .help("How long the job's last backup attempt took.").labelNames("backup_job").register(r);
        lastAdded = Gauge.builder().name("cairn_backup_last_added_bytes")
                .help("Bytes the job's last backup added to the repository (new packs and the manifest).").labelNames("backup_job").register(r);
        stored = Gauge.builder().name("cairn_backup_stored_bytes")
                .help("Bytes of the source in the job's last snapshot (before deduplication and compression).").labelNames("backup_job").register(r);
        snapshots = Gauge.builder().name("cairn_backup_snapshots")
                .help("Snapshots of the job in its repository after its last run (and retention).").labelNames("backup_job").register(r);
        files = Gauge.builder().name("cairn_backup_files")
                .help("Files in the job's last snapshot.").labelNames("backup_job").register(r);
        failures = Counter.builder().name("cairn_backup_failures_total")
                .help("Backups of the job that failed (no snapshot written).").labelNames("backup_job").register(r);
        storeErrors = Counter.builder().name("cairn_backup_store_errors_total")
                .help("Failed reads or writes of a repository's store.").labelNames("repository").register(r);
    }

    void unregister(PrometheusRegistry r) {
        for (var m : new io.prometheus.metrics.model.registry.Collector[] {lastSuccess, lastAttempt, lastDuration, lastAdded, stored, snapshots, files, failures, storeErrors}) {
            r.unregister(m);
        }
    }
}
