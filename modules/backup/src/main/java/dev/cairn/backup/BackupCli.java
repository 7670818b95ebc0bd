package dev.cairn.backup;

import dev.cairn.backup.BackupConfig.JobConfig;
import dev.cairn.backup.BackupConfig.RepositoryConfig;
import dev.cairn.backup.repo.BackupRun;
import dev.cairn.backup.repo.Maintenance;
import dev.cairn.backup.repo.RepoKey;
import dev.cairn.backup.repo.Repository;
import dev.cairn.backup.restore.Restorer;
import dev.cairn.backup.restore.TarExport;
import dev.cairn.spi.command.CommandContext;
import dev.cairn.spi.command.ModuleCommand;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code cairn backup ...} and {@code cairn restore ...}: offline commands that work from the
 * config file alone (as restic does), plus {@code run --daemon} that asks the running daemon.
 */
final class BackupCli {

    static final int OK = 0, FAILED = 1, DAMAGED = 2, USAGE = CommandContext.EXIT_USAGE;

    static final String BACKUP_USAGE = """
            cairn backup list [JOB]                      snapshots (all jobs, or one)
            cairn backup run JOB [--tag TAG]... [--daemon]   back up now (in the running daemon with --daemon)
            cairn backup check [REPO|JOB] [--read-data[=N/M|P%]]   verify structure (and data)
            cairn backup repair [REPO|JOB]               rebuild the index from the packs
            cairn backup forget JOB [--dry-run]          apply the job's keep rules
            cairn backup prune [REPO|JOB]                remove unreferenced data (exclusive lock)
            cairn backup export JOB SNAPSHOT [--no-zstd] [-o FILE]   a PAX tar(.zst) on stdout or FILE
            cairn backup copy FROM_REPO TO_REPO          send missing objects to a second repository
            cairn backup init REPO                       create a repository (and a missing key file)
            cairn backup key list|add|remove REPO [--key-file F|--passphrase-file F|SLOT]
            cairn backup key generate FILE               write a new random key file
            """;
    static final String RESTORE_USAGE = """
            cairn restore JOB [--at TIME|SNAPSHOT] [--include PATH]... --to DIR
            cairn restore JOB [--at TIME|SNAPSHOT] --to-database HOST:PORT [--database NAME] [--user U --password-file F]
              (a mysql job: loads the dump into the server, then compares row counts and checksums)
            cairn restore JOB [--at TIME|SNAPSHOT] --to-grafana URL [--grafana-token-file F]
              (a grafana job: folders, dashboards into their folders with overwrite, data sources, alert rules)
              TIME: 2026-12-03T02:00 (the job's time zone) or an ISO instant; default the newest snapshot
            """;

    private BackupCli() {
    }

    static List<ModuleCommand<BackupConfig>> commands() {
        return List.of(new ModuleCommand<>() {
            @Override public String name() { return "backup"; }
            @Override public String summary() { return "Backup repositories: list, run, check, repair, forget, prune, export, copy, keys."; }
            @Override public String usage() { return BACKUP_USAGE; }
            @Override public int run(CommandContext<BackupConfig> ctx) throws Exception { return backup(ctx); }
        }, new ModuleCommand<>() {
            @Override public String name() { return "restore"; }
            @Override public String summary() { return "Restore a backup job's snapshot into a directory."; }
            @Override public String usage() { return RESTORE_USAGE; }
            @Override public int run(CommandContext<BackupConfig> ctx) throws Exception { return restore(ctx); }
        });
    }

    /** Options of the form --name VALUE, --name=VALUE, flags, and positionals. */
    record Args(List<String> positional, Map<String, List<String>> options) {
        static Args parse(List<String> raw, List<String> withValue) {
            List<String> pos = new ArrayList<>();
            Map<String, List<String>> opts = new LinkedHashMap<>();
            for (int i = 0; i < raw.size(); i++) {
                String a = raw.get(i);
                if (a.startsWith("-") && a.length() > 1) {
                    String k = a, v = "";
                    int eq = a.indexOf('=');
                    if (eq > 0) {
                        k = a.substring(0, eq);
                        v = a.substring(eq + 1);
                    } else if (withValue.contains(a)) {
                        if (i + 1 >= raw.size()) throw new IllegalArgumentException(a + " needs a value");
                        v = raw.get(++i);
                    }
                    opts.computeIfAbsent(k, x -> new ArrayList<>()).add(v);
                } else {
                    pos.add(a);
                }
            }
            return new Args(pos, opts);
        }

