package dev.cairn.backup.repo;

import dev.cairn.backup.source.Source;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** A whole backup as a job runs it: shared lock, orphan adoption, parent lookup, the run. */
public final class Backups {

    private Backups() {
    }

    /** The newest snapshot of {@code job} (any host, any paths: jobs group snapshots), or null. */
    public static Repository.SnapshotRef latest(Repository repo, String job) throws IOException {
        Repository.SnapshotRef best = null;
        for (Repository.SnapshotRef r : repo.snapshots(new ArrayList<>())) {
            if (r.header().job().equals(job)) best = r;
        }
        return best;
    }

    public static BackupRun.Result backup(Repository repo, String job, Source source, List<String> tags, int level,
                                          BackupRun.Progress progress) throws IOException, InterruptedException {
        return backup(repo, job, source, tags, level, Math.max(1, Runtime.getRuntime().availableProcessors()), progress);
    }

    /** @param workers threads hashing, compressing and sealing chunks ({@code backup.workers}) */
    public static BackupRun.Result backup(Repository repo, String job, Source source, List<String> tags, int level, int workers,
                                          BackupRun.Progress progress) throws IOException, InterruptedException {
        try (RepoLock lock = RepoLock.acquire(repo, false, job)) {
            repo.refreshIndex();
            repo.adoptOrphans(64);
            Repository.SnapshotRef parent = latest(repo, job);
            BackupRun.Options o = new BackupRun.Options(job, RepoLock.hostName(), tags, level, Math.max(1, workers));
            try (BackupRun run = new BackupRun(repo, o, parent, progress)) {
                return run.run(source);
            }
        }
    }
}
