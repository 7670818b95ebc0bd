package dev.cairn.core.lifecycle;

import java.time.Instant;
import java.util.List;

/**
 * The outcome of one reload.
 *
 * @param ok true when the new file was valid and every change applied
 * @param hash the hash of the config now running
 * @param errors config errors ({@code FILE:LINE:COL: key: message}) or apply failures
 * @param applied what changed, one line each ("module dns reloaded", "catalog updated")
 * @param restartKeys changed keys marked restart in docs/config.md: their listener was re-opened,
 *     or they take effect at the next start
 */
public record ReloadResult(boolean ok, Instant at, String hash, List<String> errors, List<String> applied,
                           List<String> restartKeys) {
    public ReloadResult {
        errors = List.copyOf(errors);
        applied = List.copyOf(applied);
        restartKeys = List.copyOf(restartKeys);
    }

    public ReloadResult(boolean ok, Instant at, String hash, List<String> errors, List<String> applied) {
        this(ok, at, hash, errors, applied, List.of());
    }
}
