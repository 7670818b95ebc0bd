package dev.cairn.core.config;

import dev.cairn.spi.Module;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.Set;

/** The modules on the class path, found with {@link ServiceLoader}, by config section name. */
public final class ModuleRegistry {

    /** Sections the host itself owns; no module may use these names. */
    public static final Set<String> HOST_SECTIONS = Set.of("admin", "services");

    private final Map<String, Module<?>> modules = new LinkedHashMap<>();

    private ModuleRegistry() {
    }

    /** Every module {@link ServiceLoader} finds on the class path. */
    @SuppressWarnings("rawtypes")
    public static ModuleRegistry discover() {
        ModuleRegistry r = new ModuleRegistry();
        try {
            for (Module m : ServiceLoader.load(Module.class)) {
                r.add(m);
            }
        } catch (java.util.ServiceConfigurationError e) {
            throw new IllegalStateException("broken installation, a module cannot be loaded: " + e.getMessage(), e);
        }
        return r;
    }

    /** Exactly these modules (tests). */
    public static ModuleRegistry of(Module<?>... list) {
        ModuleRegistry r = new ModuleRegistry();
        for (Module<?> m : list) r.add(m);
        return r;
    }

    private void add(Module<?> m) {
        if (HOST_SECTIONS.contains(m.name())) {
            throw new IllegalStateException("module " + m.getClass().getName() + " uses reserved name " + m.name());
        }
        Module<?> old = modules.putIfAbsent(m.name(), m);
        if (old != null) {
            throw new IllegalStateException("two modules named " + m.name() + ": "
                    + old.getClass().getName() + " and " + m.getClass().getName());
        }
    }

    public Optional<Module<?>> get(String name) {
        return Optional.ofNullable(modules.get(name));
    }

    public Collection<Module<?>> all() {
        return modules.values();
    }

    public Set<String> names() {
        return modules.keySet();
    }
}
