package dev.cairn.proxy.config;

import dev.cairn.spi.config.Doc;
import dev.cairn.spi.config.Range;
import java.time.Duration;

/** {@code proxy.passive_health}: ejects endpoints that fail live requests (connect errors, 5xx, timeouts). */
public record PassiveHealthConfig(
        @Doc(value = "Consecutive failures that eject an endpoint (0: off).", dflt = "5")
        @Range(min = 0, max = 1000)
        int failures,
        @Doc(value = "The failures must fall within this window.", dflt = "10s")
        Duration window,
        @Doc(value = "An ejected endpoint gets traffic again after this time, if the active check still says up (sooner if the check sees it recover).", dflt = "10s")
        Duration ejectFor) {
}
