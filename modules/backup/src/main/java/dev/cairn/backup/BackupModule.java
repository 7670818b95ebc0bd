package dev.cairn.backup;

import dev.cairn.backup.BackupConfig.JobConfig;
import dev.cairn.backup.BackupConfig.RepositoryConfig;
import dev.cairn.backup.schedule.Schedule;
import dev.cairn.spi.Module;
import dev.cairn.spi.ModuleContext;
import dev.cairn.spi.ModuleStatus;
import dev.cairn.spi.ValidationContext;
import dev.cairn.spi.command.ModuleCommand;
import dev.cairn.spi.config.ConfigProblems;
import dev.cairn.spi.config.Suggestions;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code backup:} section: scheduled backup jobs into deduplicating, encrypted repositories
 * (docs/backup-format.md), their metrics and status, the {@code cairn backup} and
 * {@code cairn restore} verbs, and the admin action {@code run}.
 *
 * <p>Threads: one scheduler thread runs jobs one after another (a backup already uses every
 * core); admin-triggered runs use the caller's thread. Lifecycle calls come from the host.
 */
public final class BackupModule implements Module<BackupConfig> {

    private static final Logger log = LoggerFactory.getLogger(BackupModule.class);
    /** How long stop lets a running backup finish before interrupting it: Cairn stops within 10 s of SIGTERM (a reload never interrupts one). */
    static final java.time.Duration STOP_GRACE = java.time.Duration.ofSeconds(5);
    /**
     * How long after start the jobs read their state from the repositories and catch up: the
     * seeding opens each repository (the JCE providers, key derivation, snapshot headers: ~50 ms
     * CPU) while the other modules are still starting on the same cores; a second later it costs
     * the start-up nothing. A reload's new jobs begin at once.
     */
    static final java.time.Duration START_SEED_DELAY = java.time.Duration.ofSeconds(1);

    private volatile BackupConfig config;
    private volatile JobRunner runner;
    private final ActionRuns runs = new ActionRuns();
    private ModuleContext ctx;
    private BackupMetrics metrics;
    private ScheduledExecutorService scheduler;
    private volatile dev.cairn.backup.sla.SlaBoard sla;
    private dev.cairn.backup.server.BackupServer server;
    /** The scheduled jobs in config order; replaced whole by a reload. */
    private volatile Map<String, Job> jobs = Map.of();

    @Override
    public String name() {
        return "backup";
    }

    @Override
    public Class<BackupConfig> configType() {
        return BackupConfig.class;
    }