        String one(String k) {
            List<String> v = options.get(k);
            return v == null ? null : v.get(v.size() - 1);
        }

        boolean has(String k) {
            return options.containsKey(k);
        }

        List<String> all(String k) {
            return options.getOrDefault(k, List.of());
        }
    }

    static int backup(CommandContext<BackupConfig> ctx) throws Exception {
        PrintStream out = ctx.out(), err = ctx.err();
        Args a;
        try {
            a = Args.parse(ctx.args(), List.of("--tag", "-o", "--key-file", "--passphrase-file"));
        } catch (IllegalArgumentException e) {
            err.println(e.getMessage());
            return USAGE;
        }
        if (a.positional().isEmpty() || a.has("--help") || a.has("-h")) {
            (a.positional().isEmpty() && !a.has("--help") ? err : out).print(BACKUP_USAGE);
            return a.positional().isEmpty() && !a.has("--help") ? USAGE : OK;
        }
        String verb = a.positional().get(0);
        List<String> rest = a.positional().subList(1, a.positional().size());
        if (verb.equals("key") && rest.size() == 2 && rest.get(0).equals("generate")) {
            RepoKey.generate(Path.of(rest.get(1)));
            out.println("wrote a new key file " + rest.get(1) + " (keep a copy apart from the repository)");
            return OK;
        }
        if (ctx.config().isEmpty()) {
            err.println(BackupErrors.NO_SECTION.id() + " the config file has no backup: section (or there is no config file: give it with -c FILE;"
                    + " the default is /etc/cairn/cairn.yml)");
            return FAILED;
        }
        BackupConfig cfg = ctx.config().get();
        Path dir = ctx.configDir();
        try {
            return switch (verb) {
                case "list" -> list(cfg, dir, rest, out);
                case "run" -> run(ctx, cfg, dir, rest, a);
                case "check" -> check(cfg, dir, rest, a, out);
                case "repair" -> forEachRepo(cfg, dir, rest, out, (n, r) -> {
                    for (String l : Maintenance.repair(r)) out.println(l);
                    return OK;
                });
                case "prune" -> forEachRepo(cfg, dir, rest, out, (n, r) -> {
                    Maintenance.PruneResult p = Maintenance.prune(r, cfg.repositories().get(n).maxUnused() / 100.0, Maintenance.Steps.NONE);
                    for (String l : p.lines()) out.println(l);
                    return OK;
                });
                case "forget" -> forget(cfg, dir, rest, a, out);
                case "export" -> export(cfg, dir, rest, a, out);
                case "copy" -> copy(cfg, dir, rest, out, err);
                case "init" -> init(cfg, dir, rest, out, err);
                case "key" -> key(cfg, dir, rest, a, out, err);
                default -> {
                    err.println("unknown backup command '" + verb + "'\n" + BACKUP_USAGE);
                    yield USAGE;
                }
            };
        } catch (IllegalArgumentException e) {
            err.println(e.getMessage());
            return USAGE;
        } catch (IOException e) {
            err.println(e.getMessage());
            return FAILED;
        }
    }

    private static JobConfig job(BackupConfig cfg, String name) {
        JobConfig j = cfg.jobs().get(name);
        if (j == null) {
            throw new IllegalArgumentException(BackupErrors.NO_JOB.id() + " no job '" + name + "'"
                    + dev.cairn.spi.config.Suggestions.didYouMean(name, cfg.jobs().keySet()));
        }
        return j;
    }

    private static Repository openForJob(BackupConfig cfg, Path dir, String jobName) throws IOException {
        return Repositories.open(cfg.repositories().get(job(cfg, jobName).repository()), dir);
    }

    /** Repository names that {@code rest} selects: a repository, a job's repository, or all. */
    private static List<String> repos(BackupConfig cfg, List<String> rest) {
        if (rest.isEmpty()) return new ArrayList<>(cfg.repositories().keySet());
        String n = rest.get(0);
        if (cfg.repositories().containsKey(n)) return List.of(n);
        return List.of(job(cfg, n).repository());
    }

    interface RepoAction {
        int apply(String name, Repository r) throws IOException, InterruptedException;
    }

    private static int forEachRepo(BackupConfig cfg, Path dir, List<String> rest, PrintStream out, RepoAction f) throws IOException, InterruptedException {
        int rc = OK;
        for (String name : repos(cfg, rest)) {
            out.println("repository " + name + ":");
            try (Repository r = Repositories.open(cfg.repositories().get(name), dir)) {
                rc = Math.max(rc, f.apply(name, r));
            }
        }
        return rc;
    }

    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss");

