package dev.cairn.backup.retention;

import dev.cairn.backup.repo.Repository.SnapshotRef;
import java.time.Duration;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.temporal.IsoFields;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * restic's forget semantics for one job's snapshots: walking from the newest, each rule keeps
 * the newest snapshot of each of its next N buckets (hours, days, ISO weeks, months, years in the
 * job's time zone); {@code last} keeps the N newest; {@code within} keeps everything younger than
 * the duration before the newest snapshot. A snapshot is kept when any rule keeps it. With no
 * rule at all nothing is removed.
 */
public record KeepPolicy(int last, int hourly, int daily, int weekly, int monthly, int yearly, Duration within) {

    public boolean empty() {
        return last <= 0 && hourly <= 0 && daily <= 0 && weekly <= 0 && monthly <= 0 && yearly <= 0
                && (within == null || within.isZero());
    }

    /** Why each snapshot is kept (empty list: removed), newest first. */
    public Map<SnapshotRef, List<String>> decide(List<SnapshotRef> snapshots, ZoneId zone) {
        List<SnapshotRef> sorted = new ArrayList<>(snapshots);
        sorted.sort(Comparator.comparingLong((SnapshotRef r) -> r.header().timeNs()).reversed().thenComparing(SnapshotRef::id));
        Map<SnapshotRef, List<String>> out = new LinkedHashMap<>();
        if (sorted.isEmpty()) return out;
        int[] left = {last, hourly, daily, weekly, monthly, yearly};
        String[] names = {"last", "hourly", "daily", "weekly", "monthly", "yearly"};
        long[] lastBucket = {Long.MIN_VALUE, Long.MIN_VALUE, Long.MIN_VALUE, Long.MIN_VALUE, Long.MIN_VALUE, Long.MIN_VALUE};
        long newest = sorted.get(0).header().timeNs();
        int seq = 0;
        for (SnapshotRef s : sorted) {
            List<String> why = new ArrayList<>();
            if (empty()) why.add("no keep rules");
            ZonedDateTime t = s.header().time().atZone(zone);
            if (within != null && !within.isZero() && newest - s.header().timeNs() <= within.toNanos()) {
                why.add("within " + dev.cairn.spi.config.Durations.format(within));
            }
            for (int r = 0; r < left.length; r++) {
                if (left[r] <= 0) continue;
                long b = bucket(r, t, seq);
                if (b != lastBucket[r]) {
                    lastBucket[r] = b;
                    left[r]--;
                    why.add(names[r]);
                }
            }
            seq++;
            out.put(s, why);
        }
        return out;
    }

    private static long bucket(int rule, ZonedDateTime t, int seq) {
        long day = t.getYear() * 10_000L + t.getMonthValue() * 100L + t.getDayOfMonth();
        return switch (rule) {
            case 0 -> seq;
            case 1 -> day * 100 + t.getHour();
            case 2 -> day;
            case 3 -> t.get(IsoFields.WEEK_BASED_YEAR) * 100L + t.get(IsoFields.WEEK_OF_WEEK_BASED_YEAR);
            case 4 -> t.getYear() * 100L + t.getMonthValue();
            default -> t.getYear();
        };
    }
}
