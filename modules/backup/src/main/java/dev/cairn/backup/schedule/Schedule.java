package dev.cairn.backup.schedule;

import dev.cairn.spi.config.Durations;
import java.time.DayOfWeek;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.temporal.ChronoUnit;
import java.util.BitSet;
import java.util.Locale;

/**
 * When a job runs, in its time zone: {@code every 15m}, {@code hourly}, {@code daily 02:00},
 * {@code weekly sun 03:00}, a five-field cron expression ({@code M H DOM MON DOW}, with lists,
 * ranges and steps), or {@code manual}. Local times that a DST change skips run at the first
 * minute after the gap; repeated ones run once. Immutable.
 */
public final class Schedule {

    private final String text;
    /** The shortest {@code every} (a backup of a small tree takes well under a second). */
    public static final Duration MIN_EVERY = Duration.ofSeconds(10);

    private final Duration every;
    private final BitSet minutes = new BitSet(60), hours = new BitSet(24), days = new BitSet(32), months = new BitSet(13), weekdays = new BitSet(7);
    private final boolean domStar, dowStar;
    private final boolean manual;

    private Schedule(String text, Duration every, boolean manual, boolean domStar, boolean dowStar) {
        this.text = text;
        this.every = every;
        this.manual = manual;
        this.domStar = domStar;
        this.dowStar = dowStar;
    }

    public static Schedule parse(String text) {
        String s = text.trim().toLowerCase(Locale.ROOT).replaceAll("\\s+", " ");
        if (s.equals("manual")) return new Schedule(text, null, true, true, true);
        if (s.startsWith("every ")) {
            Duration d = Durations.parse(s.substring(6));
            if (d.compareTo(MIN_EVERY) < 0) throw new IllegalArgumentException("'" + text + "': at least every " + Durations.format(MIN_EVERY));
            return new Schedule(text, d, false, true, true);
        }
        if (s.equals("hourly")) return cron(text, "0 * * * *");
        if (s.startsWith("daily")) {
            LocalTime t = s.equals("daily") ? LocalTime.of(0, 0) : time(text, s.substring(6));
            return cron(text, t.getMinute() + " " + t.getHour() + " * * *");
        }
        if (s.startsWith("weekly ")) {
            String[] f = s.split(" ");
            if (f.length < 2 || f.length > 3) throw new IllegalArgumentException("'" + text + "': write weekly DAY [HH:MM], e.g. weekly sun 03:00");
            LocalTime t = f.length == 3 ? time(text, f[2]) : LocalTime.of(0, 0);
            return cron(text, t.getMinute() + " " + t.getHour() + " * * " + dow(text, f[1]));
        }
        return cron(text, s);
    }

    private static LocalTime time(String text, String hhmm) {
        try {
            return LocalTime.parse(hhmm.length() == 4 ? "0" + hhmm : hhmm);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("'" + text + "': '" + hhmm + "' is not a time (HH:MM)");
        }
    }

    private static int dow(String text, String d) {
        String[] names = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
        for (int i = 0; i < 7; i++) if (d.startsWith(names[i])) return i;
        throw new IllegalArgumentException("'" + text + "': '" + d + "' is not a day (sun, mon, ...)");
    }

    private static Schedule cron(String text, String expr) {
        String[] f = expr.split(" ");
        if (f.length != 5) {
            throw new IllegalArgumentException("'" + text + "' is not a schedule: write 'every 15m', 'hourly', 'daily 02:00', "
                    + "'weekly sun 03:00', 'manual' or cron 'M H DOM MON DOW'");
        }
        Schedule c = new Schedule(text, null, false, f[2].equals("*"), f[4].equals("*"));
        field(text, f[0], 0, 59, c.minutes);
        field(text, f[1], 0, 23, c.hours);
        field(text, f[2], 1, 31, c.days);
        field(text, f[3], 1, 12, c.months);
        field(text, f[4].replace("7", "0"), 0, 6, c.weekdays);
        return c;
    }

