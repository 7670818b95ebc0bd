package dev.cairn.core.catalog;

import dev.cairn.spi.catalog.Health;

/**
 * HAProxy's rise/fall arithmetic for one endpoint. The counter runs from 0 to rise+fall-1; an
 * endpoint is UP while it is at least rise. A new endpoint starts UP at exactly rise, so its first
 * failed check takes it down; a fully up one needs fall consecutive failures, a down one rise
 * consecutive successes. Not thread-safe: the catalog's lock guards it.
 */
final class HealthCounter {

    private final int rise;
    private final int fall;
    private int counter;
    private Health health;

    HealthCounter(int rise, int fall) {
        this(rise, fall, Health.UP);
    }

    /** Starts in {@code health}: fully up, or down with no successes. A new endpoint: {@link #HealthCounter(int, int)}. */
    HealthCounter(int rise, int fall, Health health, boolean settled) {
        this.rise = rise;
        this.fall = fall;
        this.health = health;
        this.counter = health == Health.DOWN ? 0 : settled ? rise + fall - 1 : rise;
    }

    private HealthCounter(int rise, int fall, Health initial) {
        this(rise, fall, initial, false);
    }

    Health health() {
        return health;
    }

    /**
     * Forces the endpoint DOWN with no successes, as if it had just failed {@code fall} checks
     * (HAProxy's {@code on-error mark-down}): it needs {@code rise} consecutive successes to be UP
     * again. Returns true when the health changed (false when it was already DOWN).
     */
    boolean forceDown() {
        counter = 0;
        if (health == Health.DOWN) return false;
        health = Health.DOWN;
        return true;
    }

    /** Records one check result; returns true when the health changed. */
    boolean record(boolean ok) {
        int max = rise + fall - 1;
        if (ok) {
            if (counter < max) counter++;
            if (health == Health.DOWN && counter >= rise) {
                health = Health.UP;
                counter = max;
                return true;
            }
            return false;
        }
        if (health == Health.DOWN) {
            counter = 0;
            return false;
        }
        if (counter > rise) {
            counter--;
            return false;
        }
        health = Health.DOWN;
        counter = 0;
        return true;
    }
}
