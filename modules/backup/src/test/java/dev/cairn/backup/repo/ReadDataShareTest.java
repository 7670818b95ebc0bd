package dev.cairn.backup.repo;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** check --read-data=P%: a different slice each day, and every pack within 100/P days. */
class ReadDataShareTest {

    @Test
    void aTenPercentShareReadsAboutATenthADayAndEveryPackInTenDays() {
        List<String> packs = new ArrayList<>();
        for (int i = 0; i < 2000; i++) packs.add(Wire.hex(Crypto.sha256(new byte[] {(byte) i, (byte) (i >> 8)})));
        long day0 = java.time.LocalDate.parse("2026-12-04").toEpochDay();
        Set<String> seen = new HashSet<>();
        Set<String> previous = null;
        for (long d = day0; d < day0 + 10; d++) {
            Set<String> today = new HashSet<>();
            for (String hex : packs) if (Maintenance.selected(hex, "10%", d)) today.add(hex);
            assertThat(today.size()).as("day " + (d - day0)).isBetween(140, 260);
            if (previous != null) assertThat(today).as("a different slice each day").doesNotContainAnyElementsOf(previous);
            seen.addAll(today);
            previous = today;
        }
        assertThat(seen).as("ten days cover every pack").hasSize(packs.size());
        assertThat(packs).allMatch(h -> Maintenance.selected(h, "100%", day0) && Maintenance.selected(h, null, day0));
    }
}