    private static int list(BackupConfig cfg, Path dir, List<String> rest, PrintStream out) throws IOException {
        List<String> names = rest.isEmpty() ? new ArrayList<>(cfg.jobs().keySet()) : List.of(rest.get(0));
        Map<String, List<String>> byRepo = new LinkedHashMap<>();
        for (String j : names) byRepo.computeIfAbsent(job(cfg, j).repository(), k -> new ArrayList<>()).add(j);
        int rc = OK;
        out.printf("%-10s %-19s %-16s %-14s %8s %12s %12s  %s%n", "ID", "TIME", "JOB", "HOST", "FILES", "SIZE", "ADDED", "TAGS");
        for (Map.Entry<String, List<String>> e : byRepo.entrySet()) {
            try (Repository r = Repositories.open(cfg.repositories().get(e.getKey()), dir)) {
                List<String> problems = new ArrayList<>();
                for (Repository.SnapshotRef s : r.snapshots(problems)) {
                    if (!e.getValue().contains(s.header().job())) continue;
                    ZoneId z = ZoneId.of(cfg.jobs().get(s.header().job()).timezone());
                    out.printf("%-10s %-19s %-16s %-14s %8d %12s %12s  %s%s%n", s.shortId(), TIME.format(s.header().time().atZone(z)),
                            s.header().job(), s.header().host(), s.header().files(), bytes(s.header().bytes()), bytes(s.header().addedBytes()),
                            String.join(",", s.header().tags()), s.header().partial() ? " (partial)" : "");
                }
                for (String p : problems) out.println(p);
                if (!problems.isEmpty()) rc = DAMAGED;
            }
        }
        return rc;
    }

    static String bytes(long b) {
        if (b < 1024) return b + " B";
        String[] u = {"KiB", "MiB", "GiB", "TiB"};
        double v = b;
        int i = -1;
        while (v >= 1024 && i < u.length - 1) {
            v /= 1024;
            i++;
        }
        return String.format("%.1f %s", v, u[i]);
    }

    private static int run(CommandContext<BackupConfig> ctx, BackupConfig cfg, Path dir, List<String> rest, Args a) throws Exception {
        if (rest.size() != 1) throw new IllegalArgumentException("usage: cairn backup run JOB [--tag TAG]... [--daemon]");
        String name = rest.get(0);
        job(cfg, name);
        PrintStream out = ctx.out();
        if (a.has("--daemon")) {
            Map<String, String> p = new LinkedHashMap<>();
            p.put("job", name);
            if (!a.all("--tag").isEmpty()) p.put("tag", String.join(",", a.all("--tag")));
            var resp = ctx.admin().post("backup", "run", p);
            // A run longer than the answer's wait (20 s) is reported on by the runs action until it ends.
            String id;
            while (resp.ok() && (id = stillRunning(resp.body())) != null) {
                Thread.sleep(1000);
                resp = ctx.admin().get("backup", "runs", Map.of("id", id));
            }
            out.println(resp.body());
            return resp.ok() ? OK : FAILED;
        }
        Progress bar = new Progress(ctx.interactive(), ctx.err());
        dev.cairn.backup.sla.SlaBoard sla = new dev.cairn.backup.sla.SlaBoard(cfg, dir, null, java.time.Clock.systemUTC());
        JobRunner runner = new JobRunner(cfg, dir, null, null, sla);
        try {
            // seeded first (the snapshots already there, so the SLA line below counts them), in the run's opening of the repository
            JobRunner.Outcome o = runner.run(name, a.all("--tag"), (done, files, expected) -> bar.show(done, expected, files, -1), true);
            bar.done();
            BackupRun.Result r = o.result();
            out.printf("snapshot %s of job %s: %d files (%d read, %d unchanged), %s, added %s in %d packs, %.1fs%n",
                    r.snapshotId().substring(0, 8), name, r.header().files(), r.filesRead(), r.filesUnchanged(), bytes(r.header().bytes()),
                    bytes(r.header().addedBytes()), r.packs(), r.duration().toMillis() / 1000.0);
            for (String p : r.header().problems()) out.println("  " + p);
            if (!o.forgotten().isEmpty()) out.println("forgot " + o.forgotten().size() + " snapshots by the keep rules (prune frees their data)");
            String verified = sla.verification(name);
            if (verified != null) out.println(verified);
            return r.header().partial() ? DAMAGED : OK;
        } catch (IOException e) {
            bar.done();
            ctx.err().println("backup of " + name + " failed: " + e.getMessage());
            return FAILED;
        }
    }

