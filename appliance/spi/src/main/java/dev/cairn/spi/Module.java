package dev.cairn.spi;

/**
 * A Cairn module: one feature (proxy, DNS, metrics, ...) turned on by the config section named
 * {@link #name()}. Found by {@link java.util.ServiceLoader}.
 *
 * <p>Lifecycle: {@code validate -> start -> reload* -> stop}. The host calls one module's
 * lifecycle methods from one thread at a time. At start-up the modules' {@link #start} calls run
 * concurrently, each on a thread of its own: a start must not wait for another module (it sees
 * the others through the catalog and {@link ModuleContext#moduleStatus}, which reads "starting"
 * until that module's start returned). {@link #validate} opens no port and changes nothing: it is what
 * {@code cairn check} runs. {@link #stop} must be safe after a partial or failed
 * {@link #start}, and safe to call twice.
 *
 * @param <C> the module's config record, bound from the YAML section by the host
 */
public interface Module<C extends Record> {

    /** The config section that turns this module on, e.g. {@code "dns"}. */
    String name();

    /** The record the section is bound to; see {@link dev.cairn.spi.config.Doc} for defaults. */
    Class<C> configType();

    /**
     * Checks what the binder cannot: cross references, files that must exist, semantics.
     * Report every problem to {@code ctx.problems()} rather than throwing.
     */
    default void validate(C config, ValidationContext ctx) {
    }

    /** Opens ports and starts threads. On failure the host calls {@link #stop()}. */
    void start(C config, ModuleContext ctx) throws Exception;

    /**
     * Applies a changed, already validated section. Called only when the section differs from
     * the running one. Must either apply completely or throw and keep the old config serving.
     * The default restarts the module, which drops its connections: modules that hold client
     * connections override it.
     */
    default void reload(C config, ModuleContext ctx) throws Exception {
        stop();
        start(config, ctx);
    }

    /**
     * Applies a changed section, knowing which keys changed: what the host calls on reload. A
     * module decides from {@code change} what it must re-open; keys marked
     * {@link dev.cairn.spi.config.Doc#restart()} are never applied in place (the listener they
     * belong to is re-opened, the new socket bound before the old one closes, or the key waits for
     * the next start), every other key applies without dropping established connections. Same
     * contract as {@link #reload(Record, ModuleContext)}, which the default calls.
     */
    default void reload(C config, dev.cairn.spi.config.ConfigChange change, ModuleContext ctx) throws Exception {
        reload(config, ctx);
    }

    /**
     * What a reload from {@code running} to {@code next} would do in this module, one line each
     * for an operator ("zone example.com.: serial 7 -> 8", "listener web re-opens"), beyond the
     * changed keys the host lists itself. Called by {@code cairn check -c NEW --against RUNNING}
     * on validated configs; like {@link #validate} it opens no port and changes nothing.
     */
    default java.util.List<String> plan(C running, C next, dev.cairn.spi.config.ConfigChange change,
                                        java.nio.file.Path configDir) {
        return java.util.List.of();
    }

    /** Releases everything start acquired. Safe after a partial start. */
    void stop();

    /**
     * Names of the services this module publishes itself ({@link dev.cairn.spi.catalog.Catalog#publish}),
     * e.g. replication's {@code mysql-primary}. They exist in the catalog, without endpoints, from
     * start-up, and other sections may refer to them as to any service. A name may not also be
     * defined under {@code services:}.
     */
    default java.util.Set<String> publishedServices(C config) {
        return java.util.Set.of();
    }

    /** CLI verbs this module adds ({@code cairn VERB ...}); see {@link dev.cairn.spi.command.ModuleCommand}. */
    default java.util.List<dev.cairn.spi.command.ModuleCommand<C>> commands() {
        return java.util.List.of();
    }

    /**
     * Runs an operator action on the running module, served by the admin API as
     * {@code GET|POST /api/modules/{name}/{action}?k=v}. GET must not change anything.
     * Returns a JSON-friendly value (maps, lists, strings, numbers, booleans).
     *
     * @param post true for POST (may change state), false for GET (read-only)
     * @throws ActionException for a refused or failed action (the admin API answers its status)
     */
    default Object action(String action, java.util.Map<String, String> params, boolean post) throws Exception {
        throw new ActionException(404, "module " + name() + " has no action '" + action + "'");
    }

    /** A refused or failed {@link #action}: the HTTP status and a message for the operator. */
    final class ActionException extends Exception {
        private final int status;

        public ActionException(int status, String message) {
            super(message);
            this.status = status;
        }

        public int status() {
            return status;
        }
    }

    /**
     * The error ids this module logs or reports, usually {@code List.of(MyErrors.values())} of one
     * enum implementing {@link dev.cairn.spi.error.ErrorId}; docs/errors.md lists them.
     */
    default java.util.List<? extends dev.cairn.spi.error.ErrorId> errors() {
        return java.util.List.of();
    }

    /** Current health and a few facts for the status page and {@code /api/status}. */
    default ModuleStatus status() {
        return ModuleStatus.up("running");
    }
}
