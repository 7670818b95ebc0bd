package dev.cairn.backup;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.backup.repo.Repository.SnapshotRef;
import dev.cairn.backup.repo.Snapshot;
import dev.cairn.backup.retention.KeepPolicy;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** restic's forget rules as tables: which snapshots stay, bucketed in the job's time zone. */
class RetentionTest {

    static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");
    static final ZoneId UTC = ZoneId.of("UTC");

    private static List<SnapshotRef> snaps(String... utcTimes) {
        List<SnapshotRef> out = new ArrayList<>();
        for (String t : utcTimes) {
            Instant i = Instant.parse(t);
            out.add(new SnapshotRef(t, new Snapshot.Header("j", "h", i.getEpochSecond() * 1_000_000_000L, null, false, List.of(),
                    List.of(), Map.of(), List.of(), 0, 0, 0, 0)));
        }
        return out;
    }

    private static List<String> kept(KeepPolicy p, ZoneId zone, List<SnapshotRef> s) {
        List<String> out = new ArrayList<>();
        p.decide(s, zone).forEach((ref, why) -> {
            if (!why.isEmpty()) out.add(ref.id());
        });
        return out;
    }

    private static KeepPolicy keep(int last, int hourly, int daily, int weekly, int monthly, int yearly, Duration within) {
        return new KeepPolicy(last, hourly, daily, weekly, monthly, yearly, within);
    }

    @Test
    void dailyAndMonthlyAcrossAMonthEndUseTheJobsTimeZone() {
        // 23:30 UTC is 00:30 the next day in Berlin (UTC+1 in winter)
        List<SnapshotRef> s = snaps("2026-01-28T23:30:00Z", "2026-01-29T23:30:00Z", "2026-01-30T23:30:00Z",
                "2026-01-31T23:30:00Z", "2026-02-01T23:30:00Z");
        KeepPolicy p = keep(0, 0, 3, 0, 2, 0, Duration.ZERO);
        assertThat(kept(p, BERLIN, s)).containsExactly("2026-02-01T23:30:00Z", "2026-01-31T23:30:00Z", "2026-01-30T23:30:00Z");
        // local Feb 2, Feb 1, Jan 31: the monthly rule's second month is January 31 (local), already kept by daily
        assertThat(p.decide(s, BERLIN).get(s.get(2))).containsExactly("daily", "monthly");
        // in UTC the month ends one snapshot later: January 31 23:30 is the newest of January
        assertThat(kept(p, UTC, s)).containsExactly("2026-02-01T23:30:00Z", "2026-01-31T23:30:00Z", "2026-01-30T23:30:00Z");
        assertThat(p.decide(s, UTC).get(s.get(2))).containsExactly("daily");
        assertThat(p.decide(s, UTC).get(s.get(3))).containsExactly("daily", "monthly");
    }

    @Test
    void hourlyAcrossTheAutumnDstChangeCountsTheRepeatedHourOnce() {
        // Berlin 2026-10-25: 03:00 CEST becomes 02:00 CET; 00:10-01:40 UTC are all local 02:xx
        List<SnapshotRef> s = snaps("2026-10-24T23:50:00Z", "2026-10-25T00:10:00Z", "2026-10-25T00:40:00Z",
                "2026-10-25T01:10:00Z", "2026-10-25T01:40:00Z", "2026-10-25T02:10:00Z");
        KeepPolicy p = keep(0, 3, 0, 0, 0, 0, Duration.ZERO);
        assertThat(kept(p, BERLIN, s)).containsExactly("2026-10-25T02:10:00Z", "2026-10-25T01:40:00Z", "2026-10-24T23:50:00Z");
        assertThat(kept(p, UTC, s)).containsExactly("2026-10-25T02:10:00Z", "2026-10-25T01:40:00Z", "2026-10-25T00:40:00Z");
    }

    @Test
    void hourlyAcrossTheSpringDstGap() {
        // Berlin 2026-03-29: 02:00 CET jumps to 03:00 CEST; 00:59 UTC is 01:59 CET, 01:00 UTC is 03:00 CEST
        List<SnapshotRef> s = snaps("2026-03-29T00:30:00Z", "2026-03-29T00:59:00Z", "2026-03-29T01:00:00Z", "2026-03-29T01:30:00Z");
        KeepPolicy p = keep(0, 2, 0, 0, 0, 0, Duration.ZERO);
        assertThat(kept(p, BERLIN, s)).containsExactly("2026-03-29T01:30:00Z", "2026-03-29T00:59:00Z");
    }

    @Test
    void weeklyUsesIsoWeeksAcrossTheYearEnd() {
        // 2026 has an ISO week 53 (Dec 28 - Jan 3); Jan 4 2027 starts week 1
        List<SnapshotRef> s = snaps("2026-12-26T12:00:00Z", "2026-12-27T12:00:00Z", "2026-12-28T12:00:00Z",
                "2027-01-03T12:00:00Z", "2027-01-04T12:00:00Z", "2027-01-05T12:00:00Z");
        assertThat(kept(keep(0, 0, 0, 3, 0, 0, Duration.ZERO), UTC, s))
                .containsExactly("2027-01-05T12:00:00Z", "2027-01-03T12:00:00Z", "2026-12-27T12:00:00Z");
        assertThat(kept(keep(0, 0, 0, 0, 0, 2, Duration.ZERO), UTC, s)).containsExactly("2027-01-05T12:00:00Z", "2026-12-28T12:00:00Z");
    }

    @Test
    void lastAndWithinAreRelativeToTheNewestSnapshot() {
        List<SnapshotRef> s = snaps("2026-01-01T00:00:00Z", "2026-01-05T00:00:00Z", "2026-01-09T00:00:00Z", "2026-01-10T00:00:00Z");
        assertThat(kept(keep(0, 0, 0, 0, 0, 0, Duration.ofDays(4)), UTC, s))
                .containsExactly("2026-01-10T00:00:00Z", "2026-01-09T00:00:00Z");
        assertThat(kept(keep(3, 0, 0, 0, 0, 0, Duration.ZERO), UTC, s))
                .containsExactly("2026-01-10T00:00:00Z", "2026-01-09T00:00:00Z", "2026-01-05T00:00:00Z");
        assertThat(kept(keep(0, 0, 0, 0, 0, 0, Duration.ZERO), UTC, s)).as("no rules: nothing is removed").hasSize(4);
    }
}
