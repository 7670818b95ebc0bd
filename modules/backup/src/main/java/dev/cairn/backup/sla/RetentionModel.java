package dev.cairn.backup.sla;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.temporal.IsoFields;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The job's {@code keep} rules (restic's forget semantics: each rule keeps the newest snapshot of
 * its next N buckets in the job's time zone, {@code last} the N newest, {@code within} all younger
 * than the duration before the newest) applied to simulated run times, to find how many snapshots
 * the retention leaves at the least, once it is in its steady state.
 */
public record RetentionModel(int last, int hourly, int daily, int weekly, int monthly, int yearly, Duration within) {

    public boolean empty() {
        return last <= 0 && hourly <= 0 && daily <= 0 && weekly <= 0 && monthly <= 0 && yearly <= 0
                && (within == null || within.isZero());
    }

    /** The snapshots (run times) that survive a forget, newest first. */
    public List<Instant> keep(List<Instant> snapshots, ZoneId zone) {
        List<Instant> sorted = new ArrayList<>(snapshots);
        sorted.sort(Comparator.reverseOrder());
        if (empty()) return sorted;
        int[] left = {last, hourly, daily, weekly, monthly, yearly};
        long[] lastBucket = new long[6];
        java.util.Arrays.fill(lastBucket, Long.MIN_VALUE);
        List<Instant> kept = new ArrayList<>();
        Instant newest = sorted.isEmpty() ? null : sorted.get(0);
        int seq = 0;
        for (Instant s : sorted) {
            boolean keep = within != null && !within.isZero() && Duration.between(s, newest).compareTo(within) <= 0;
            ZonedDateTime t = s.atZone(zone);
            for (int r = 0; r < 6; r++) {
                if (left[r] <= 0) continue;
                long b = switch (r) {
                    case 0 -> seq;
                    case 1 -> t.getYear() * 100_000L + t.getDayOfYear() * 100L + t.getHour();
                    case 2 -> t.getYear() * 1000L + t.getDayOfYear();
                    case 3 -> t.get(IsoFields.WEEK_BASED_YEAR) * 100L + t.get(IsoFields.WEEK_OF_WEEK_BASED_YEAR);
                    case 4 -> t.getYear() * 100L + t.getMonthValue();
                    default -> t.getYear();
                };
                if (b != lastBucket[r]) {
                    lastBucket[r] = b;
                    left[r]--;
                    keep = true;
                }
            }
            seq++;
            if (keep) kept.add(s);
        }
        return kept;
    }

    /**
     * The fewest snapshots left after a forget, over the second half of {@code runs} runs of
     * {@code schedule} (the first half fills the buckets); {@code Integer.MAX_VALUE} when
     * nothing is ever removed.
     */
    public int steadyMinimum(ScheduleModel schedule, ZoneId zone, int runs) {
        if (empty()) return Integer.MAX_VALUE;
        List<Instant> times = schedule.runs(Instant.parse("2026-01-01T00:00:00Z"), runs, zone);
        List<Instant> kept = new ArrayList<>();
        int min = Integer.MAX_VALUE;
        for (int i = 0; i < times.size(); i++) {
            kept.add(times.get(i));
            kept = keep(kept, zone);
            if (i >= runs / 2) min = Math.min(min, kept.size());
        }
        return min;
    }
}
