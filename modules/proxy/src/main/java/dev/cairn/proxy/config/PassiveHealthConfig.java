package dev.cairn.proxy.config;

import dev.cairn.spi.config.Doc;
import dev.cairn.spi.config.Range;
import java.time.Duration;

/**
 * {@code proxy.passive_health}: ejects endpoints that fail live requests (connect errors, 5xx,
 * timeouts). With an active check the endpoint is marked DOWN in the catalog until the check
 * passes {@code rise} times (HAProxy's {@code on-error mark-down}); without one, for {@code eject_for}.
 */
public record PassiveHealthConfig(
        @Doc(value = "Consecutive failures that eject an endpoint (0: off).", dflt = "5")
        @Range(min = 0, max = 1000)
        int failures,
        @Doc(value = "The failures must fall within this window.", dflt = "10s")
        Duration window,
        @Doc(value = "For services without an active health check: how long an ejected endpoint stays out (with a check, it stays out until the check passes `rise` times).", dflt = "10s")
        Duration ejectFor) {
}
