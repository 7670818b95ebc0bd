package dev.cairn.core.admin;

import dev.cairn.core.catalog.CatalogRegistry;
import dev.cairn.core.config.CairnConfig;
import dev.cairn.core.lifecycle.ReloadResult;
import dev.cairn.spi.Module;
import dev.cairn.spi.ModuleStatus;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * What the admin API and the status page need from the running process: the host implements it,
 * the admin server sees nothing else of it (so neither imports the other). The views must not wait
 * for a reload in progress; {@link #reload()} is serialized with the other lifecycle calls.
 */
public interface AdminApi {

    /** This node's name. */
    String node();

    /** The config now running. */
    CairnConfig config();

    /** The catalog: services, endpoints, drain and weight. */
    CatalogRegistry catalog();

    Instant startedAt();

    /** The last load or reload, or null before the first. */
    ReloadResult lastReload();

    /** Reads, validates and applies the config file (what SIGHUP does). */
    ReloadResult reload();

    /**
     * What a reload would change, one line each ({@link dev.cairn.core.lifecycle.ReloadPlan}),
     * without applying anything; a file that does not load gives its errors instead.
     */
    ReloadResult plan();

    /** Status of every running module, in start order. */
    Map<String, ModuleStatus> moduleStatus();

    /** The running module with this name. */
    Optional<Module<?>> module(String name);
}
