package dev.cairn.backup.sla;

import java.time.DayOfWeek;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Locale;

/**
 * When a job's schedule fires, for the SLA checks (the longest gap between runs against the RPO,
 * the run times a retention policy would see). Forms: {@code every 15m}, {@code hourly},
 * {@code daily [HH:MM]}, {@code weekly [MON] [HH:MM]}, {@code monthly [D] [HH:MM]}, and five-field
 * cron ({@code m h dom mon dow}: numbers, {@code *}, lists, ranges, steps; dow 0-7, Sunday 0 or 7).
 */
public final class ScheduleModel {

    private final String text;
    private final Duration every;
    private final BitSet minute = new BitSet(60);
    private final BitSet hour = new BitSet(24);
    private final BitSet dom = new BitSet(32);
    private final BitSet month = new BitSet(13);
    private final BitSet dow = new BitSet(8);
    private boolean domStar;
    private boolean dowStar;

    private ScheduleModel(String text, Duration every) {
        this.text = text;
        this.every = every;
    }

    /** Parses a schedule; IllegalArgumentException with a message naming the problem. */
    public static ScheduleModel parse(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        String[] w = t.split("\\s+");
        if (w[0].equals("every")) {
            if (w.length != 2) throw new IllegalArgumentException("'" + text + "': write 'every 15m'");
            Duration d = dev.cairn.spi.config.Durations.parse(w[1]);
            if (d.isZero() || d.isNegative()) throw new IllegalArgumentException("'" + text + "': the interval must be positive");
            return new ScheduleModel(text, d);
        }
        ScheduleModel s = new ScheduleModel(text, null);
        switch (w[0]) {
            case "hourly" -> s.cron("0 * * * *");
            case "daily" -> s.cron(at(w, 1, text) + " * * *");
            case "weekly" -> {
                int i = 1;
                String day = "1";
                if (w.length > 1 && !w[1].contains(":")) {
                    day = Integer.toString(dayOfWeek(w[1], text).getValue() % 7);
                    i = 2;
                }
                s.cron(at(w, i, text) + " * * " + day);
            }
            case "monthly" -> {
                int i = 1;
                String day = "1";
                if (w.length > 1 && !w[1].contains(":")) {
                    day = w[1];
                    i = 2;
                }
                s.cron(at(w, i, text) + " " + day + " * *");
            }
            default -> {
                if (w.length != 5) {
                    throw new IllegalArgumentException("'" + text + "' is not a schedule (every 15m, hourly, daily 02:00, weekly sun 03:00, monthly 1 04:00, or five cron fields)");
                }
                s.cron(t);
            }
        }
        return s;
    }

    private static String at(String[] w, int i, String text) {
        if (w.length <= i) return "0 0";
        if (w.length > i + 1) throw new IllegalArgumentException("'" + text + "': unexpected '" + w[i + 1] + "'");
        try {
            LocalTime lt = LocalTime.parse(w[i].length() == 4 ? "0" + w[i] : w[i]);
            return lt.getMinute() + " " + lt.getHour();
        } catch (java.time.format.DateTimeParseException e) {
            throw new IllegalArgumentException("'" + text + "': '" + w[i] + "' is not a time of day (HH:MM)");
        }
    }

    private static DayOfWeek dayOfWeek(String s, String text) {
        for (DayOfWeek d : DayOfWeek.values()) {
            if (d.name().toLowerCase(Locale.ROOT).startsWith(s) && s.length() >= 3) return d;
        }
        throw new IllegalArgumentException("'" + text + "': '" + s + "' is not a day of the week");
    }

    private void cron(String spec) {
        String[] f = spec.trim().split("\\s+");
        if (f.length != 5) throw new IllegalArgumentException("'" + text + "': cron needs five fields");
        field(f[0], minute, 0, 59);
        field(f[1], hour, 0, 23);
        field(f[2], dom, 1, 31);
        field(f[3], month, 1, 12);
        field(f[4], dow, 0, 7);
        if (dow.get(7)) dow.set(0);
        domStar = f[2].equals("*");
        dowStar = f[4].equals("*");
    }

    private void field(String f, BitSet bits, int min, int max) {
        for (String part : f.split(",")) {
            int step = 1;
            String range = part;
            int slash = part.indexOf('/');
            if (slash >= 0) {
                step = num(part.substring(slash + 1), 1, max);
                range = part.substring(0, slash);
            }
            int lo;
            int hi;
            if (range.equals("*")) {
                lo = min;
                hi = max;
            } else if (range.contains("-")) {
                lo = num(range.substring(0, range.indexOf('-')), min, max);
                hi = num(range.substring(range.indexOf('-') + 1), min, max);
            } else {
                lo = num(range, min, max);
                hi = slash >= 0 ? max : lo;
            }
            for (int v = lo; v <= hi; v += step) bits.set(v);
        }
    }

    private int num(String s, int min, int max) {
        try {
            int v = Integer.parseInt(s);
            if (v < min || v > max) throw new IllegalArgumentException("'" + text + "': " + v + " is out of range " + min + ".." + max);
            return v;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "': '" + s + "' is not a number");
        }
    }

    /** The first run strictly after {@code after}. */
    public Instant next(Instant after, ZoneId zone) {
        if (every != null) {
            long n = Math.floorDiv(after.toEpochMilli(), every.toMillis()) + 1;
            return Instant.ofEpochMilli(n * every.toMillis());
        }
        // Day by day in local time; a time a DST change skips runs at the first valid instant after it (as cron does).
        java.time.LocalDate day = after.atZone(zone).toLocalDate().minusDays(1);
        for (int i = 0; i < 366 * 5; i++, day = day.plusDays(1)) {
            if (!month.get(day.getMonthValue())) continue;
            boolean domOk = dom.get(day.getDayOfMonth());
            boolean dowOk = dow.get(day.getDayOfWeek().getValue() % 7);
            if (!(domStar || dowStar ? domOk && dowOk : domOk || dowOk)) continue;
            for (int h = hour.nextSetBit(0); h >= 0; h = hour.nextSetBit(h + 1)) {
                for (int m = minute.nextSetBit(0); m >= 0; m = minute.nextSetBit(m + 1)) {
                    Instant c = ZonedDateTime.of(day, LocalTime.of(h, m), zone).toInstant();
                    if (c.isAfter(after)) return c;
                }
            }
        }
        throw new IllegalArgumentException("'" + text + "' never fires");
    }

    /** {@code count} run times from {@code start}. */
    public List<Instant> runs(Instant start, int count, ZoneId zone) {
        List<Instant> out = new ArrayList<>(count);
        Instant t = start;
        for (int i = 0; i < count; i++) {
            t = next(t, zone);
            out.add(t);
        }
        return out;
    }

    /** The longest time between two runs over a year (months and DST changes included). */
    public Duration longestGap(ZoneId zone) {
        if (every != null) return every;
        Instant start = Instant.parse("2026-01-01T00:00:00Z");
        Instant end = start.plus(Duration.ofDays(400));
        Duration longest = Duration.ZERO;
        Instant prev = next(start, zone);
        while (prev.isBefore(end)) {
            Instant n = next(prev, zone);
            Duration gap = Duration.between(prev, n);
            if (gap.compareTo(longest) > 0) longest = gap;
            prev = n;
        }
        return longest;
    }

    @Override
    public String toString() {
        return text;
    }
}