    /** The id of a run the daemon reports as still running, or null when its answer is final. */
    static String stillRunning(String body) throws IOException {
        var json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(body);
        return "running".equals(json.path("state").asText()) ? json.path("run").asText() : null;
    }

    private static int check(BackupConfig cfg, Path dir, List<String> rest, Args a, PrintStream out) throws IOException, InterruptedException {
        boolean read = a.has("--read-data");
        String subset = read ? a.one("--read-data") : null;
        if (subset != null && subset.isEmpty()) subset = null;
        String sub = subset;
        return forEachRepo(cfg, dir, rest, out, (n, r) -> {
            Maintenance.CheckResult c = Maintenance.check(r, read, sub);
            for (String e : c.errors()) out.println("error: " + e);
            for (String note : c.notes()) out.println("note: " + note);
            c.damagedFiles().forEach((snap, files) -> {
                out.println("snapshot " + snap + ": " + files.size() + " damaged files:");
                for (String f : files) out.println("  " + f);
            });
            out.println(c.ok() ? "no errors" + (read ? " (" + c.packsRead() + " packs, " + c.blobsRead() + " blobs read)" : "")
                    : c.errors().size() + " errors");
            return c.ok() ? OK : DAMAGED;
        });
    }

    private static int forget(BackupConfig cfg, Path dir, List<String> rest, Args a, PrintStream out) throws IOException {
        if (rest.size() != 1) throw new IllegalArgumentException("usage: cairn backup forget JOB [--dry-run]");
        JobConfig j = job(cfg, rest.get(0));
        if (j.keep() == null || j.keep().policy().empty()) {
            out.println("job " + rest.get(0) + " has no keep rules: nothing to forget");
            return OK;
        }
        try (Repository r = openForJob(cfg, dir, rest.get(0))) {
            ZoneId z = ZoneId.of(j.timezone());
            for (Maintenance.ForgetDecision d : Maintenance.forget(r, rest.get(0), j.keep().policy(), z, a.has("--dry-run"))) {
                out.printf("%s %s %s%n", d.keep() ? "keep  " : (a.has("--dry-run") ? "would remove" : "remove"), d.snapshot().shortId() + " "
                        + TIME.format(d.snapshot().header().time().atZone(z)), d.keep() ? String.join(", ", d.reasons()) : "");
            }
        }
        return OK;
    }

    private static Repository.SnapshotRef pick(Repository r, String job, String at, ZoneId zone) throws IOException {
        List<Repository.SnapshotRef> mine = new ArrayList<>();
        for (Repository.SnapshotRef s : r.snapshots(new ArrayList<>())) if (s.header().job().equals(job)) mine.add(s);
        if (mine.isEmpty()) throw new IOException(BackupErrors.NO_SNAPSHOT.id() + " job " + job + " has no snapshots");
        if (at == null) return mine.get(mine.size() - 1);
        if (at.matches("[0-9a-f]{4,64}")) {
            for (Repository.SnapshotRef s : mine) if (s.id().startsWith(at)) return s;
        }
        Instant t;
        try {
            t = at.endsWith("Z") || at.contains("+") ? Instant.parse(at) : LocalDateTime.parse(at.length() == 10 ? at + "T23:59:59" : at).atZone(zone).toInstant();
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("--at " + at + ": not a snapshot id of job " + job + " nor a time (2026-12-03T02:00)");
        }
        Repository.SnapshotRef best = null;
        for (Repository.SnapshotRef s : mine) if (!s.header().time().isAfter(t)) best = s;
        if (best == null) throw new IOException(BackupErrors.NO_SNAPSHOT.id() + " job " + job + " has no snapshot at or before " + at);
        return best;
    }

    private static int export(BackupConfig cfg, Path dir, List<String> rest, Args a, PrintStream out) throws IOException {
        if (rest.size() != 2) throw new IllegalArgumentException("usage: cairn backup export JOB SNAPSHOT [--no-zstd] [-o FILE]");
        try (Repository r = openForJob(cfg, dir, rest.get(0))) {
            Repository.SnapshotRef s = pick(r, rest.get(0), rest.get(1).equals("latest") ? null : rest.get(1), ZoneId.of(job(cfg, rest.get(0)).timezone()));
            String file = a.one("-o");
            if (file != null) {
                Path tmp = Path.of(file + ".partial");
                try (OutputStream o = new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 20)) {
                    TarExport.write(r, r.readSnapshot(s.id()), o, !a.has("--no-zstd"));
                }
                Files.move(tmp, Path.of(file), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            } else {
                OutputStream o = new BufferedOutputStream(out, 1 << 20);
                TarExport.write(r, r.readSnapshot(s.id()), o, !a.has("--no-zstd"));
                o.flush();
            }
        }
        return OK;
    }

