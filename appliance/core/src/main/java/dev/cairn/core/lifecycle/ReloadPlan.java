package dev.cairn.core.lifecycle;

import dev.cairn.core.catalog.EndpointConfig;
import dev.cairn.core.catalog.ServiceConfig;
import dev.cairn.core.config.CairnConfig;
import dev.cairn.core.config.ModuleRegistry;
import dev.cairn.spi.Module;
import dev.cairn.spi.config.ConfigChange;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What a reload from one validated config to another would change, before anything is applied:
 * the same diff {@link Host#reload()} acts on (every changed key, live or restart), the catalog's
 * services and endpoints added and removed, modules started and stopped, and each module's own
 * account of its changes ({@link Module#plan}). What {@code cairn check -c NEW --against RUNNING} prints.
 */
public final class ReloadPlan {

    private ReloadPlan() {
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    public static List<String> lines(ModuleRegistry modules, CairnConfig running, CairnConfig next) {
        List<String> out = new ArrayList<>();
        List<String> restart = new ArrayList<>();
        ConfigChange admin = ConfigChange.between("admin", running.admin(), next.admin());
        admin.keys().forEach(k -> out.add("admin: " + k));
        restart.addAll(admin.paths(ConfigChange.Kind.RESTART));
        services(running.services(), next.services(), out);
        for (Map.Entry<String, Record> e : next.modules().entrySet()) {
            Record was = running.modules().get(e.getKey());
            Module m = modules.get(e.getKey()).orElseThrow();
            if (was == null) {
                out.add("module " + e.getKey() + ": starts");
                continue;
            }
            ConfigChange change = ConfigChange.between(e.getKey(), was, e.getValue());
            if (change.isEmpty()) continue;
            out.add("module " + e.getKey() + ": reloads (" + change.keys().size() + " key(s) changed)");
            change.keys().forEach(k -> out.add("  " + k));
            restart.addAll(change.paths(ConfigChange.Kind.RESTART));
            try {
                for (Object line : m.plan(was, e.getValue(), change, next.dir())) out.add("  " + line);
            } catch (RuntimeException ex) {
                out.add("  (the module could not say more: " + ex.getMessage() + ")");
            }
        }
        for (String name : running.modules().keySet()) {
            if (!next.modules().containsKey(name)) out.add("module " + name + ": stops");
        }
        if (!restart.isEmpty()) {
            out.add("keys marked restart (their listener re-opens, or they wait for the next start): "
                    + String.join(", ", restart));
        }
        if (out.isEmpty()) out.add("no changes");
        return out;
    }

    private static void services(Map<String, ServiceConfig> running, Map<String, ServiceConfig> next, List<String> out) {
        for (Map.Entry<String, ServiceConfig> e : next.entrySet()) {
            ServiceConfig was = running.get(e.getKey());
            if (was == null) {
                out.add("service " + e.getKey() + ": added with " + e.getValue().endpoints().size() + " endpoint(s)");
                continue;
            }
            Set<String> before = names(was);
            Set<String> after = names(e.getValue());
            for (String n : after) if (!before.contains(n)) out.add("service " + e.getKey() + ": endpoint " + n + " added");
            for (String n : before) if (!after.contains(n)) out.add("service " + e.getKey() + ": endpoint " + n + " removed");
            ConfigChange c = ConfigChange.between("services." + e.getKey(), was, e.getValue());
            for (ConfigChange.Key k : c.keys()) {
                if (!k.path().startsWith("services." + e.getKey() + ".endpoints")) out.add("service " + e.getKey() + ": " + k);
            }
        }
        for (String name : running.keySet()) {
            if (!next.containsKey(name)) out.add("service " + name + ": removed");
        }
        if (!List.copyOf(running.keySet()).equals(List.copyOf(next.keySet())) && running.keySet().equals(next.keySet())) {
            out.add("services: listed in a new order");
        }
    }

    private static Set<String> names(ServiceConfig s) {
        Set<String> out = new LinkedHashSet<>();
        for (EndpointConfig e : s.endpoints()) out.add(e.effectiveName() + (e.effectiveName().equals(e.address().toString())
                ? "" : " (" + e.address() + ")"));
        return out;
    }
}
