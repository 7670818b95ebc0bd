package dev.cairn.spi.catalog;

/** An endpoint's health as the active checks see it. */
public enum Health {
    /** Passing (or has no check configured). */
    UP,
    /** Failed {@code fall} consecutive checks and has not yet passed {@code rise}. */
    DOWN
}