    @Override
    public void validate(BackupConfig c, ValidationContext vc) {
        ConfigProblems p = vc.problems();
        c.repositories().forEach((name, rc) -> {
            if (!BackupConfig.NAME.matcher(name).matches()) p.error(rc, null, "repository name '" + name + "': use letters, digits, _ . -");
            int stores = (rc.path() != null ? 1 : 0) + (rc.s3() != null ? 1 : 0) + (rc.backupServer() != null ? 1 : 0);
            if (stores != 1) p.error(rc, null, BackupErrors.STORE_CONFIG.id() + " set exactly one of path, s3 and backup_server");
            if (rc.s3() != null && rc.s3().endpoint() != null) {
                try {
                    java.net.URI u = java.net.URI.create(rc.s3().endpoint());
                    if (u.getScheme() == null || u.getHost() == null) throw new IllegalArgumentException("no scheme or host");
                } catch (IllegalArgumentException e) {
                    p.error(rc.s3(), "endpoint", "'" + rc.s3().endpoint() + "' is not a URL (http://host:port)");
                }
            }
            if ((rc.keyFile() == null) == (rc.passphraseFile() == null)) {
                p.error(rc, rc.keyFile() == null ? null : "key_file", BackupErrors.KEY_CONFIG.id() + " set exactly one of key_file and passphrase_file");
            }
            if (rc.passphraseFile() != null && !java.nio.file.Files.isReadable(vc.resolve(rc.passphraseFile()))) {
                p.error(rc, "passphrase_file", "cannot read " + vc.resolve(rc.passphraseFile()));
            }
            if (rc.keyFile() != null && !rc.create() && !java.nio.file.Files.isReadable(vc.resolve(rc.keyFile()))) {
                p.error(rc, "key_file", "cannot read " + vc.resolve(rc.keyFile()) + " (create: true makes one with the repository)");
            }
        });
        if (c.server() != null) {
            BackupConfig.ServerConfig sc = c.server();
            if (!java.nio.file.Files.isReadable(vc.resolve(sc.tokenFile()))) p.error(sc, "token_file", "cannot read " + vc.resolve(sc.tokenFile()));
            if ((sc.tlsCertFile() == null) != (sc.tlsKeyFile() == null)) p.error(sc, "tls_key_file", "set both tls_cert_file and tls_key_file, or neither");
            if (sc.uploadExpiry() != null && sc.uploadExpiry().compareTo(java.time.Duration.ofMinutes(1)) < 0) {
                p.error(sc, "upload_expiry", "must be at least 1m (a client resumes within its retries)");
            }
            if (sc.tlsCertFile() == null && !(sc.listen().host().equals("127.0.0.1") || sc.listen().host().equals("::1") || sc.listen().host().equals("localhost"))) {
                p.error(sc, "listen", BackupErrors.SERVER_PLAIN_HTTP.id() + " plain HTTP only on loopback: set tls_cert_file and tls_key_file to listen on " + sc.listen());
            }
        }
        c.jobs().forEach((name, j) -> {
            if (!BackupConfig.NAME.matcher(name).matches()) p.error(j, null, "job name '" + name + "': use letters, digits, _ . -");
            if (!c.repositories().containsKey(j.repository())) {
                p.error(j, "repository", "unknown repository '" + j.repository() + "'" + Suggestions.didYouMean(j.repository(), c.repositories().keySet()));
            }
            try {
                Schedule.parse(j.schedule());
            } catch (IllegalArgumentException e) {
                p.error(j, "schedule", e.getMessage());
            }
            try {
                ZoneId.of(j.timezone());
            } catch (RuntimeException e) {
                p.error(j, "timezone", "unknown time zone '" + j.timezone() + "' (an IANA name such as Europe/Berlin, or UTC)");
            }
            if (j.keep() != null && j.keep().within().isNegative()) p.error(j.keep(), "within", "must not be negative");
            Sources.validate(j, vc.configDir(), p);
            BackupConfig.SourceConfig src = j.source();
            dev.cairn.backup.source.StreamedSources.validate(src.mysql(), src.command(), src.prometheus(), src.grafana(), vc);
            ZoneId zone;
            try {
                zone = ZoneId.of(j.timezone());
            } catch (RuntimeException e) {
                zone = ZoneId.of("UTC");
            }
            dev.cairn.backup.sla.SlaRules.validate(j.sla(), j.schedule(), zone, j.keep() == null ? null : j.keep().policy(),
                    dev.cairn.backup.sla.SlaBoard.facts(j), p);
            if (j.node() != null && !vc.nodeNames().isEmpty() && !vc.nodeNames().contains(j.node())) {
                p.error(j, "node", "unknown node '" + j.node() + "'" + Suggestions.didYouMean(j.node(), vc.nodeNames()));
            }
            if (j.node() != null && j.on() == dev.cairn.backup.placement.Placement.RunOn.LEADER) {
                p.error(j, "on", "set node or on: leader, not both");
            }
        });
    }

    @Override
    public void start(BackupConfig c, ModuleContext mctx) throws Exception {
        if (c.server() != null) server = openServer(c.server(), mctx.configDir());
        startJobs(c, mctx);
    }