    private static void field(String text, String f, int min, int max, BitSet into) {
        for (String part : f.split(",")) {
            int step = 1;
            String range = part;
            int slash = part.indexOf('/');
            if (slash >= 0) {
                step = Integer.parseInt(part.substring(slash + 1));
                range = part.substring(0, slash);
                if (step < 1) throw new IllegalArgumentException("'" + text + "': step must be at least 1");
            }
            int lo, hi;
            try {
                if (range.equals("*")) {
                    lo = min;
                    hi = max;
                } else if (range.contains("-")) {
                    lo = Integer.parseInt(range.substring(0, range.indexOf('-')));
                    hi = Integer.parseInt(range.substring(range.indexOf('-') + 1));
                } else {
                    lo = Integer.parseInt(range);
                    hi = slash >= 0 ? max : lo;
                }
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("'" + text + "': '" + part + "' is not a cron field");
            }
            if (lo < min || hi > max || lo > hi) throw new IllegalArgumentException("'" + text + "': '" + part + "' is outside " + min + "-" + max);
            for (int v = lo; v <= hi; v += step) into.set(v);
        }
    }

    public boolean manual() {
        return manual;
    }

    /** Whether a cron/daily schedule matches this wall-clock minute. */
    private boolean matches(java.time.LocalDateTime t) {
        if (!minutes.get(t.getMinute()) || !hours.get(t.getHour()) || !months.get(t.getMonthValue())) return false;
        boolean dom = days.get(t.getDayOfMonth());
        boolean dow = weekdays.get(t.getDayOfWeek() == DayOfWeek.SUNDAY ? 0 : t.getDayOfWeek().getValue());
        if (domStar && dowStar) return true;
        if (domStar) return dow;
        if (dowStar) return dom;
        return dom || dow; // cron: either restricted field may match
    }

    /** The interval of an {@code every} schedule, else null. */
    public Duration every() {
        return every;
    }

    /** The first run strictly after {@code after}; null for manual. */
    public Instant next(Instant after, ZoneId zone) {
        if (manual) return null;
        if (every != null) {
            long ms = every.toMillis();
            return Instant.ofEpochMilli(Math.floorDiv(after.toEpochMilli(), ms) * ms + ms);
        }
        // Walk local wall-clock minutes: a time the DST gap skips maps to the first instant after it.
        java.time.LocalDateTime local = after.atZone(zone).toLocalDateTime().truncatedTo(ChronoUnit.MINUTES).plusMinutes(1);
        for (int i = 0; i < 366 * 24 * 60 * 5; i++) {
            if (!months.get(local.getMonthValue())) {
                local = local.withDayOfMonth(1).plusMonths(1).withHour(0).withMinute(0);
                continue;
            }
            if (!hours.get(local.getHour())) {
                local = local.plusHours(1).withMinute(0);
                continue;
            }
            java.time.ZonedDateTime z = local.atZone(zone);
            if (matches(local)) {
                Instant at = z.toInstant();
                if (at.isAfter(after)) return at;
            }
            local = local.plusMinutes(1);
        }
        return null;
    }

    /** The latest scheduled time at or before {@code now} (for catch-up); null if none in the last 400 days. */
    public Instant previous(Instant now, ZoneId zone) {
        if (manual) return null;
        if (every != null) {
            long ms = every.toMillis();
            return Instant.ofEpochMilli(Math.floorDiv(now.toEpochMilli(), ms) * ms);
        }
        for (Duration back = Duration.ofHours(1); back.compareTo(Duration.ofDays(400)) <= 0; back = back.multipliedBy(4)) {
            Instant from = now.minus(back);
            Instant last = null;
            for (Instant t = next(from, zone); t != null && !t.isAfter(now); t = next(t, zone)) last = t;
            if (last != null) return last;
        }
        return null;
    }

    @Override
    public String toString() {
        return text;
    }
}
