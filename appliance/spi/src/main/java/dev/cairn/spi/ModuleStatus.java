package dev.cairn.spi;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * What a module reports about itself on the status page and in {@code /api/status}.
 *
 * @param healthy false when the module cannot do its job (a listener failed, a peer is lost)
 * @param summary one short line for an operator
 * @param details small, JSON-friendly facts (strings, numbers, booleans, lists, maps)
 */
public record ModuleStatus(boolean healthy, String summary, Map<String, Object> details) {

    public ModuleStatus {
        // In the module's order (a status page lists zones, listeners... as the config does).
        details = details == null ? Map.of() : ordered(details);
    }

    private static Map<String, Object> ordered(Map<String, Object> details) {
        Map<String, Object> copy = new LinkedHashMap<>();
        details.forEach((k, v) -> copy.put(Objects.requireNonNull(k, "detail key"), Objects.requireNonNull(v, k)));
        return Collections.unmodifiableMap(copy);
    }

    public static ModuleStatus up(String summary) {
        return new ModuleStatus(true, summary, Map.of());
    }

    public static ModuleStatus down(String summary) {
        return new ModuleStatus(false, summary, Map.of());
    }
}
