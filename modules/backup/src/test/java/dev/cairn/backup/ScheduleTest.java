package dev.cairn.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cairn.backup.schedule.Schedule;
import java.time.Instant;
import java.time.ZoneId;
import org.junit.jupiter.api.Test;

class ScheduleTest {

    static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");

    @Test
    void dailyRunsAtTheLocalTimeAcrossDstChanges() {
        Schedule s = Schedule.parse("daily 02:30");
        // 2026-03-29 02:30 does not exist in Berlin: the run is at the first minute after the gap
        assertThat(s.next(Instant.parse("2026-03-28T12:00:00Z"), BERLIN)).isEqualTo(Instant.parse("2026-03-29T01:30:00Z"));
        assertThat(s.next(Instant.parse("2026-03-29T12:00:00Z"), BERLIN)).isEqualTo(Instant.parse("2026-03-30T00:30:00Z"));
        // 2026-10-25 02:30 happens twice: the run is once, at the first
        Instant first = s.next(Instant.parse("2026-10-24T12:00:00Z"), BERLIN);
        assertThat(first).isEqualTo(Instant.parse("2026-10-25T00:30:00Z"));
        assertThat(s.next(first, BERLIN)).isEqualTo(Instant.parse("2026-10-26T01:30:00Z"));
    }

    @Test
    void everyCronWeeklyAndCatchUp() {
        assertThat(Schedule.parse("every 5m").next(Instant.parse("2026-12-03T11:02:10Z"), BERLIN)).isEqualTo(Instant.parse("2026-12-03T11:05:00Z"));
        assertThat(Schedule.parse("*/15 9-17 * * 1-5").next(Instant.parse("2026-12-04T16:50:00Z"), ZoneId.of("UTC")))
                .as("Friday 17:00, then Monday 09:00").isEqualTo(Instant.parse("2026-12-04T17:00:00Z"));
        assertThat(Schedule.parse("*/15 9-17 * * 1-5").next(Instant.parse("2026-12-04T17:50:00Z"), ZoneId.of("UTC")))
                .isEqualTo(Instant.parse("2026-12-07T09:00:00Z"));
        assertThat(Schedule.parse("weekly sun 03:00").next(Instant.parse("2026-12-03T00:00:00Z"), ZoneId.of("UTC")))
                .isEqualTo(Instant.parse("2026-12-06T03:00:00Z"));
        assertThat(Schedule.parse("daily 02:00").previous(Instant.parse("2026-12-03T11:00:00Z"), ZoneId.of("UTC")))
                .as("the run a catch-up compares with").isEqualTo(Instant.parse("2026-12-03T02:00:00Z"));
        assertThat(Schedule.parse("manual").next(Instant.now(), BERLIN)).isNull();
        assertThatThrownBy(() -> Schedule.parse("daily 25:00")).hasMessageContaining("not a time");
        assertThatThrownBy(() -> Schedule.parse("sometimes")).hasMessageContaining("is not a schedule");
        assertThatThrownBy(() -> Schedule.parse("61 * * * *")).hasMessageContaining("outside 0-59");
    }
}
