package dev.cairn.spi.catalog;

import java.time.Duration;
import java.util.Optional;

/**
 * The active health check's running figures for one endpoint, since the endpoint (with its
 * address) entered the config: what HAProxy's stats call chkfail, chkdown, downtime, check_status
 * and check_duration.
 *
 * @param failures checks that failed
 * @param upToDown times the endpoint went from UP to DOWN
 * @param downtime total time spent DOWN, up to now
 * @param lastStatus HAProxy's status code of the last check (L4OK, L4CON, L4TOUT, L7OK, L7STS,
 *     L7RSP, L7TOUT, SOCKERR); empty before the first check
 * @param lastDuration how long the last check took; empty before the first check
 */
public record CheckStats(long failures, long upToDown, Duration downtime, Optional<String> lastStatus,
        Optional<Duration> lastDuration) {
}
