package dev.cairn.proxy.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Locale;
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
}
