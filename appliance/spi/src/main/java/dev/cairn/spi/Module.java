package dev.cairn.spi;

/**
 * A Cairn module: one feature (proxy, DNS, metrics, ...) turned on by the config section named
 * {@link #name()}. Found by {@link java.util.ServiceLoader}.
 *
 * <p>Lifecycle: {@code validate -> start -> reload* -> stop}. The host calls these from one
 * thread at a time. {@link #validate} opens no port and changes nothing: it is what
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

    /** Releases everything start acquired. Safe after a partial start. */
    void stop();

    /** Current health and a few facts for the status page and {@code /api/status}. */
    default ModuleStatus status() {
        return ModuleStatus.up("running");
    }
}
