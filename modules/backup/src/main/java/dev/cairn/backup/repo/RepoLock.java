package dev.cairn.backup.repo;

import dev.cairn.backup.BackupErrors;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A lock object in {@code locks/}: shared for backups (several jobs may write at once),
 * exclusive for prune and repair. Stale locks (dead pid on this host, or not refreshed for
 * {@link #STALE_AFTER}) are removed. Refreshed every {@link #REFRESH_EVERY} while held.
 */
public final class RepoLock implements AutoCloseable {

    public static final Duration STALE_AFTER = Duration.ofMinutes(30);
    public static final Duration REFRESH_EVERY = Duration.ofMinutes(5);
    static final String AAD = "cairn-lock";

    private final Repository repo;
    private final boolean exclusive;
    private final String job;
    private volatile String name;
    private final ScheduledExecutorService refresher;

    /** Who holds a lock. */
    public record Holder(String name, boolean exclusive, String host, long pid, long timeMs, String job) {
        boolean stale(String myHost) {
            if (System.currentTimeMillis() - timeMs > STALE_AFTER.toMillis()) return true;
            return host.equals(myHost) && ProcessHandle.of(pid).isEmpty();
        }

        @Override
        public String toString() {
            return (exclusive ? "exclusive" : "shared") + " lock of " + (job.isEmpty() ? "" : "job " + job + ", ")
                    + "pid " + pid + " on " + host + " since " + java.time.Instant.ofEpochMilli(timeMs);
        }
    }

    /** The lock is held by someone else. */
    public static final class LockedException extends IOException {
        private static final long serialVersionUID = 1L;

        public LockedException(String message) {
            super(message);
        }
    }

    private RepoLock(Repository repo, boolean exclusive, String job) {
        this.repo = repo;
        this.exclusive = exclusive;
        this.job = job == null ? "" : job;
        this.refresher = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "cairn-backup-lock");
            t.setDaemon(true);
            return t;
        });
    }

    public static String hostName() {
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "localhost";
        }
    }

    public static RepoLock acquire(Repository repo, boolean exclusive, String job) throws IOException {
        RepoLock l = new RepoLock(repo, exclusive, job);
        l.name = l.write();
        try {
            for (Holder h : holders(repo)) {
                if (h.name.equals(l.name)) continue;
                if (h.stale(hostName())) {
                    repo.store().delete(h.name);
                    continue;
                }
                if (exclusive || h.exclusive) {
                    throw new LockedException(BackupErrors.LOCKED.id() + " repository " + repo.store().describe() + " is locked: " + h
                            + (exclusive ? " (prune needs it alone; retry when the backup is done)" : ""));
                }
            }
        } catch (IOException | RuntimeException e) {
            l.close();
            throw e;
        }
        long every = REFRESH_EVERY.toMillis();
        l.refresher.scheduleAtFixedRate(l::refresh, every, every, TimeUnit.MILLISECONDS);
        return l;
    }

    private String write() throws IOException {
        Wire.Out o = new Wire.Out(128);
        o.u8(exclusive ? 1 : 0).str(hostName()).u64(ProcessHandle.current().pid()).u64(System.currentTimeMillis()).str(job);
        String n = "locks/" + Wire.hex(Crypto.random(16));
        repo.store().putIfAbsent(n, repo.crypto().seal(o.toByteArray(), AAD));
        return n;
    }

    private void refresh() {
        try {
            String old = name;
            name = write();
            repo.store().delete(old);
        } catch (IOException e) {
            // the next refresh retries; the lock turns stale only after 30 minutes
        }
    }

    public static List<Holder> holders(Repository repo) throws IOException {
        List<Holder> out = new ArrayList<>();
        for (var o : repo.store().list("locks/")) {
            try {
                Wire.In in = new Wire.In(repo.crypto().open(repo.store().get(o.name()), AAD));
                out.add(new Holder(o.name(), in.u8() == 1, in.str(1024), in.u64(), in.u64(), in.str(1024)));
            } catch (NoSuchFileException gone) {
                // released meanwhile
            } catch (RuntimeException damaged) {
                out.add(new Holder(o.name(), false, "?", -1, 0, "")); // unreadable: stale by age
            }
        }
        return out;
    }

    @Override
    public void close() throws IOException {
        refresher.shutdownNow();
        if (name != null) repo.store().delete(name);
        name = null;
    }
}
