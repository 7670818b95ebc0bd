package dev.cairn.backup.sla;

import dev.cairn.backup.source.SourceErrors;
import dev.cairn.spi.config.Durations;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One job's SLA as measured: what happened (backups, verifications, restore tests, copies to a
 * second store) and whether each promise holds now. A snapshot counts towards {@code versions}
 * only once verified; an RPO miss, a failed verification, too few verified versions, a restore
 * test slower than the RTO or a copy lagging behind make the job unhealthy.
 *
 * <p>Thread-safe: the job's thread records, scrapes and status pages read.
 */
public final class SlaTracker {

    /** The fixed set of {@code reason} label values of {@code cairn_backup_sla_met}. */
    public enum Reason {
        RPO, VERSIONS, VERIFY, RTO, COPY;

        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** A promise that does not hold, with an operator's message. */
    public record Breach(Reason reason, String id, String message) {
    }

    private final String job;
    private final SlaConfig sla;
    private final Duration copyLagLimit;
    private final Clock clock;
    private Instant lastSuccess;
    private final Set<String> present = new LinkedHashSet<>();
    private final Set<String> verified = new LinkedHashSet<>();
    /** Per snapshot: when its newest verification known here happened (live or read from a record). */
    private final Map<String, Instant> verifiedAt = new LinkedHashMap<>();
    private Instant lastRestoreTestAt;
    private final List<String> rejectedRecords = new ArrayList<>();
    private Instant lastVerified;
    private Boolean lastVerifyOk;
    private String lastVerifyDetail = "";
    private Duration lastRestoreTest;
    private Boolean lastRestoreTestOk;
    private String lastRestoreTestDetail = "";
    private double dumpLockSeconds = Double.NaN; // NaN: no timed dump (not a database job, or untimed)
    private final Map<String, Duration> storeLag = new LinkedHashMap<>();

    /**
     * @param copyLagLimit a copy to a second store further behind than this breaks the SLA
     *                     (null: the rpo, or no limit without one)
     */
    public SlaTracker(String job, SlaConfig sla, Duration copyLagLimit, Clock clock) {
        this.job = job;
        this.sla = sla == null ? new SlaConfig(null, 1, null, null) : sla;
        this.copyLagLimit = copyLagLimit != null ? copyLagLimit : this.sla.rpo();
        this.clock = clock;
    }

    public String job() {
        return job;
    }

    public SlaConfig sla() {
        return sla;
    }

    /**
     * A backup wrote snapshot {@code id} (not yet verified); {@code lockSeconds} is how long its
     * dump held a global read lock (NaN: none was timed).
     */
    public synchronized void backedUp(String id, Instant at, double lockSeconds) {
        lastSuccess = at;
        present.add(id);
        dumpLockSeconds = lockSeconds;
    }

    /** The snapshots that exist now (after retention, or read from the shared repository). */
    public synchronized void present(Collection<String> ids) {
        present.clear();
        present.addAll(ids);
        verified.retainAll(present);
        verifiedAt.keySet().retainAll(present);
    }

    /** Seeds the last success from the repository (a restart, or another node runs the job). */
    public synchronized void lastSuccess(Instant at) {
        if (lastSuccess == null || at.isAfter(lastSuccess)) lastSuccess = at;
    }

    /** A verification of snapshot {@code id} ({@code structure} or {@code read-data}), now. */
    public synchronized void verified(String id, boolean ok, String detail) {
        verified(id, ok, detail, clock.instant());
    }

    /**
     * A verification of snapshot {@code id} that finished {@code at}. One older than what is
     * already known about the snapshot (a record read again) changes nothing.
     */
    public synchronized void verified(String id, boolean ok, String detail, Instant at) {
        Instant known = verifiedAt.get(id);
        if (known != null && at.isBefore(known)) return;
        verifiedAt.put(id, at);
        if (ok) verified.add(id);
        else verified.remove(id);
        if (lastVerified == null || !at.isBefore(lastVerified)) {
            lastVerified = at;
            lastVerifyOk = ok;
            lastVerifyDetail = detail == null ? "" : detail;
        }
    }

    /** A restore test of snapshot {@code id}, now: a good one also verifies the snapshot. */
    public synchronized void restoreTested(String id, boolean ok, Duration took, String detail) {
        restoreTested(id, ok, took, detail, clock.instant());
    }

    /** A restore test of snapshot {@code id} that finished {@code at}. */
    public synchronized void restoreTested(String id, boolean ok, Duration took, String detail, Instant at) {
        if (lastRestoreTestAt == null || !at.isBefore(lastRestoreTestAt)) {
            lastRestoreTestAt = at;
            lastRestoreTest = took;
            lastRestoreTestOk = ok;
            lastRestoreTestDetail = detail == null ? "" : detail;
        }
        verified(id, ok, detail, at);
    }

