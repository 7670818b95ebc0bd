package dev.cairn.core.catalog;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.spi.catalog.Health;
import org.junit.jupiter.api.Test;

class HealthCounterTest {

    @Test
    void newEndpointIsUpButItsFirstFailureTakesItDownLikeHaproxy() {
        HealthCounter c = new HealthCounter(2, 3);
        assertThat(c.health()).isEqualTo(Health.UP);
        assertThat(c.record(false)).isTrue();
        assertThat(c.health()).isEqualTo(Health.DOWN);
    }

    @Test
    void downEndpointNeedsRiseConsecutiveSuccesses() {
        HealthCounter c = new HealthCounter(2, 3, Health.DOWN, false);
        assertThat(c.record(true)).isFalse();
        assertThat(c.record(false)).isFalse(); // a failure starts the count again
        assertThat(c.record(true)).isFalse();
        assertThat(c.record(true)).isTrue();
        assertThat(c.health()).isEqualTo(Health.UP);
    }

    @Test
    void upEndpointNeedsFallConsecutiveFailures() {
        HealthCounter c = new HealthCounter(2, 3, Health.UP, true);
        assertThat(c.record(false)).isFalse();
        assertThat(c.record(false)).isFalse();
        assertThat(c.record(true)).isFalse(); // one success climbs back one step only
        assertThat(c.record(false)).isFalse();
        assertThat(c.record(false)).isTrue();
        assertThat(c.health()).isEqualTo(Health.DOWN);
    }

    @Test
    void riseOneAndFallOneFlipOnEveryChange() {
        HealthCounter c = new HealthCounter(1, 1, Health.UP, true);
        assertThat(c.record(false)).isTrue();
        assertThat(c.record(true)).isTrue();
        assertThat(c.record(true)).isFalse();
    }

    @Test
    void forcedDownNeedsRiseSuccessesWhateverTheCounterWas() {
        HealthCounter c = new HealthCounter(3, 2, Health.UP, true); // fully up: counter at rise + fall - 1
        assertThat(c.forceDown()).isTrue();
        assertThat(c.health()).isEqualTo(Health.DOWN);
        assertThat(c.record(true)).isFalse();
        assertThat(c.record(true)).isFalse();
        assertThat(c.record(true)).isTrue(); // exactly rise successes
        assertThat(c.health()).isEqualTo(Health.UP);
        assertThat(c.record(false)).isFalse(); // and back at the top: fall failures to go down again
        assertThat(c.record(false)).isTrue();
    }

    @Test
    void forcingDownADownEndpointRestartsItsRiseCountAndReportsNoChange() {
        HealthCounter c = new HealthCounter(2, 2, Health.DOWN, false);
        assertThat(c.record(true)).isFalse(); // one success of the two needed
        assertThat(c.forceDown()).isFalse();
        assertThat(c.health()).isEqualTo(Health.DOWN);
        assertThat(c.record(true)).isFalse(); // the earlier success no longer counts
        assertThat(c.record(true)).isTrue();
    }
}
