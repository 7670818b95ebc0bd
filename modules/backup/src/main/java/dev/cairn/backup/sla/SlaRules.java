package dev.cairn.backup.sla;

import dev.cairn.backup.source.SourceErrors;
import dev.cairn.spi.config.ConfigProblems;
import dev.cairn.spi.config.Durations;
import java.time.Duration;
import java.time.ZoneId;

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
     * Checks {@code sla} of a job. {@code schedule} is the job's schedule text (null: run only on
     * demand), {@code keep} its retention (null: nothing removed).
     */
    public static void validate(SlaConfig sla, String schedule, ZoneId zone, RetentionModel keep, SourceFacts source,
                                ConfigProblems problems) {
        if (sla == null) return;
        ScheduleModel model = null;
        if (schedule != null) {
            try {
                model = ScheduleModel.parse(schedule);
            } catch (IllegalArgumentException e) {
                return; // the schedule key reports its own error
            }
        }
        if (sla.rpo() != null) {
            if (model == null) {
                problems.error(sla, "rpo", SourceErrors.SLA_IMPOSSIBLE + ": an rpo needs a schedule: the job runs only on demand");
            } else {
                Duration gap = model.longestGap(zone);
                if (sla.rpo().compareTo(gap) < 0) {
                    problems.error(sla, "rpo", SourceErrors.SLA_IMPOSSIBLE + ": rpo " + Durations.format(sla.rpo())
                            + " is shorter than the schedule '" + schedule + "' allows (up to " + Durations.format(gap)
                            + " between runs): run more often or promise less");
                }
            }
        }
        if (keep != null && model != null && sla.versions() > 1) {
            int runs = simulatedRuns(keep, model, zone, sla.versions());
            int least = keep.steadyMinimum(model, zone, runs);
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

    /** Enough runs for every keep rule's buckets to fill twice over, bounded. */
    static int simulatedRuns(RetentionModel k, ScheduleModel schedule, ZoneId zone, int versions) {
        Duration span = Duration.ZERO;
        span = max(span, Duration.ofHours(k.hourly()));
        span = max(span, Duration.ofDays(k.daily()));
        span = max(span, Duration.ofDays(7L * k.weekly()));
        span = max(span, Duration.ofDays(31L * k.monthly()));
        span = max(span, Duration.ofDays(366L * k.yearly()));
        if (k.within() != null) span = max(span, k.within());
        Instant0 probe = new Instant0(schedule, zone);
        long perRun = Math.max(60_000, probe.averageGapMillis());
        long runs = 2 * (span.toMillis() / perRun) + 2L * Math.max(k.last(), versions) + 20;
        return (int) Math.min(MAX_SIMULATED_RUNS, runs);
    }

    private static Duration max(Duration a, Duration b) {
        return a.compareTo(b) >= 0 ? a : b;
    }

    /** The average gap of a schedule over its first runs. */
    private record Instant0(ScheduleModel schedule, ZoneId zone) {
        long averageGapMillis() {
            var runs = schedule.runs(java.time.Instant.parse("2026-01-01T00:00:00Z"), 50, zone);
            return Duration.between(runs.get(0), runs.get(runs.size() - 1)).toMillis() / (runs.size() - 1);
        }
    }
}