    private static int copy(BackupConfig cfg, Path dir, List<String> rest, PrintStream out, PrintStream err) throws IOException {
        if (rest.size() != 2) throw new IllegalArgumentException("usage: cairn backup copy FROM_REPO TO_REPO");
        RepositoryConfig from = cfg.repositories().get(rest.get(0)), to = cfg.repositories().get(rest.get(1));
        if (from == null || to == null) throw new IllegalArgumentException("unknown repository " + (from == null ? rest.get(0) : rest.get(1)));
        for (String l : Maintenance.copy(Repositories.store(from, dir), Repositories.store(to, dir))) out.println(l);
        return OK;
    }

    private static int init(BackupConfig cfg, Path dir, List<String> rest, PrintStream out, PrintStream err) throws IOException {
        if (rest.size() != 1 || !cfg.repositories().containsKey(rest.get(0))) throw new IllegalArgumentException("usage: cairn backup init REPO (a name under backup.repositories)");
        RepositoryConfig rc = cfg.repositories().get(rest.get(0));
        RepoKey key = Repositories.key(new RepositoryConfig(rc.path(), rc.s3(), rc.backupServer(), rc.keyFile(), rc.passphraseFile(), true, rc.maxUnused()), dir, true);
        Repository.init(Repositories.store(rc, dir), key, Repository.Params.defaults()).close();
        out.println("created repository " + rest.get(0) + " at " + Repositories.store(rc, dir).describe());
        return OK;
    }

    private static int key(BackupConfig cfg, Path dir, List<String> rest, Args a, PrintStream out, PrintStream err) throws IOException {
        if (rest.size() < 2) throw new IllegalArgumentException("usage: cairn backup key list|add|remove REPO ...");
        RepositoryConfig rc = cfg.repositories().get(rest.get(1));
        if (rc == null) throw new IllegalArgumentException("unknown repository " + rest.get(1));
        try (Repository r = Repositories.open(rc, dir)) {
            switch (rest.get(0)) {
                case "list" -> {
                    for (String s : r.keySlots()) out.println(s);
                }
                case "add" -> {
                    RepoKey k = a.one("--key-file") != null ? RepoKey.keyFile(Path.of(a.one("--key-file")))
                            : a.one("--passphrase-file") != null ? RepoKey.passphraseFile(Path.of(a.one("--passphrase-file"))) : null;
                    if (k == null) throw new IllegalArgumentException("key add needs --key-file FILE or --passphrase-file FILE");
                    out.println("added key slot " + r.addKey(k));
                }
                case "remove" -> {
                    if (rest.size() != 3) throw new IllegalArgumentException("usage: cairn backup key remove REPO SLOT");
                    r.removeKey(rest.get(2));
                    out.println("removed key slot " + rest.get(2));
                }
                default -> throw new IllegalArgumentException("usage: cairn backup key list|add|remove REPO ...");
            }
        }
        return OK;
    }

