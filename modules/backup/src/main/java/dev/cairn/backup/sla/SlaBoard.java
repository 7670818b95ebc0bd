package dev.cairn.backup.sla;

import dev.cairn.backup.BackupConfig;
import dev.cairn.backup.BackupConfig.JobConfig;
import dev.cairn.backup.Repositories;
import dev.cairn.backup.repo.Maintenance;
import dev.cairn.backup.repo.Repository;
import dev.cairn.backup.repo.Snapshot;
import dev.cairn.backup.repo.VerifyRecord;
import dev.cairn.backup.restore.Restorer;
import dev.cairn.backup.source.SnapshotEntries;
import dev.cairn.backup.source.SourceErrors;
import dev.cairn.backup.source.mysql.MysqlClient;
import dev.cairn.backup.source.mysql.MysqlRestore;
import dev.cairn.backup.source.mysql.MysqlSourceConfig;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running module's SLA side: one {@link SlaTracker} per job, the SLA metrics, and after each
 * backup the job's verification ({@code structure}, {@code read-data} with a rotating share, or a
 * {@code restore-test} every N-th run, timed against the RTO), so that a snapshot counts towards
 * {@code versions} only once verified. Also measures how far a copy of the job's snapshots in
 * another configured repository lags behind. Called on the job's thread; thread-safe.
 */