    /** Verification records of the repository that were rejected (damaged or tampered with), as last read. */
    public synchronized void rejectedRecords(List<String> rejected) {
        rejectedRecords.clear();
        rejectedRecords.addAll(rejected);
    }

    public synchronized List<String> rejectedRecords() {
        return List.copyOf(rejectedRecords);
    }

    /** How far the copy of this job's snapshots in {@code store} is behind the primary repository. */
    public synchronized void storeLag(String store, Duration lag) {
        storeLag.put(store, lag);
    }

    /** Every promise that does not hold now, in {@link Reason} order. */
    public synchronized List<Breach> breaches() {
        List<Breach> out = new ArrayList<>();
        Instant now = clock.instant();
        if (sla.rpo() != null) {
            if (lastSuccess == null) {
                out.add(new Breach(Reason.RPO, SourceErrors.RPO_MISSED, "no successful backup yet (rpo " + Durations.format(sla.rpo()) + ")"));
            } else {
                Duration age = Duration.between(lastSuccess, now);
                if (age.compareTo(sla.rpo()) > 0) {
                    out.add(new Breach(Reason.RPO, SourceErrors.RPO_MISSED, "last successful backup " + Durations.format(round(age))
                            + " ago, rpo " + Durations.format(sla.rpo())));
                }
            }
        }
        int v = verifiedVersions();
        if (v < sla.versions()) {
            out.add(new Breach(Reason.VERSIONS, SourceErrors.VERSIONS_SHORT, v + " verified version(s), the SLA promises " + sla.versions()));
        }
        if (Boolean.FALSE.equals(lastVerifyOk)) {
            out.add(new Breach(Reason.VERIFY, SourceErrors.VERIFY_FAILED, "last verification failed: " + lastVerifyDetail));
        }
        if (sla.rto() != null && lastRestoreTest != null && lastRestoreTest.compareTo(sla.rto()) > 0) {
            out.add(new Breach(Reason.RTO, SourceErrors.RESTORE_SLOWER_THAN_RTO, "restore test took "
                    + String.format(java.util.Locale.ROOT, "%.1fs", lastRestoreTest.toMillis() / 1000.0) + ", rto " + Durations.format(sla.rto())));
        }
        if (copyLagLimit != null) {
            for (Map.Entry<String, Duration> e : storeLag.entrySet()) {
                if (e.getValue().compareTo(copyLagLimit) > 0) {
                    out.add(new Breach(Reason.COPY, SourceErrors.COPY_LAGGING, "copy to " + e.getKey() + " is "
                            + Durations.format(round(e.getValue())) + " behind (limit " + Durations.format(copyLagLimit) + ")"));
                }
            }
        }
        return out;
    }

    private static Duration round(Duration d) {
        return Duration.ofSeconds(d.toSeconds());
    }

    public synchronized boolean met() {
        return breaches().isEmpty();
    }

    public synchronized int verifiedVersions() {
        int n = 0;
        for (String id : verified) if (present.contains(id)) n++;
        return n;
    }

    public synchronized Instant lastSuccess() {
        return lastSuccess;
    }

    public synchronized Instant lastVerified() {
        return lastVerified;
    }

    public synchronized Boolean lastVerifyOk() {
        return lastVerifyOk;
    }

    /** What the last verification found, one line. */
    public synchronized String lastVerifyDetail() {
        return lastVerifyDetail;
    }

    public synchronized Duration lastRestoreTest() {
        return lastRestoreTest;
    }

    public synchronized Boolean lastRestoreTestOk() {
        return lastRestoreTestOk;
    }

    /** The newest snapshot's dump lock, as read from the repository (a restart, a job another node runs). */
    public synchronized void dumpLockSeconds(double seconds) {
        dumpLockSeconds = seconds;
    }

    public synchronized double dumpLockSeconds() {
        return dumpLockSeconds;
    }

    public synchronized Map<String, Duration> storeLag() {
        return Map.copyOf(storeLag);
    }

    /** Facts for the status page and {@code /api/status}. */
    public synchronized Map<String, Object> details() {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("sla_met", met());
        d.put("breaches", breaches().stream().map(b -> b.reason().label() + ": " + b.message()).toList());
        d.put("last_success", lastSuccess == null ? "never" : lastSuccess.toString());
        d.put("versions_verified", verifiedVersions());
        d.put("versions_promised", sla.versions());
        d.put("last_verify", lastVerifyOk == null ? "never" : (lastVerifyOk ? "ok: " : "FAILED: ") + lastVerifyDetail);
        if (sla.rpo() != null) d.put("rpo", Durations.format(sla.rpo()));
        if (sla.rto() != null) d.put("rto", Durations.format(sla.rto()));
        if (lastRestoreTest != null) d.put("last_restore_test_seconds", lastRestoreTest.toMillis() / 1000.0);
        if (lastVerified != null) d.put("last_verified", lastVerified.toString());
        if (!rejectedRecords.isEmpty()) d.put("verify_records_rejected", List.copyOf(rejectedRecords));
        return d;
    }
}