    static int restore(CommandContext<BackupConfig> ctx) throws Exception {
        PrintStream out = ctx.out(), err = ctx.err();
        Args a;
        try {
            a = Args.parse(ctx.args(), List.of("--at", "--include", "--to", "--to-database", "--database", "--user", "--password-file",
                    "--to-grafana", "--grafana-token-file"));
        } catch (IllegalArgumentException e) {
            err.println(e.getMessage());
            return USAGE;
        }
        if (a.has("--help")) {
            out.print(RESTORE_USAGE);
            return OK;
        }
        int targets = (a.one("--to") != null ? 1 : 0) + (a.one("--to-database") != null ? 1 : 0) + (a.one("--to-grafana") != null ? 1 : 0);
        if (a.positional().size() != 1 || targets != 1) {
            err.print(RESTORE_USAGE);
            return USAGE;
        }
        if (ctx.config().isEmpty()) {
            err.println(BackupErrors.NO_SECTION.id() + " the config file has no backup: section (or there is no config file: give it with -c FILE;"
                    + " the default is /etc/cairn/cairn.yml)");
            return FAILED;
        }
        BackupConfig cfg = ctx.config().get();
        String jobName = a.positional().get(0);
        try (Repository r = openForJob(cfg, ctx.configDir(), jobName)) {
            ZoneId z = ZoneId.of(job(cfg, jobName).timezone());
            Repository.SnapshotRef s = pick(r, jobName, a.one("--at"), z);
            if (a.one("--to-database") != null) {
                var mysql = job(cfg, jobName).source().mysql();
                if (mysql == null) {
                    err.println("--to-database restores a mysql job; " + jobName + " is not one (use --to DIR)");
                    return USAGE;
                }
                return dev.cairn.backup.source.mysql.DatabaseRestoreCommand.run(r, s.id(), mysql, ctx.configDir(), a.one("--to-database"),
                        a.one("--database"), a.one("--user"), a.one("--password-file"), out, err);
            }
            if (a.one("--to-grafana") != null) {
                var grafana = job(cfg, jobName).source().grafana();
                if (grafana == null) {
                    err.println("--to-grafana restores a grafana job; " + jobName + " is not one (use --to DIR)");
                    return USAGE;
                }
                Path token = a.one("--grafana-token-file") != null ? Path.of(a.one("--grafana-token-file")) : ctx.configDir().resolve(grafana.tokenFile());
                List<String> done = new dev.cairn.backup.source.grafana.GrafanaRestore(a.one("--to-grafana"), token, grafana.timeout())
                        .restore(new dev.cairn.backup.source.SnapshotEntries(r, r.readSnapshot(s.id())));
                for (String d : done) out.println(d);
                out.printf("restored snapshot %s of job %s into %s: %d objects%n", s.shortId(), jobName, a.one("--to-grafana"), done.size());
                return OK;
            }
            Progress bar = new Progress(ctx.interactive(), err);
            Restorer.Result res = new Restorer(r, new Restorer.Options(Path.of(a.one("--to")), a.all("--include"), cfg.workerThreads(),
                    (done, total, files, filesTotal) -> bar.show(done, total, files, filesTotal))).restore(r.readSnapshot(s.id()));
            bar.done();
            out.printf("restored snapshot %s (%s) of job %s into %s: %d files, %s%n", s.shortId(), TIME.format(s.header().time().atZone(z)),
                    jobName, a.one("--to"), res.files(), bytes(res.bytes()));
            for (String p : res.problems()) out.println("problem: " + p);
            if (!res.damaged().isEmpty()) {
                out.println(BackupErrors.FILES_DAMAGED.id() + " " + res.damaged().size() + " files not restored (damaged or missing data):");
                for (String d : res.damaged()) out.println("  " + d);
            }
            return res.ok() ? OK : DAMAGED;
        } catch (IllegalArgumentException e) {
            err.println(e.getMessage());
            return USAGE;
        } catch (IOException e) {
            err.println("restore failed: " + e.getMessage());
            return FAILED;
        }
    }

    /** A progress bar with bytes, files and ETA on a terminal; a plain line every 10 s otherwise. */
    static final class Progress {
        private final boolean tty;
        private final PrintStream to;
        private final long started = System.nanoTime();
        private long lastLine;
        private boolean shown;

        Progress(boolean tty, PrintStream to) {
            this.tty = tty;
            this.to = to;
            this.lastLine = started; // plain lines: the first after 10 s, so short runs print none
        }

        synchronized void show(long done, long total, long files, long filesTotal) {
            long now = System.nanoTime();
            double secs = (now - started) / 1e9;
            String eta = "";
            if (total > 0 && done > 0 && done < total) {
                long left = (long) (secs * (total - done) / done);
                eta = String.format(" ETA %d:%02d", left / 60, left % 60);
            }
            String pct = total > 0 ? String.format("%3d%% ", Math.min(100, done * 100 / total)) : "";
            String line = pct + bytes(done) + (total > 0 ? " / " + bytes(total) : "") + ", " + files + (filesTotal > 0 ? "/" + filesTotal : "") + " files" + eta;
            if (tty) {
                int width = 30;
                int fill = total > 0 ? (int) Math.min(width, done * width / total) : 0;
                to.print("\r[" + "#".repeat(fill) + " ".repeat(width - fill) + "] " + line + "   ");
                shown = true;
            } else if (now - lastLine > 10_000_000_000L) {
                lastLine = now;
                to.println(line);
            }
        }

        synchronized void done() {
            if (tty && shown) to.println();
        }
    }
}
