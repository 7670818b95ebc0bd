package dev.cairn.spi;

import java.util.Map;

/**
 * What a module reports about itself on the status page and in {@code /api/status}.
 *
 * @param healthy false when the module cannot do its job (a listener failed, a peer is lost)
 * @param summary one short line for an operator
 * @param details small, JSON-friendly facts (strings, numbers, booleans, lists, maps)
 */
public record ModuleStatus(boolean healthy, String summary, Map<String, Object> details) {

    public ModuleStatus {
        details = details == null ? Map.of() : Map.copyOf(details);
    }

    public static ModuleStatus up(String summary) {
        return new ModuleStatus(true, summary, Map.of());
    }

    public static ModuleStatus down(String summary) {
        return new ModuleStatus(false, summary, Map.of());
    }
}