public final class SlaBoard implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(SlaBoard.class);
    private static final Duration RESTORE_TEST_TIMEOUT = Duration.ofHours(6);

    private volatile BackupConfig config;
    private final Path configDir;
    private final Clock clock;
    /** In config order; replaced whole on reload (readers never lock). */
    private volatile Map<String, SlaTracker> trackers;
    private final Map<String, Integer> runs = new ConcurrentHashMap<>();
    private final SlaMetrics metrics;

    public SlaBoard(BackupConfig config, Path configDir, PrometheusRegistry registry, Clock clock) {
        this.config = config;
        this.configDir = configDir;
        this.clock = clock;
        this.metrics = registry == null ? null : new SlaMetrics(registry);
        Map<String, SlaTracker> ts = new LinkedHashMap<>();
        config.jobs().forEach((name, j) -> {
            SlaTracker t = new SlaTracker(name, j.sla(), null, clock);
            ts.put(name, t);
            if (metrics != null) metrics.add(t);
        });
        this.trackers = ts;
    }

    /**
     * A reload: the jobs in {@code fresh} (new, or whose SLA or repository changed) get a new
     * tracker, to be seeded from their repository ({@link #seed}); removed jobs lose theirs and
     * their SLA series; every other job keeps its tracker, with all it measured.
     */
    public synchronized void reconfigure(BackupConfig next, java.util.Set<String> fresh) {
        Map<String, SlaTracker> was = trackers;
        Map<String, SlaTracker> ts = new LinkedHashMap<>();
        next.jobs().forEach((name, j) -> {
            SlaTracker t = was.get(name);
            if (t == null || fresh.contains(name)) {
                t = new SlaTracker(name, j.sla(), null, clock);
                if (metrics != null) metrics.add(t);
            }
            ts.put(name, t);
        });
        for (String name : was.keySet()) {
            if (!ts.containsKey(name) && metrics != null) metrics.remove(name);
        }
        this.config = next;
        this.trackers = ts;
    }

    public SlaTracker tracker(String job) {
        return trackers.get(job);
    }

    /** Whether a job's source can be restored into scratch space by a restore test (for cairn check). */
    public static SlaRules.SourceFacts facts(JobConfig j) {
        BackupConfig.SourceConfig s = j.source();
        if (s.mysql() != null) {
            boolean scratch = j.sla() != null && j.sla().verify() != null && j.sla().verify().scratch() != null;
            return new SlaRules.SourceFacts("mysql", scratch ? null : "set sla.verify.scratch (a throwaway server to load the dump into)");
        }
        if (s.command() != null) {
            boolean restorable = s.command().produces() != null || !s.command().restore().isEmpty();
            return new SlaRules.SourceFacts("command", restorable ? null
                    : "set source.command.restore (the program that loads its output back)");
        }
        String kind = s.prometheus() != null ? "prometheus" : s.grafana() != null ? "grafana" : "directory";
        return new SlaRules.SourceFacts(kind, null);
    }

    /**
     * State of a job from its repository (start-up, or a job another node runs): which snapshots
     * exist, the newest one, and the verifications stored as {@code verify/} records. Only a
     * repository with no verification record at all (written before Cairn stored them) gets a
     * structure check here, held in memory; otherwise a snapshot without a valid record is
     * unverified until it is verified again.
     */
    public void seed(String job, Repository repo) {
        SlaTracker t = trackers.get(job);
        if (t == null) return;
        try {
            List<String> ids = new ArrayList<>();
            Snapshot.Header newest = null;
            for (Repository.SnapshotRef s : repo.snapshots(null)) {
                if (!s.header().job().equals(job)) continue;
                ids.add(s.id());
                if (newest == null || s.header().time().isAfter(newest.time())) newest = s.header();
            }
            t.present(ids);
            if (newest != null) {
                t.lastSuccess(newest.time());
                t.dumpLockSeconds(dumpLockSeconds(newest));
            }
            List<String> rejected = new ArrayList<>();
            List<VerifyRecord> records = VerifyRecord.readAll(repo, rejected);
            boolean anyRecord = !records.isEmpty() || !rejected.isEmpty();
            for (VerifyRecord r : records) {
                if (!r.job().equals(job) || !ids.contains(r.snapshot())) continue;
                if (r.kind() == VerifyRecord.Kind.RESTORE_TEST) {
                    t.restoreTested(r.snapshot(), r.ok(), r.restoreTime() == null ? Duration.ZERO : r.restoreTime(), r.detail(), r.time());
                } else {
                    t.verified(r.snapshot(), r.ok(), r.detail(), r.time());
                }
            }
            t.rejectedRecords(rejected);
            if (!rejected.isEmpty()) log.warn("backup job {}: {}", job, String.join("; ", rejected));
            if (!anyRecord && !ids.isEmpty() && t.lastVerifyOk() == null) {
                // A repository from before verification records: a structure check stands for them.
                Maintenance.CheckResult c = Maintenance.check(repo, false, null);
                for (String id : ids) t.verified(id, c.ok(), "structure check at start" + (c.ok() ? "" : ": " + String.join("; ", c.errors())));
            }
            copyLag(job, newest == null ? null : newest.time());
        } catch (IOException | RuntimeException e) {
            log.warn("backup job {}: cannot read its state from the repository: {}", job, e.getMessage());
        }
    }

    /** The {@code mysql.dump_lock_seconds} a snapshot recorded; NaN when it has none (not a dump) or it is {@code unknown}. */
    static double dumpLockSeconds(Snapshot.Header h) {
        String l = h.extra().get("mysql.dump_lock_seconds");
        if (l == null || "unknown".equals(l)) return Double.NaN;
        try {
            return Double.parseDouble(l);
        } catch (NumberFormatException e) {
            return Double.NaN;
        }
    }

    /** After a successful backup of {@code job} into {@code repo} (and its retention). */
    public void succeeded(String job, JobConfig j, Repository repo, String snapshotId) throws InterruptedException {
        SlaTracker t = trackers.get(job);
        if (t == null) return;
        try {
            // the header only (kept by the repository since it wrote the manifest): the entries are read by the verification
            Snapshot.Header header = repo.snapshotHeader(snapshotId);
            t.backedUp(snapshotId, header.time(), dumpLockSeconds(header));
            List<String> ids = new ArrayList<>();
            for (Repository.SnapshotRef s : repo.snapshots(null)) if (s.header().job().equals(job)) ids.add(s.id());
            t.present(ids);
            verify(job, j, repo, snapshotId, t);
            copyLag(job, header.time());
        } catch (IOException | RuntimeException e) {
            Instant at = clock.instant();
            t.verified(snapshotId, false, e.getMessage(), at);
            store(repo, new VerifyRecord(snapshotId, job, kindOf(j), at, false, String.valueOf(e.getMessage()), null, null));
            log.warn("backup job {}: verification of {} failed: {}", job, snapshotId, e.getMessage());
        }
    }

    private static VerifyRecord.Kind kindOf(JobConfig j) {
        VerifyConfig v = j.sla() == null ? null : j.sla().verify();
        if (v == null) return VerifyRecord.Kind.STRUCTURE;
        return switch (v.mode()) {
            case STRUCTURE -> VerifyRecord.Kind.STRUCTURE;
            case READ_DATA -> VerifyRecord.Kind.READ_DATA;
            case RESTORE_TEST -> VerifyRecord.Kind.RESTORE_TEST;
        };
    }

    /** Stores what a verification found; a store that refuses it costs the proof after a restart, not the backup. */
    private void store(Repository repo, VerifyRecord r) {
        try {
            r.write(repo);
        } catch (IOException | RuntimeException e) {
            log.warn("backup job {}: cannot store the verification of {} in the repository ({}): it is lost at the next restart",
                    r.job(), r.snapshot(), e.getMessage());
        }
    }

    private void verify(String job, JobConfig j, Repository repo, String id, SlaTracker t)
            throws IOException, InterruptedException {
        VerifyConfig v = j.sla() == null ? null : j.sla().verify();
        VerifyConfig.Mode mode = v == null ? VerifyConfig.Mode.STRUCTURE : v.mode();
        int n = runs.merge(job, 1, Integer::sum);
        if (mode == VerifyConfig.Mode.RESTORE_TEST && (n - 1) % v.every() == 0) {
            RestoreTest.Outcome o = restoreTest(j, repo, repo.readSnapshot(id));
            Instant at = clock.instant();
            RestoreTest.record(t, id, o, at);
            store(repo, new VerifyRecord(id, job, VerifyRecord.Kind.RESTORE_TEST, at, o.ok(), o.summary(), o.restoreTime(), j.sla().rto()));
            if (!o.ok()) log.warn("backup job {}: {} restore test of {} failed: {}", job, SourceErrors.RESTORE_TEST_MISMATCH, id, o.summary());
            return;
        }
        boolean readData = mode == VerifyConfig.Mode.READ_DATA;
        // structure: of the new snapshot (its manifest read back, every blob it uses indexed, every pack present), not of
        // every snapshot in the repository again (cairn backup check does that); read-data: a share of the whole repository
        Maintenance.CheckResult c = readData ? Maintenance.check(repo, true, v.share() + "%") : Maintenance.checkSnapshot(repo, id);
        String detail = (readData ? "read-data " + v.share() + "%" : "structure") + (c.ok() ? "" : ": " + String.join("; ", c.errors()));
        Instant at = clock.instant();
        t.verified(id, c.ok(), detail, at);
        store(repo, new VerifyRecord(id, job, readData ? VerifyRecord.Kind.READ_DATA : VerifyRecord.Kind.STRUCTURE, at, c.ok(), detail, null, null));
    }

    /** Restores the snapshot into scratch space the way its source is restored, timed. */
    RestoreTest.Outcome restoreTest(JobConfig j, Repository repo, Snapshot snap) throws IOException, InterruptedException {
        VerifyConfig v = j.sla().verify();
        MysqlSourceConfig m = j.source().mysql();
        if (m != null) {
            String user = v.scratchUser() != null ? v.scratchUser() : m.user();
            Path pw = v.scratchPasswordFile() != null ? v.scratchPasswordFile() : m.passwordFile();
            MysqlClient client = new MysqlClient(m.clientCommand(), user, MysqlClient.password(pw == null ? null : configDir.resolve(pw)));
            return RestoreTest.mysql(new SnapshotEntries(repo, snap), new MysqlRestore(client, m.dumpCommand()), v.scratch(), RESTORE_TEST_TIMEOUT);
        }
        if (j.source().command() != null && j.source().command().stdoutAs() != null) {
            return commandRestore(j, repo, snap);
        }
        Path scratch = Files.createTempDirectory("cairn-restore-test-");
        try {
            long t0 = System.nanoTime();
            Restorer.Result r = new Restorer(repo, new Restorer.Options(scratch.resolve("r"), List.of(), config.workerThreads(), null)).restore(snap);
            Duration took = Duration.ofNanos(System.nanoTime() - t0);
            List<String> diffs = new ArrayList<>();
            for (String d : r.damaged()) diffs.add(d + ": damaged");
            if (r.files() != snap.header().files()) diffs.add("restored " + r.files() + " files, the snapshot has " + snap.header().files());
            return new RestoreTest.Outcome(diffs.isEmpty(), took, diffs);
        } finally {
            try (Stream<Path> s = Files.walk(scratch)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** A command source's restore program fed the stored file on its standard input. */
    private RestoreTest.Outcome commandRestore(JobConfig j, Repository repo, Snapshot snap) throws IOException, InterruptedException {
        var c = j.source().command();
        long t0 = System.nanoTime();
        ProcessBuilder pb = new ProcessBuilder(c.restore()).directory(configDir.resolve(c.workdir()).toFile())
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectErrorStream(true);
        pb.environment().putAll(c.env());
        Process p = pb.start();
        try (InputStream in = new SnapshotEntries(repo, snap).open(c.stdoutAs()); OutputStream out = p.getOutputStream()) {
            in.transferTo(out);
        } catch (IOException e) {
            // the program stopped reading: its exit code tells
        }
        if (!p.waitFor(RESTORE_TEST_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) p.destroyForcibly();
        Duration took = Duration.ofNanos(System.nanoTime() - t0);
        int rc = p.isAlive() ? -1 : p.exitValue();
        return new RestoreTest.Outcome(rc == 0, took, rc == 0 ? List.of() : List.of(c.restore().get(0) + " exited with " + rc));
    }

    /** How far copies of the job in other configured repositories are behind {@code newest}. */
    private void copyLag(String job, Instant newest) {
        if (newest == null) return;
        BackupConfig config = this.config;
        JobConfig j = config.jobs().get(job);
        SlaTracker t = trackers.get(job);
        if (j == null || t == null) return;
        String home = j.repository();
        config.repositories().forEach((name, rc) -> {
            if (name.equals(home)) return;
            try {
                if (!Repository.exists(Repositories.store(rc, configDir))) return;
                try (Repository other = Repository.open(Repositories.store(rc, configDir), Repositories.key(rc, configDir, false))) {
                    Instant copied = null;
                    for (Repository.SnapshotRef s : other.snapshots(null)) {
                        if (s.header().job().equals(job) && (copied == null || s.header().time().isAfter(copied))) copied = s.header().time();
                    }
                    if (copied != null) t.storeLag(name, copied.isBefore(newest) ? Duration.between(copied, newest) : Duration.ZERO);
                }
            } catch (IOException | RuntimeException e) {
                log.debug("backup job {}: cannot read repository {} for its copy lag: {}", job, name, e.getMessage());
            }
        });
    }

    /** One line on the last verification of {@code job} and its SLA, for {@code cairn backup run}; null without one. */
    public String verification(String job) {
        SlaTracker t = trackers.get(job);
        if (t == null || t.lastVerifyOk() == null) return null;
        StringBuilder b = new StringBuilder(t.lastVerifyOk() ? "verified: " : SourceErrors.VERIFY_FAILED + " verification FAILED: ");
        b.append(t.lastVerifyDetail());
        if (t.lastRestoreTest() != null && t.sla().rto() != null) {
            b.append(" (rto ").append(dev.cairn.spi.config.Durations.format(t.sla().rto())).append(')');
        }
        List<SlaTracker.Breach> br = t.breaches();
        b.append(br.isEmpty() ? "; SLA met" : "; SLA broken: " + String.join("; ", br.stream().map(x -> x.reason().label() + ": " + x.message()).toList()));
        return b.toString();
    }

    /** Broken promises per job (jobs that keep all of theirs are absent). */
    public Map<String, List<SlaTracker.Breach>> breaches() {
        Map<String, List<SlaTracker.Breach>> out = new LinkedHashMap<>();
        trackers.forEach((job, t) -> {
            List<SlaTracker.Breach> b = t.breaches();
            if (!b.isEmpty()) out.put(job, b);
        });
        return out;
    }

    @Override
    public void close() {
        if (metrics != null) metrics.close();
    }

    public Clock clock() {
        return clock;
    }
}
