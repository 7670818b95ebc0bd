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
    /** How long stop (and reload) lets a running backup finish before interrupting it: Cairn stops within 10 s of SIGTERM. */
    static final java.time.Duration STOP_GRACE = java.time.Duration.ofSeconds(5);

    private volatile BackupConfig config;
    private volatile JobRunner runner;
    private ModuleContext ctx;
    private BackupMetrics metrics;
    private ScheduledExecutorService scheduler;
    private volatile dev.cairn.backup.sla.SlaBoard sla;
    /** Per job: why another node runs it ("" when this one does), as the scheduler last decided. */
    private final Map<String, String> placement = new java.util.concurrent.ConcurrentHashMap<>();
    private dev.cairn.backup.server.BackupServer server;
    private final Map<String, Instant> nextRun = new java.util.concurrent.ConcurrentHashMap<>();

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
        this.scheduler = s;
        scheduler.execute(this::catchUp);
    }

    private void catchUp() {
        BackupConfig c = config;
        Instant now = Instant.now();
        for (Map.Entry<String, JobConfig> e : c.jobs().entrySet()) {
            if (Thread.currentThread().isInterrupted() || scheduler == null || scheduler.isShutdown()) return;
            String name = e.getKey();
            JobConfig j = e.getValue();
            runner.seed(name);
            Schedule s = Schedule.parse(j.schedule());
            if (s.manual()) continue;
            ZoneId z = ZoneId.of(j.timezone());
            if (elsewhere(name) != null) {
                // Another node runs it (and catches it up): this one only follows its state.
                schedule(name, s, z);
                continue;
            }
            Instant prev = s.previous(now, z);
            Instant last = runner.state(name).lastSuccess();
            if (j.catchUp() && prev != null && (last == null || last.isBefore(prev))) {
                log.info("backup job {}: the run due at {} was missed; running it now", name, prev);
                runSafely(name);
            }
            schedule(name, s, z);
        }
    }

    private void schedule(String name, Schedule s, ZoneId z) {
        Instant next = s.next(Instant.now(), z);
        ScheduledExecutorService sch = scheduler;
        if (next == null || sch == null || sch.isShutdown()) return;
        nextRun.put(name, next);
        long delay = Math.max(0, next.toEpochMilli() - System.currentTimeMillis());
        Instant after = s.next(next, z);
        java.time.Duration follow = followDelay(after == null ? null : java.time.Duration.between(next, after));
        try {
            sch.schedule(() -> {
                runSafely(name, follow);
                schedule(name, s, z);
            }, delay, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException stopping) {
            // stop() is under way
        }
    }

    /** Null when this node runs the job, else why another node does (cluster placement). */
    private String elsewhere(String name) {
        JobConfig j = config.jobs().get(name);
        java.util.Optional<ModuleStatus> cluster = j.on() == dev.cairn.backup.placement.Placement.RunOn.LEADER
                ? ctx.moduleStatus("cluster") : java.util.Optional.empty();
        String why = dev.cairn.backup.placement.Placement.whyNotHere(j.node(), j.on(), ctx.nodeName(), cluster);
        placement.put(name, why == null ? "" : why);
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

    private void runSafely(String name) {
        runSafely(name, java.time.Duration.ZERO);
    }

    /** @param follow when another node runs the job: how long to wait before reading its state */
    private void runSafely(String name, java.time.Duration follow) {
        String elsewhere = elsewhere(name);
        if (elsewhere != null) {
            // Another node runs it: show its state from the shared repository, once it had time to write it.
            log.debug("backup job {} {}: reading its state from the repository in {}", name, elsewhere, follow);
            ScheduledExecutorService sch = scheduler;
            if (follow.isZero() || sch == null) {
                runner.seed(name, true);
                return;
            }
            try {
                sch.schedule(() -> runner.seed(name, true), follow.toMillis(), TimeUnit.MILLISECONDS);
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
     * The backup server keeps running, with its connections and resumable uploads, unless a key of
     * {@code backup.server} changed: those are marked restart and re-open it, the new socket bound
     * before the old one closes when the address moves (on the same address the old one goes first,
     * and comes back if the new one cannot open). The jobs' side restarts only when one of its keys
     * changed (a running backup gets {@link #STOP_GRACE}, as on stop).
     */
    @Override
    public synchronized void reload(BackupConfig c, dev.cairn.spi.config.ConfigChange change, ModuleContext mctx) throws Exception {
        BackupConfig.ServerConfig was = config == null ? null : config.server();
        if (!java.util.Objects.equals(was, c.server())) {
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
        boolean jobsChanged = change.keys().stream()
                .anyMatch(k -> !k.path().equals("backup.server") && !k.path().startsWith("backup.server."));
        if (jobsChanged) {
            stopJobs();
            startJobs(c, mctx);
        } else {
            this.ctx = mctx;
            this.config = c;
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
        nextRun.clear();
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
                }
            }
            case "jobs" -> {
                return jobDetails();
            }
            default -> throw new ActionException(404, "module backup has no action '" + action + "' (run, jobs)");
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
            Instant n = nextRun.get(name);
            m.put("next_run", n == null ? null : n.toString());
            dev.cairn.backup.sla.SlaBoard board = sla;
            if (board != null && board.tracker(name) != null) m.put("sla", board.tracker(name).details());
            // From the last scheduler decision: asking the cluster module here would re-enter the host's status.
            String elsewhere = placement.get(name);
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
