package dev.cairn.replication.failover;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** How the servers' copies of the control state merge: order never matters, the last change wins. */
class ControlRecordTest {

    static final long H = 3_600_000L;

    @Test
    void theAckOrDisableChangedLastWinsAndEveryFailoverIsKept() {
        ControlRecord failedOver = new ControlRecord(10 * H, List.of(10 * H - 60_000, 10 * H), false, null, 10 * H);
        ControlRecord disabled = new ControlRecord(10 * H, List.of(10 * H), false, "refused: blocked", 10 * H + 5_000);
        ControlRecord acked = new ControlRecord(10 * H, List.of(10 * H), true, null, 10 * H + 9_000);
        for (List<ControlRecord> order : List.of(List.of(failedOver, disabled, acked), List.of(acked, failedOver, disabled),
                List.of(disabled, acked, failedOver))) {
            ControlRecord m = ControlRecord.NONE;
            for (ControlRecord r : order) {
                m = m.merge(r);
            }
            assertThat(m).isEqualTo(new ControlRecord(10 * H, List.of(10 * H - 60_000, 10 * H), true, null, 10 * H + 9_000));
            assertThat(m.merge(m)).isEqualTo(m);
        }
        // A failover after the ack: not acked again.
        ControlRecord later = new ControlRecord(11 * H, List.of(11 * H), false, null, 11 * H);
        assertThat(acked.merge(later).acked()).isFalse();
        assertThat(acked.merge(later).recoveries()).as("an hour before the latest only").containsExactly(11 * H);
    }

    @Test
    void aTieKeepsTheSaferState() {
        ControlRecord a = new ControlRecord(5, List.of(5L), true, null, 100);
        ControlRecord b = new ControlRecord(5, List.of(5L), false, "failover failed", 100);
        assertThat(a.merge(b)).isEqualTo(b.merge(a)).extracting(ControlRecord::acked, ControlRecord::disabled)
                .containsExactly(false, "failover failed");
    }

    @Test
    void aStepThatChangesNothingIsNotStoredAndAChangeIsNewerThanWhatWasMerged() {
        FailoverHistory h = new FailoverHistory();
        h.merge(new ControlRecord(50, List.of(50L), false, null, 900));
        assertThat(h.update(h.control(), 100)).isEmpty();
        ControlRecord changed = h.update(new FailoverDecision.Control(50, true, null, List.of(50L)), 100).orElseThrow();
        assertThat(changed.changedAt()).as("after the merged copy, even with a slower clock").isGreaterThan(900);
    }
}
