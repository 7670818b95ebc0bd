package dev.cairn.cluster;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** "Holds for": the counterpart of polling until a deadline, for what must stay true over a window. */
final class Holds {

    private Holds() {
    }

    /**
     * Checks {@code condition} every 10 ms for {@code window} and fails at the first sample where
     * it does not hold, saying when: an observation window that reports the moment it broke,
     * rather than a sleep followed by one look at the end.
     */
    static void holdsFor(Duration window, String what, BooleanSupplier condition) throws InterruptedException {
        long start = System.nanoTime();
        long end = start + window.toNanos();
        while (true) {
            if (!condition.getAsBoolean()) {
                throw new AssertionError("stopped holding after " + (System.nanoTime() - start) / 1_000_000
                        + " ms of a " + window.toMillis() + " ms window: " + what);
            }
            if (System.nanoTime() >= end) return;
            Thread.sleep(10);
        }
    }
}
