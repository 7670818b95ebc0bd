package dev.cairn.proxy.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.Random;
import org.junit.jupiter.api.Test;

class AccessLogTest {

    @Test
    void millisecondsReadAsStringFormatWouldWriteThem() {
        long[] samples = {0, 1, 499, 500, 999, 1_000, 1_499, 9_999, 10_000, 123_456, 999_999, 1_000_000, 1_234_567,
                12_345_678_901L, 3_600_000_000_000L};
        for (long nanos : samples) {
            String expected = String.format(Locale.ROOT, "%.3f", Math.round(nanos / 1000.0) / 1000.0);
            assertThat(AccessLog.millis(new StringBuilder(), nanos).toString()).as("%d ns", nanos).isEqualTo(expected);
        }
    }

    @Test
    void timesReadAsInstantToStringAndTheCombinedFormatterWriteThem() {
        DateTimeFormatter clf = DateTimeFormatter.ofPattern("dd/MMM/yyyy:HH:mm:ss Z", Locale.ROOT).withZone(ZoneOffset.UTC);
        Random random = new Random(15);
        long base = Instant.parse("2026-12-04T18:33:25Z").getEpochSecond();
        int[] nanos = {0, 1, 999, 1_000, 123_000, 999_000_000, 120_000_000, 123_456_000, 123_456_789, 100, 10_000_000};
        for (int i = 0; i < 2_000; i++) {
            // Neighbouring seconds (the cached text must follow) and a few far apart.
            long sec = i % 50 == 0 ? random.nextInt(Integer.MAX_VALUE) : base + random.nextInt(3);
            int nano = i < nanos.length ? nanos[i] : switch (random.nextInt(3)) {
                case 0 -> random.nextInt(1000) * 1_000_000;
                case 1 -> random.nextInt(1_000_000) * 1_000;
                default -> random.nextInt(1_000_000_000);
            };
            Instant t = Instant.ofEpochSecond(sec, nano);
            assertThat(AccessLog.iso(new StringBuilder(), t).toString()).isEqualTo(t.toString());
            assertThat(AccessLog.clf(new StringBuilder(), t).toString()).isEqualTo(clf.format(t));
        }
    }
}
