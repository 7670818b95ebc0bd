package dev.cairn.backup.sla;

import dev.cairn.backup.repo.Repository;
import dev.cairn.backup.repo.Snapshot;
import dev.cairn.backup.retention.KeepPolicy;
import dev.cairn.backup.schedule.Schedule;
import dev.cairn.backup.source.SourceErrors;
import dev.cairn.spi.config.ConfigProblems;
import dev.cairn.spi.config.Durations;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What {@code cairn check} refuses in a job's SLA: promises its schedule, retention or source
 * cannot keep. Each problem is reported at the SLA key it is about (file:line:col).
 *
 * <ul>
 *   <li>an {@code rpo} shorter than the longest gap between two scheduled runs;</li>
 *   <li>{@code versions} more than the {@code keep} rules leave (simulated over the schedule);</li>
 *   <li>{@code verify: restore-test} on a source that cannot be restored into scratch space;</li>
 *   <li>an {@code rto} without {@code verify: restore-test} (nothing would measure it).</li>
 * </ul>
 */
public final class SlaRules {

    /** Upper bound of simulated runs for the retention check. */
    static final int MAX_SIMULATED_RUNS = 20_000;

    /**
     * Whether a source can be restored into scratch space by a restore test.
     *
     * @param kind {@code directory}, {@code mysql}, {@code command}, {@code prometheus}, {@code grafana}
     * @param whyNot null when it can, else what is missing (e.g. "set verify.scratch")
     */
    public record SourceFacts(String kind, String whyNot) {
    }

    private SlaRules() {
    }

    /**
     * Checks {@code sla} of a job. {@code schedule} is the job's schedule text, {@code keep} its
     * retention (null: nothing removed).
     */
    public static void validate(SlaConfig sla, String schedule, ZoneId zone, KeepPolicy keep, SourceFacts source,
                                ConfigProblems problems) {
        if (sla == null) return;
        Schedule model;
        try {
            model = Schedule.parse(schedule);
        } catch (IllegalArgumentException e) {
            return; // the schedule key reports its own error
        }
        if (model.manual()) model = null;
        if (sla.rpo() != null) {
            if (model == null) {
                problems.error(sla, "rpo", SourceErrors.SLA_IMPOSSIBLE + ": an rpo needs a schedule: the job runs only on demand");
            } else {
                Duration gap = longestGap(model, zone);
                if (sla.rpo().compareTo(gap) < 0) {
                    problems.error(sla, "rpo", SourceErrors.SLA_IMPOSSIBLE + ": rpo " + Durations.format(sla.rpo())
                            + " is shorter than the schedule '" + schedule + "' allows (up to " + Durations.format(gap)
                            + " between runs): run more often or promise less");
                }
            }
        }
        if (keep != null && !keep.empty() && model != null && sla.versions() > 1) {
            int least = steadyMinimum(keep, model, zone, simulatedRuns(keep, model, zone, sla.versions()));
            if (least < sla.versions()) {
                problems.error(sla, "versions", SourceErrors.SLA_IMPOSSIBLE + ": versions " + sla.versions()
                        + " but the job's keep rules leave as few as " + least + " snapshot(s) of schedule '" + schedule
                        + "': keep more or promise fewer versions");
            }
        }
        VerifyConfig.Mode mode = sla.verify() == null ? VerifyConfig.Mode.STRUCTURE : sla.verify().mode();
        if (mode == VerifyConfig.Mode.RESTORE_TEST && source != null && source.whyNot() != null) {
            problems.error(sla.verify() != null ? sla.verify() : sla, sla.verify() != null ? "mode" : "verify",
                    SourceErrors.SLA_IMPOSSIBLE + ": restore-test of a " + source.kind() + " source needs a way to restore it: "
                            + source.whyNot());
        }
        if (sla.rto() != null && mode != VerifyConfig.Mode.RESTORE_TEST) {
            problems.error(sla, "rto", SourceErrors.SLA_IMPOSSIBLE + ": an rto is measured only by restoring: set verify: restore-test");
        }
        if (sla.rto() != null && sla.rto().isZero()) {
            problems.error(sla, "rto", SourceErrors.SLA_IMPOSSIBLE + ": rto must be longer than 0s");
        }
    }

    /** The longest time between two runs over 400 days (month lengths and DST changes included). */
    public static Duration longestGap(Schedule schedule, ZoneId zone) {
        if (schedule.every() != null) return schedule.every(); // runs on multiples of it in UTC: no DST, no month
        Instant start = Instant.parse("2026-01-01T00:00:00Z");
        Instant end = start.plus(Duration.ofDays(400));
        Duration longest = Duration.ZERO;
        Instant prev = schedule.next(start, zone);
        while (prev != null && prev.isBefore(end)) {
            Instant n = schedule.next(prev, zone);
            if (n == null) break;
            Duration gap = Duration.between(prev, n);
            if (gap.compareTo(longest) > 0) longest = gap;
            prev = n;
        }
        return longest;
    }

    /**
     * The fewest snapshots the keep rules leave after a run, over the second half of {@code runs}
     * simulated runs of the schedule (the first half fills the buckets).
     */
    static int steadyMinimum(KeepPolicy keep, Schedule schedule, ZoneId zone, int runs) {
        List<Repository.SnapshotRef> kept = new ArrayList<>();
        Instant t = Instant.parse("2026-01-01T00:00:00Z");
        int min = Integer.MAX_VALUE;
        for (int i = 0; i < runs; i++) {
            t = schedule.next(t, zone);
            if (t == null) break;
            long ns = t.getEpochSecond() * 1_000_000_000L + t.getNano();
            kept.add(new Repository.SnapshotRef(Long.toString(i), new Snapshot.Header("sla", "check", ns, "", false, List.of(),
                    List.of(), Map.of(), List.of(), 0, 0, 0, 0)));
            List<Repository.SnapshotRef> next = new ArrayList<>();
            for (Map.Entry<Repository.SnapshotRef, List<String>> e : keep.decide(kept, zone).entrySet()) {
                if (!e.getValue().isEmpty()) next.add(e.getKey());
            }
            kept = next;
            if (i >= runs / 2) min = Math.min(min, kept.size());
        }
        return min;
    }

    /** Enough runs for every keep rule's buckets to fill twice over, bounded. */
    static int simulatedRuns(KeepPolicy k, Schedule schedule, ZoneId zone, int versions) {
        Duration span = Duration.ZERO;
        span = max(span, Duration.ofHours(k.hourly()));
        span = max(span, Duration.ofDays(k.daily()));
        span = max(span, Duration.ofDays(7L * k.weekly()));
        span = max(span, Duration.ofDays(31L * k.monthly()));
        span = max(span, Duration.ofDays(366L * k.yearly()));
        if (k.within() != null) span = max(span, k.within());
        Instant a = Instant.parse("2026-01-01T00:00:00Z");
        Instant b = a;
        for (int i = 0; i < 20 && b != null; i++) b = schedule.next(b, zone);
        long perRun = b == null ? 60_000 : Math.max(60_000, Duration.between(a, b).toMillis() / 20);
        long runs = 2 * (span.toMillis() / perRun) + 2L * Math.max(k.last(), versions) + 20;
        return (int) Math.min(MAX_SIMULATED_RUNS, runs);
    }

    private static Duration max(Duration a, Duration b) {
        return a.compareTo(b) >= 0 ? a : b;
    }
}
