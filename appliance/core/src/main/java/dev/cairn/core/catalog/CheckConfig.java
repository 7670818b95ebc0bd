package dev.cairn.core.catalog;

import dev.cairn.spi.config.Doc;
import dev.cairn.spi.config.Range;
import java.time.Duration;

/**
 * {@code services.NAME.check}: the active health check, with HAProxy's meaning of interval,
 * rise and fall (defaults inter 2s, rise 2, fall 3).
 */
public record CheckConfig(
        @Doc(value = "tcp (connect) or http (request, status and optional body).", dflt = "tcp")
        CheckType type,
        @Doc(value = "HTTP path to request.", dflt = "/")
        String path,
        @Doc(value = "Accepted HTTP status: a code (200) or an inclusive range (200-399).", dflt = "200-399")
        String expectStatus,
        @Doc(value = "If set, the HTTP body must contain this text.")
        String expectBody,
        @Doc(value = "Host header for HTTP checks; defaults to the endpoint address.")
        String host,
        @Doc(value = "Time between two checks of one endpoint (HAProxy's inter).", dflt = "2s")
        Duration interval,
        @Doc(value = "A check not finished within this time has failed.", dflt = "1s")
        Duration timeout,
        @Doc(value = "Consecutive successes that bring a down endpoint up.", dflt = "2")
        @Range(min = 1, max = 100)
        int rise,
        @Doc(value = "Consecutive failures that bring an up endpoint down.", dflt = "3")
        @Range(min = 1, max = 100)
        int fall,
        @Doc(value = "Check this port instead of the endpoint's (0: the endpoint's).", dflt = "0")
        @Range(min = 0, max = 65535)
        int port) {

    public static final Duration MIN_INTERVAL = Duration.ofMillis(100);

    public enum CheckType { TCP, HTTP }

    public CheckConfig {
        if (interval.compareTo(MIN_INTERVAL) < 0) {
            throw new IllegalArgumentException("check interval " + interval.toMillis() + "ms is below the minimum 100ms");
        }
        if (timeout.isZero()) {
            throw new IllegalArgumentException("check timeout must be above 0");
        }
        statusLow(expectStatus);
        if (!path.startsWith("/")) {
            throw new IllegalArgumentException("check path '" + path + "' must start with /");
        }
    }

    /** Lowest accepted status. */
    public int statusLow() {
        return statusLow(expectStatus);
    }

    /** Highest accepted status. */
    public int statusHigh() {
        String s = expectStatus.trim();
        int dash = s.indexOf('-');
        return dash < 0 ? statusLow(s) : parseStatus(s.substring(dash + 1), s);
    }

    private static int statusLow(String s) {
        s = s.trim();
        int dash = s.indexOf('-');
        int low = parseStatus(dash < 0 ? s : s.substring(0, dash), s);
        if (dash >= 0 && parseStatus(s.substring(dash + 1), s) < low) {
            throw new IllegalArgumentException("status range '" + s + "' is empty");
        }
        return low;
    }

    private static int parseStatus(String part, String whole) {
        try {
            int v = Integer.parseInt(part.trim());
            if (v < 100 || v > 599) throw new NumberFormatException();
            return v;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + whole + "' is not a status or range like 200-399");
        }
    }
}
