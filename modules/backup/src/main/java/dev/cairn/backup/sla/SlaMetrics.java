package dev.cairn.backup.sla;

import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The backup SLA's metric families, computed from the jobs' {@link SlaTracker}s at each scrape
 * (so an RPO miss shows up without a backup run). Registered once per module start,
 * unregistered on close.
 *
 * <p>Families (label {@code job}; {@code store} for the lag, {@code reason} for sla_met from
 * {@link SlaTracker.Reason}): {@code cairn_backup_rpo_seconds}, {@code cairn_backup_rto_seconds},
 * {@code cairn_backup_last_verified_timestamp_seconds}, {@code cairn_backup_verify_success},
 * {@code cairn_backup_restore_test_duration_seconds}, {@code cairn_backup_sla_met},
 * {@code cairn_backup_versions_verified}, {@code cairn_backup_dump_lock_seconds},
 * {@code cairn_backup_store_lag_seconds}.
 */
public final class SlaMetrics implements AutoCloseable {

    private final PrometheusRegistry registry;
    private final Map<String, SlaTracker> jobs = new ConcurrentHashMap<>();
    private final GaugeWithCallback[] families;

    public SlaMetrics(PrometheusRegistry registry) {
        this.registry = registry;
        families = new GaugeWithCallback[] {
            GaugeWithCallback.builder().name("cairn_backup_rpo_seconds")
                    .help("The job's recovery point objective (sla.rpo)").labelNames("backup_job")
                    .callback(cb -> jobs.values().forEach(t -> {
                        if (t.sla().rpo() != null) cb.call(seconds(t.sla().rpo()), t.job());
                    })).build(),
            GaugeWithCallback.builder().name("cairn_backup_rto_seconds")
                    .help("The job's recovery time objective (sla.rto)").labelNames("backup_job")
                    .callback(cb -> jobs.values().forEach(t -> {
                        if (t.sla().rto() != null) cb.call(seconds(t.sla().rto()), t.job());
                    })).build(),
            GaugeWithCallback.builder().name("cairn_backup_last_verified_timestamp_seconds")
                    .help("When a snapshot of the job was last verified (structure, read-data or restore test)").labelNames("backup_job")
                    .callback(cb -> jobs.values().forEach(t -> {
                        Instant v = t.lastVerified();
                        if (v != null) cb.call(v.toEpochMilli() / 1000.0, t.job());
                    })).build(),
            GaugeWithCallback.builder().name("cairn_backup_verify_success")
                    .help("1 when the job's last verification passed, 0 when it failed").labelNames("backup_job")
                    .callback(cb -> jobs.values().forEach(t -> {
                        Boolean ok = t.lastVerifyOk();
                        if (ok != null) cb.call(ok ? 1 : 0, t.job());
                    })).build(),
            GaugeWithCallback.builder().name("cairn_backup_restore_test_duration_seconds")
                    .help("How long the job's last restore test took to restore (compare with cairn_backup_rto_seconds)").labelNames("backup_job")
                    .callback(cb -> jobs.values().forEach(t -> {
                        Duration d = t.lastRestoreTest();
                        if (d != null) cb.call(seconds(d), t.job());
                    })).build(),
            GaugeWithCallback.builder().name("cairn_backup_sla_met")
                    .help("1 when the job keeps the SLA promise named by reason (rpo, versions, verify, rto, copy), else 0")
                    .labelNames("backup_job", "reason")
                    .callback(cb -> jobs.values().forEach(t -> {
                        var broken = t.breaches().stream().map(SlaTracker.Breach::reason).toList();
                        for (SlaTracker.Reason r : SlaTracker.Reason.values()) cb.call(broken.contains(r) ? 0 : 1, t.job(), r.label());
                    })).build(),
            GaugeWithCallback.builder().name("cairn_backup_versions_verified")
                    .help("Verified snapshots of the job that still exist (what counts towards sla.versions)").labelNames("backup_job")
                    .callback(cb -> jobs.values().forEach(t -> cb.call(t.verifiedVersions(), t.job()))).build(),
            GaugeWithCallback.builder().name("cairn_backup_dump_lock_seconds")
                    .help("Seconds the job's last database dump held a global read lock (MySQL: Cairn's own, timed; 0 on MariaDB's consistent snapshot; absent when untimed or not a dump)").labelNames("backup_job")
                    .callback(cb -> jobs.values().forEach(t -> {
                        if (!Double.isNaN(t.dumpLockSeconds())) cb.call(t.dumpLockSeconds(), t.job());
                    })).build(),
            GaugeWithCallback.builder().name("cairn_backup_store_lag_seconds")
                    .help("How far the copy of the job's snapshots in a second store is behind the newest snapshot")
                    .labelNames("backup_job", "store")
                    .callback(cb -> jobs.values().forEach(t -> t.storeLag().forEach((store, lag) -> cb.call(seconds(lag), t.job(), store))))
                    .build(),
        };
        for (GaugeWithCallback g : families) registry.register(g);
    }

    private static double seconds(Duration d) {
        return d.toMillis() / 1000.0;
    }

    public void add(SlaTracker tracker) {
        jobs.put(tracker.job(), tracker);
    }

    public void remove(String job) {
        jobs.remove(job);
    }

    @Override
    public void close() {
        for (GaugeWithCallback g : families) registry.unregister(g);
    }
}