    private static dev.cairn.backup.server.BackupServer openServer(BackupConfig.ServerConfig sc, Path d) throws Exception {
        dev.cairn.backup.server.BackupServer s = new dev.cairn.backup.server.BackupServer(sc.listen().toSocketAddress(),
                d.resolve(sc.root()).normalize(), java.nio.file.Files.readString(d.resolve(sc.tokenFile())).trim(),
                sc.tlsCertFile() == null ? null : d.resolve(sc.tlsCertFile()), sc.tlsKeyFile() == null ? null : d.resolve(sc.tlsKeyFile()),
                sc.appendOnly(), sc.uploadExpiry());
        log.info("backup server listening on {} ({}{})", s.port(), sc.tlsCertFile() == null ? "HTTP" : "HTTPS", sc.appendOnly() ? ", append-only" : "");
        return s;
    }

    /** The jobs' side: runner, SLAs, metrics and the scheduler (everything but the backup server). */
    private void startJobs(BackupConfig c, ModuleContext mctx) {
        this.ctx = mctx;
        this.config = c;
        this.metrics = new BackupMetrics(mctx.metrics());
        // The counters at 0 from the start: rate(), increase() and the alerts see a series before the first failure.
        c.jobs().keySet().forEach(metrics.failures::labelValues);
        c.repositories().keySet().forEach(metrics.storeErrors::labelValues);
        this.sla = new dev.cairn.backup.sla.SlaBoard(c, mctx.configDir(), mctx.metrics(), java.time.Clock.systemUTC());
        this.runner = new JobRunner(c, mctx.configDir(), metrics, mctx.catalog(), sla);
        java.util.concurrent.ScheduledThreadPoolExecutor s = new java.util.concurrent.ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "cairn-backup-scheduler");
            t.setDaemon(true);
            return t;
        });
        // on stop, runs not yet started are dropped; the one running may finish (see stop)
        s.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        s.setRemoveOnCancelPolicy(true);
        this.scheduler = s;
        Map<String, Job> js = new LinkedHashMap<>();
        c.jobs().forEach((name, j) -> js.put(name, new Job(name, j)));
        this.jobs = js;
        js.values().forEach(j -> begin(j, START_SEED_DELAY));
    }

    /**
     * One job as scheduled under one config. A reload keeps the object of a job whose config (the
     * job, its repository) is unchanged, and retires the object of a changed or removed job: it is
     * no longer scheduled, and a backup it is running finishes (never interrupted). The object
     * replacing it runs only once that backup is done ({@link JobRunner} holds one lock per job).
     */
    private static final class Job {
        final String name;
        final JobConfig config;
        final Schedule schedule;
        final ZoneId zone;
        /** Seeded and caught up (the first decisions under this config are done). */
        volatile boolean started;
        volatile Instant next;
        /** Why another node runs it ("" when this one does), as the scheduler last decided. */
        volatile String placement;
        private boolean retired;
        private java.util.concurrent.ScheduledFuture<?> future;

        Job(String name, JobConfig config) {
            this.name = name;
            this.config = config;
            this.schedule = Schedule.parse(config.schedule());
            this.zone = ZoneId.of(config.timezone());
            // What status shows until the scheduler has seeded and planned it (a reload's new job,
            // whose catch-up runs on the scheduler's thread): its next due time, not "none".
            this.next = schedule.manual() ? null : schedule.next(Instant.now(), zone);
        }

        synchronized boolean retired() {
            return retired;
        }

        /** Not scheduled any more; a run of it in progress goes on to its end. */
        synchronized void retire() {
            retired = true;
            if (future != null) future.cancel(false);
            future = null;
            next = null;
        }

        /** Schedules {@code task} unless retired (atomically with {@link #retire}). */
        synchronized void plan(ScheduledExecutorService sch, Runnable task, Instant at) {
            if (retired) return;
            next = at;
            future = sch.schedule(task, Math.max(0, at.toEpochMilli() - System.currentTimeMillis()), TimeUnit.MILLISECONDS);
        }
    }

    /** Queues a job's start on the scheduler: seed its state, catch up a missed run, schedule it. */
    private void begin(Job j) {
        begin(j, java.time.Duration.ZERO);
    }

    private void begin(Job j, java.time.Duration delay) {
        try {
            scheduler.schedule(() -> catchUp(j), delay.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException stopping) {
            // stop() is under way
        }
    }

    private void catchUp(Job j) {
        if (Thread.currentThread().isInterrupted() || j.retired()) return;
        runner.seed(j.name);
        // A job another node runs is caught up there: this one only follows its state.
        if (!j.schedule.manual() && elsewhere(j) == null) {
            Instant prev = j.schedule.previous(Instant.now(), j.zone);
            Instant last = runner.state(j.name).lastSuccess();
            if (j.config.catchUp() && prev != null && (last == null || last.isBefore(prev))) {
                log.info("backup job {}: the run due at {} was missed; running it now", j.name, prev);
                runSafely(j, java.time.Duration.ZERO);
            }
        }
        j.started = true;
        schedule(j);
    }

    private void schedule(Job j) {
        if (j.schedule.manual()) return;
        Instant next = j.schedule.next(Instant.now(), j.zone);
        ScheduledExecutorService sch = scheduler;
        if (next == null || sch == null || sch.isShutdown()) return;
        Instant after = j.schedule.next(next, j.zone);
        java.time.Duration follow = followDelay(after == null ? null : java.time.Duration.between(next, after));
        try {
            j.plan(sch, () -> {
                if (j.retired()) return;
                runSafely(j, follow);
                schedule(j);
            }, next);
        } catch (java.util.concurrent.RejectedExecutionException stopping) {
            // stop() is under way
        }
    }

    /** Null when this node runs the job, else why another node does (cluster placement). */
    private String elsewhere(Job job) {
        JobConfig j = job.config;
        java.util.Optional<ModuleStatus> cluster = j.on() == dev.cairn.backup.placement.Placement.RunOn.LEADER
                ? ctx.moduleStatus("cluster") : java.util.Optional.empty();
        String why = dev.cairn.backup.placement.Placement.whyNotHere(j.node(), j.on(), ctx.nodeName(), cluster);
        job.placement = why == null ? "" : why;
        return why;
    }

    /**
     * How long after a scheduled time a node that does not run the job reads its state from the
     * repository: the node that runs it needs a moment to write its snapshot. Half the interval
     * to the next run, within {@link #FOLLOW_MIN} and {@link #FOLLOW_MAX}.
     */
    static java.time.Duration followDelay(java.time.Duration interval) {
        if (interval == null) return FOLLOW_MIN;
        java.time.Duration half = interval.dividedBy(2);
        return half.compareTo(FOLLOW_MIN) < 0 ? FOLLOW_MIN : half.compareTo(FOLLOW_MAX) > 0 ? FOLLOW_MAX : half;
    }

    static final java.time.Duration FOLLOW_MIN = java.time.Duration.ofSeconds(1);
    static final java.time.Duration FOLLOW_MAX = java.time.Duration.ofMinutes(5);

    /** @param follow when another node runs the job: how long to wait before reading its state */
    private void runSafely(Job j, java.time.Duration follow) {
        String name = j.name;
        String elsewhere = elsewhere(j);
        if (elsewhere != null) {
            // Another node runs it: show its state from the shared repository, once it had time to write it.
            log.debug("backup job {} {}: reading its state from the repository in {}", name, elsewhere, follow);
            ScheduledExecutorService sch = scheduler;
            if (follow.isZero() || sch == null) {
                runner.seed(name, true);
                return;
            }
            try {
                sch.schedule(() -> {
                    if (!j.retired()) runner.seed(name, true);
                }, follow.toMillis(), TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.RejectedExecutionException stopping) {
                // stop() is under way
            }
            return;
        }
        try {
            JobRunner.Outcome o = runner.run(name, List.of(), null);
            log.info("backup job {}: snapshot {} ({} files, added {} bytes{})", name, o.result().snapshotId().substring(0, 8),
                    o.result().header().files(), o.result().header().addedBytes(), o.result().header().partial() ? ", partial" : "");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            log.warn("backup job {} failed: {}", name, e.getMessage());
        }
    }

    /**
     * Applies a changed {@code backup:} section, or refuses it and keeps everything as it ran.
     *
     * <p>Jobs: one whose config (the job, its repository) is unchanged keeps running untouched:
     * its schedule and next run, its state, SLA tracker and metrics. A changed job takes its new
     * config at its next run; a backup of it in progress finishes under the config it started
     * with (a reload never interrupts a backup) and the next run waits for it. A removed job is no
     * longer scheduled once its running backup finishes; a new job starts as at start-up (seeded,
     * a missed run caught up). Everything that can fail is tried first: every new or changed
     * repository is opened with its key, every new or changed job's source is built; a failure
     * refuses the reload with the key and file at fault, and the old jobs keep running.
     *
     * <p>The backup server keeps running, with its connections and resumable uploads, unless a
     * key of {@code backup.server} changed: those are marked restart and re-open it, the new
     * socket bound before the old one closes when the address moves (on the same address the old
     * one goes first, and comes back if the new one cannot open).
     */
    @Override
    public synchronized void reload(BackupConfig c, dev.cairn.spi.config.ConfigChange change, ModuleContext mctx) throws Exception {
        BackupConfig old = config;
        if (old == null || runner == null) {
            // not running (a failed start): start afresh
            stop();
            start(c, mctx);
            return;
        }
        Set<String> fresh = freshJobs(old, c);
        Set<String> repoMoved = new java.util.HashSet<>();
        for (String name : fresh) {
            JobConfig was = old.jobs().get(name);
            if (was != null && !sameRepository(old, was, c, c.jobs().get(name))) repoMoved.add(name);
        }
        prepare(old, c, fresh, mctx);
        reloadServer(c, mctx);
        switchJobs(old, c, fresh, repoMoved, mctx);
    }

    /** The jobs of {@code next} that are new, or whose config or repository's config differs from {@code running}. */
    static Set<String> freshJobs(BackupConfig running, BackupConfig next) {
        Set<String> fresh = new java.util.LinkedHashSet<>();
        next.jobs().forEach((name, j) -> {
            JobConfig was = running.jobs().get(name);
            if (was == null || !was.equals(j) || !sameRepository(running, was, next, j)) fresh.add(name);
        });
        return fresh;
    }

    /** What a reload would do to the jobs, for {@code cairn check --against} (opens nothing). */
    @Override
    public List<String> plan(BackupConfig running, BackupConfig next, dev.cairn.spi.config.ConfigChange change, Path configDir) {
        List<String> out = new ArrayList<>();
        for (String name : freshJobs(running, next)) {
            out.add("job " + name + (running.jobs().containsKey(name) ? ": changed, applies from its next run (a backup in progress finishes under the old config)"
                    : ": new, starts (a missed run caught up)"));
        }
        running.jobs().keySet().stream().filter(n -> !next.jobs().containsKey(n))
                .forEach(n -> out.add("job " + n + ": removed (a backup in progress finishes)"));
        next.repositories().forEach((name, rc) -> {
            if (!rc.equals(running.repositories().get(name))) out.add("repository " + name + ": opened with its key before the reload applies");
        });
        return out;
    }

    private static boolean sameRepository(BackupConfig a, JobConfig ja, BackupConfig b, JobConfig jb) {
        return ja.repository().equals(jb.repository())
                && java.util.Objects.equals(a.repositories().get(ja.repository()), b.repositories().get(jb.repository()));
    }

    /**
     * Opens every new or changed repository that exists with its key (a missing one is accepted, as
     * at start) and builds the source of every new or changed job; throws every failure at once.
     */
    private static void prepare(BackupConfig old, BackupConfig c, Set<String> fresh, ModuleContext mctx) throws ReloadRefused {
        List<String> problems = new ArrayList<>();
        Path d = mctx.configDir();
        c.repositories().forEach((name, rc) -> {
            if (rc.equals(old.repositories().get(name))) return;
            String key = "backup.repositories." + name;
            try {
                dev.cairn.backup.store.Store store = Repositories.store(rc, d);
                try (store) {
                    if (dev.cairn.backup.repo.Repository.exists(store)) {
                        dev.cairn.backup.repo.Repository.open(store, Repositories.key(rc, d, false)).close();
                    } else if (!rc.create()) {
                        // As at start: the jobs' runs fail until cairn backup init creates it; nothing running breaks.
                        log.warn("backup.repositories.{}: {} no repository at {} yet (create it with cairn backup init, or set create: true)",
                                name, BackupErrors.NO_REPOSITORY.id(), store.describe());
                    } else if (rc.keyFile() != null && java.nio.file.Files.exists(d.resolve(rc.keyFile()))) {
                        Repositories.key(rc, d, false);
                    }
                }
            } catch (java.io.IOException | RuntimeException e) {
                String file = rc.keyFile() != null ? " (key_file " + d.resolve(rc.keyFile()).normalize() + ")"
                        : rc.passphraseFile() != null ? " (passphrase_file " + d.resolve(rc.passphraseFile()).normalize() + ")" : "";
                problems.add(key + file + ": " + e.getMessage());
            }
        });
        for (String name : fresh) {
            try {
                Sources.create(c.jobs().get(name), d, mctx.catalog());
            } catch (RuntimeException e) {
                problems.add("backup.jobs." + name + ".source: " + e.getMessage());
            }
        }
        if (!problems.isEmpty()) {
            throw new ReloadRefused(String.join("; ", problems) + " (the running jobs keep their config)");
        }
    }

    /** A reload the module refused before changing anything. */
    static final class ReloadRefused extends Exception {
        ReloadRefused(String message) {
            super(message);
        }
    }

    private void reloadServer(BackupConfig c, ModuleContext mctx) throws Exception {
        BackupConfig.ServerConfig was = config == null ? null : config.server();
        if (java.util.Objects.equals(was, c.server())) return;
        dev.cairn.backup.server.BackupServer old = server;
        dev.cairn.backup.server.BackupServer opened = null;
        if (c.server() != null) {
            if (old != null && was.listen().equals(c.server().listen())) {
                old.close();
                server = null;
                old = null;
                try {
                    opened = openServer(c.server(), mctx.configDir());
                } catch (Exception e) {
                    try {
                        server = openServer(was, mctx.configDir());
                    } catch (Exception again) {
                        e.addSuppressed(again);
                    }
                    throw e;
                }
            } else {
                opened = openServer(c.server(), mctx.configDir()); // fails: the running server stays
            }
        }
        if (old != null) old.close();
        server = opened;
    }

    /** Nothing here can fail: the new config was tried by {@link #prepare}. */
    private void switchJobs(BackupConfig old, BackupConfig c, Set<String> fresh, Set<String> repoMoved, ModuleContext mctx) {
        this.ctx = mctx;
        Map<String, Job> was = jobs;
        Map<String, Job> next = new LinkedHashMap<>();
        List<Job> toBegin = new ArrayList<>();
        List<Job> toSchedule = new ArrayList<>();
        c.jobs().forEach((name, j) -> {
            Job running = was.get(name);
            if (running != null && !fresh.contains(name)) {
                next.put(name, running);
                return;
            }
            Job job = new Job(name, j);
            next.put(name, job);
            if (running == null || !running.started) {
                // One not begun yet (its start-up seeding still queued) gives way to the new one.
                if (running != null) running.retire();
                toBegin.add(job);
            } else {
                // Cairn was not down: nothing was missed, the new config applies from its next run.
                running.retire();
                job.started = true;
                toSchedule.add(job);
            }
        });
        List<String> removed = new ArrayList<>();
        was.forEach((name, job) -> {
            if (!next.containsKey(name)) {
                job.retire();
                removed.add(name);
            }
        });
        was.forEach((name, job) -> {
            if (next.get(name) != job && !job.retired()) job.retire();
        });
        // A job's SLA tracker is kept unless its SLA or repository changed: then it is read again from the repository.
        Set<String> newTracker = new java.util.HashSet<>(repoMoved);
        c.jobs().forEach((name, j) -> {
            JobConfig before = old.jobs().get(name);
            if (before == null || !java.util.Objects.equals(before.sla(), j.sla())) newTracker.add(name);
        });
        sla.reconfigure(c, newTracker);
        runner.config(c);
        this.config = c;
        removed.forEach(runner::forget);
        c.jobs().keySet().forEach(metrics.failures::labelValues);
        c.repositories().keySet().forEach(metrics.storeErrors::labelValues);
        old.repositories().keySet().stream().filter(r -> !c.repositories().containsKey(r)).forEach(metrics.storeErrors::remove);
        this.jobs = next;
        for (Job j : toSchedule) {
            if (newTracker.contains(j.name)) reseed(j, repoMoved.contains(j.name));
            schedule(j);
        }
        toBegin.forEach(this::begin);
        if (!fresh.isEmpty() || !removed.isEmpty()) {
            log.info("backup jobs reloaded: {} changed or new, {} removed, {} unchanged", fresh, removed, c.jobs().size() - fresh.size());
        }
    }

    /** Reads a changed job's state (and SLA proof) from its repository again, on the scheduler. */
    private void reseed(Job j, boolean replace) {
        try {
            scheduler.execute(() -> {
                if (!j.retired()) runner.seed(j.name, replace);
            });
        } catch (java.util.concurrent.RejectedExecutionException stopping) {
            // stop() is under way
        }
    }

    @Override
    public void stop() {
        if (server != null) {
            server.close();
            server = null;
        }
        stopJobs();
    }

    private void stopJobs() {
        jobs.values().forEach(Job::retire);
        if (scheduler != null) {
            // A running backup gets STOP_GRACE to finish; after that it is interrupted and writes no
            // snapshot (the next run reuses what it uploaded).
            scheduler.shutdown();
            try {
                if (!scheduler.awaitTermination(STOP_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
                    scheduler.shutdownNow();
                    scheduler.awaitTermination(30, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                scheduler.shutdownNow();
                Thread.currentThread().interrupt();
            }
            scheduler = null;
        }
        if (metrics != null && ctx != null) metrics.unregister(ctx.metrics());
        metrics = null;
        if (sla != null) sla.close();
        sla = null;
        jobs = Map.of();
    }

    @Override
    public List<BackupErrors> errors() {
        return List.of(BackupErrors.values());
    }

    @Override
    public List<ModuleCommand<BackupConfig>> commands() {
        return BackupCli.commands();
    }

    @Override
    public Object action(String action, Map<String, String> params, boolean post) throws Exception {
        JobRunner r = runner;
        if (r == null) throw new ActionException(503, "backup module is not running");
        switch (action) {
            case "run" -> {
                if (!post) throw new ActionException(405, "run changes state: use POST");
                String job = params.get("job");
                if (job == null || !config.jobs().containsKey(job)) throw new ActionException(404, BackupErrors.NO_JOB.id() + " no job '" + job + "'");
                List<String> tags = params.containsKey("tag") ? List.of(params.get("tag").split(",")) : List.of();
                return runs.start(job, waitSeconds(params.get("wait")), () -> {
                    try {
                        JobRunner.Outcome o = r.run(job, tags, null);
                        Map<String, Object> m = new LinkedHashMap<>();
                        m.put("job", job);
                        m.put("snapshot", o.result().snapshotId());
                        m.put("files", o.result().header().files());
                        m.put("bytes", o.result().header().bytes());
                        m.put("added_bytes", o.result().header().addedBytes());
                        m.put("partial", o.result().header().partial());
                        m.put("problems", o.result().header().problems());
                        m.put("forgotten", o.forgotten().size());
                        return m;
                    } catch (java.io.IOException e) {
                        throw new ActionException(500, "backup of " + job + " failed: " + e.getMessage());
                    } catch (IllegalArgumentException gone) {
                        // removed by a reload while this run waited for the one under way
                        throw new ActionException(404, gone.getMessage());
                    }
                });
            }
            case "runs" -> {
                return runs.get(params.get("id"));
            }
            case "jobs" -> {
                return jobDetails();
            }
            default -> throw new ActionException(404, "module backup has no action '" + action + "' (run, runs, jobs)");
        }
    }

    /** {@code wait=SECONDS} of a run action: how long the answer waits for the run (default 20 s, under the admin API's 30 s). */
    private static long waitSeconds(String wait) throws ActionException {
        if (wait == null || wait.isEmpty()) return 20;
        try {
            long w = Long.parseLong(wait);
            if (w < 0 || w > 25) throw new NumberFormatException();
            return w;
        } catch (NumberFormatException e) {
            throw new ActionException(400, "wait must be whole seconds from 0 to 25, not '" + wait + "'");
        }
    }

    private Map<String, Object> jobDetails() {
        Map<String, Object> jobs = new LinkedHashMap<>();
        BackupConfig c = config;
        JobRunner r = runner;
        if (c == null || r == null) return jobs;
        for (String name : c.jobs().keySet()) {
            JobRunner.JobState s = r.state(name);
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("last_success", s.lastSuccess() == null ? null : s.lastSuccess().toString());
            m.put("last_attempt", s.lastAttempt() == null ? null : s.lastAttempt().toString());
            m.put("last_snapshot", s.lastSnapshot());
            m.put("last_error", s.lastError());
            m.put("snapshots", s.snapshots());
            m.put("partial", s.partial());
            Job job = this.jobs.get(name);
            Instant n = job == null ? null : job.next;
            m.put("next_run", n == null ? null : n.toString());
            dev.cairn.backup.sla.SlaBoard board = sla;
            if (board != null && board.tracker(name) != null) m.put("sla", board.tracker(name).details());
            // From the last scheduler decision: asking the cluster module here would re-enter the host's status.
            String elsewhere = job == null ? null : job.placement;
            if (elsewhere != null && !elsewhere.isEmpty()) m.put("placement", elsewhere);
            jobs.put(name, m);
        }
        return jobs;
    }

    @Override
    public ModuleStatus status() {
        BackupConfig c = config;
        JobRunner r = runner;
        if (c == null || r == null) return ModuleStatus.down("not running");
        List<String> failing = new ArrayList<>();
        for (String name : c.jobs().keySet()) {
            JobRunner.JobState s = r.state(name);
            if (s.lastError() != null) failing.add(name);
        }
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("jobs", jobDetails());
        String summary = failing.isEmpty() ? c.jobs().size() + " jobs, " + c.repositories().size() + " repositories"
                : "failing: " + String.join(", ", failing);
        dev.cairn.backup.sla.SlaBoard board = sla;
        Map<String, List<dev.cairn.backup.sla.SlaTracker.Breach>> broken = board == null ? Map.of() : board.breaches();
        if (!broken.isEmpty()) {
            List<String> parts = new ArrayList<>();
            broken.forEach((job, bs) -> parts.add(job + " (" + String.join(", ", bs.stream().map(b -> b.id() + " " + b.reason().label()
                    + ": " + b.message()).toList()) + ")"));
            summary += "; SLA broken: " + String.join("; ", parts);
        }
        return new ModuleStatus(failing.isEmpty() && broken.isEmpty(), summary, details);
    }

    /** For tests and the CLI: the repository config a job uses. */
    static RepositoryConfig repositoryOf(BackupConfig c, String job) {
        return c.repositories().get(c.jobs().get(job).repository());
    }

    static Path resolve(Path dir, Path p) {
        return dir.resolve(p).normalize();
    }
}
