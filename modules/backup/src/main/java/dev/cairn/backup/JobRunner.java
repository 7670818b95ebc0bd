package dev.cairn.backup;

import dev.cairn.backup.BackupConfig.JobConfig;
import dev.cairn.backup.repo.BackupRun;
import dev.cairn.backup.repo.Backups;
import dev.cairn.backup.repo.Maintenance;
import dev.cairn.backup.repo.Repository;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Runs jobs (from the scheduler, {@code cairn backup run} or the admin action): one backup at a
 * time per job, then the job's retention. Records each outcome for metrics and status.
 * Thread-safe.
 *
 * <p>A reload hands the runner the new config ({@link #config(BackupConfig)}) and keeps it, with
 * every job's state and its run lock: a run reads the job's config once it holds the job's lock,
 * so a backup in progress finishes under the config it started with, and a run waiting for it
 * (the job's next run) takes the new one. Never two runs of one job at once.
 */
public final class JobRunner {

    /** The last outcome of one job. */
    public record JobState(Instant lastAttempt, Instant lastSuccess, String lastSnapshot, String lastError,
                           Duration lastDuration, long lastAdded, long files, long bytes, int snapshots, boolean partial) {
        static final JobState NEVER = new JobState(null, null, null, null, Duration.ZERO, 0, 0, 0, 0, false);
    }

    /** What one run did, for the CLI and the action. */
    public record Outcome(BackupRun.Result result, List<String> forgotten) {
    }

    private volatile BackupConfig config;
    private final Path configDir;
    private final BackupMetrics metrics;
    private final Map<String, JobState> states = new ConcurrentHashMap<>();
    private final Map<String, Object> jobLocks = new ConcurrentHashMap<>();
    private final dev.cairn.spi.catalog.Catalog catalog;
    private final dev.cairn.backup.sla.SlaBoard sla;

    JobRunner(BackupConfig config, Path configDir, BackupMetrics metrics) {
        this(config, configDir, metrics, null, null);
    }

    /**
     * @param catalog the daemon's catalog, for sources that pick a server from it (null offline)
     * @param sla verifies each new snapshot and keeps the SLA state (null: none)
     */
    JobRunner(BackupConfig config, Path configDir, BackupMetrics metrics, dev.cairn.spi.catalog.Catalog catalog,
              dev.cairn.backup.sla.SlaBoard sla) {
        this.config = config;
        this.configDir = configDir;
        this.metrics = metrics;
        this.catalog = catalog;
        this.sla = sla;
    }

    /** The config the next run of each job reads (a reload); runs in progress keep theirs. */
    void config(BackupConfig next) {
        this.config = next;
    }

    /**
     * A job removed by a reload: its state and metric series go (a run of it still in progress
     * finishes, and records nothing once the job is gone).
     */
    void forget(String name) {
        states.remove(name);
        if (metrics == null) return;
        synchronized (metrics) {
            for (var g : new io.prometheus.metrics.core.metrics.Gauge[] {metrics.lastAttempt, metrics.lastDuration, metrics.lastSuccess,
                metrics.lastAdded, metrics.stored, metrics.snapshots, metrics.files}) {
                g.remove(name);
            }
            metrics.failures.remove(name);
        }
    }

    public JobState state(String job) {
        return states.getOrDefault(job, JobState.NEVER);
    }

    public Map<String, JobState> states() {
        return Map.copyOf(states);
    }

    public Outcome run(String name, List<String> extraTags, BackupRun.Progress progress) throws IOException, InterruptedException {
        return run(name, extraTags, progress, false);
    }

    /**
     * @param seedFirst seed the job's state (and SLA) from the repository first, as {@link #seed(String)} does, in the
     *                  same opening of the repository as the run ({@code cairn backup run}: one read of the index and
     *                  the snapshot list, not two)
     */
    public Outcome run(String name, List<String> extraTags, BackupRun.Progress progress, boolean seedFirst)
            throws IOException, InterruptedException {
        if (!config.jobs().containsKey(name)) throw new IllegalArgumentException(BackupErrors.NO_JOB.id() + " no job '" + name + "'");
        synchronized (jobLocks.computeIfAbsent(name, k -> new Object())) {
            // Read under the job's lock: a run that waited for the one before takes the config of now.
            BackupConfig config = this.config;
            JobConfig job = config.jobs().get(name);
            if (job == null) throw new IllegalArgumentException(BackupErrors.NO_JOB.id() + " no job '" + name + "' (removed by a reload)");
            long t0 = System.nanoTime();
            JobState old = state(name);
            try (Repository repo = Repositories.open(config.repositories().get(job.repository()), configDir)) {
                if (seedFirst) {
                    seed(name, job, repo, false);
                    old = state(name);
                }
                List<String> tags = new ArrayList<>(job.tags());
                tags.addAll(extraTags);
                dev.cairn.backup.source.Source source = Sources.create(job, configDir, catalog);
                // backup.workers: the threads that seal chunks, and those that walk a directory source
                if (source instanceof dev.cairn.backup.source.DirectorySource d) d.parallelism(config.workerThreads());
                BackupRun.Result r = Backups.backup(repo, name, source, tags, job.compression(), config.workerThreads(), progress);
                List<String> forgotten = new ArrayList<>();
                if (job.keep() != null && !job.keep().policy().empty()) {
                    for (Maintenance.ForgetDecision d : Maintenance.forget(repo, name, job.keep().policy(), ZoneId.of(job.timezone()), false)) {
                        if (!d.keep()) forgotten.add(d.snapshot().id());
                    }
                }
                int count = 0;
                for (Repository.SnapshotRef s : repo.snapshots(null)) if (s.header().job().equals(name)) count++;
                Instant now = Instant.now();
                JobState st = new JobState(now, now, r.snapshotId(), null, Duration.ofNanos(System.nanoTime() - t0),
                        r.header().addedBytes(), r.header().files(), r.header().bytes(), count, r.header().partial());
                record(name, st, true);
                if (sla != null) sla.succeeded(name, job, repo, r.snapshotId());
                return new Outcome(r, forgotten);
            } catch (IOException | RuntimeException e) {
                Instant now = Instant.now();
                JobState st = new JobState(now, old.lastSuccess(), old.lastSnapshot(), String.valueOf(e.getMessage()),
                        Duration.ofNanos(System.nanoTime() - t0), 0, old.files(), old.bytes(), old.snapshots(), old.partial());
                record(name, st, false);
                if (metrics != null && e instanceof IOException && this.config.repositories().containsKey(job.repository())) {
                    metrics.storeErrors.labelValues(job.repository()).inc();
                }
                throw e;
            }
        }
    }

    /** Seeds a job's state from its newest snapshot (at start), so metrics survive restarts. */
    void seed(String name) {
        seed(name, false);
    }

    /**
     * Reads a job's state from its repository; {@code replace}: also over a state already known
     * (a job another cluster node runs: its state comes from the shared repository).
     */
    void seed(String name, boolean replace) {
        BackupConfig config = this.config;
        JobConfig job = config.jobs().get(name);
        if (job == null) return;
        try (Repository repo = Repositories.open(config.repositories().get(job.repository()), configDir)) {
            seed(name, job, repo, replace);
        } catch (IOException | RuntimeException e) {
            // the first run reports it
        }
    }

    private void seed(String name, JobConfig job, Repository repo, boolean replace) {
        try {
            Repository.SnapshotRef last = Backups.latest(repo, name);
            if (last == null) return;
            int count = 0;
            for (Repository.SnapshotRef s : repo.snapshots(null)) if (s.header().job().equals(name)) count++;
            Instant t = last.header().time();
            JobState st = new JobState(t, t, last.id(), null, Duration.ZERO, last.header().addedBytes(), last.header().files(),
                    last.header().bytes(), count, last.header().partial());
            if (!replace && states.containsKey(name)) {
                // known already (a run finished first): the newer state stays
            } else {
                record(name, st, true);
            }
            if (sla != null) sla.seed(name, repo);
        } catch (IOException | RuntimeException e) {
            // the first run reports it
        }
    }

    /** Stores the job's state and sets its metrics, unless a reload removed the job meanwhile. */
    private void record(String name, JobState st, boolean success) {
        if (metrics == null) {
            if (config.jobs().containsKey(name)) states.put(name, st);
            return;
        }
        synchronized (metrics) {
            if (!config.jobs().containsKey(name)) return;
            states.put(name, st);
            setMetrics(name, st, success);
        }
    }

    private void setMetrics(String name, JobState st, boolean success) {
        metrics.lastAttempt.labelValues(name).set(st.lastAttempt().toEpochMilli() / 1000.0);
        metrics.lastDuration.labelValues(name).set(st.lastDuration().toNanos() / 1e9);
        if (success) {
            metrics.lastSuccess.labelValues(name).set(st.lastSuccess().toEpochMilli() / 1000.0);
            metrics.lastAdded.labelValues(name).set(st.lastAdded());
            metrics.stored.labelValues(name).set(st.bytes());
            metrics.snapshots.labelValues(name).set(st.snapshots());
            metrics.files.labelValues(name).set(st.files());
        } else {
            metrics.failures.labelValues(name).inc();
        }
    }
}
