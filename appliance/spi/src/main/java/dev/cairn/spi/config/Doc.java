package dev.cairn.spi.config;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Documents a config key (a record component): its default, whether a change needs a restart,
 * and one line for the reference. The binder applies {@link #dflt()} when the key is absent.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.RECORD_COMPONENT, ElementType.FIELD, ElementType.PARAMETER, ElementType.METHOD})
public @interface Doc {

    /** Marker for "no default". */
    String NONE = "\u0000";

    /** One line for docs/config.md. */
    String value() default "";

    /** The default written as it would be in YAML ({@code "2s"}, {@code "[]"}); NONE if absent. */
    String dflt() default NONE;

    /** True when the key must be present. */
    boolean required() default false;

    /**
     * True when a change is not applied in place: the module re-opens what the key belongs to (a
     * listener: the new socket is bound before the old one closes) or applies it at the next start.
     * The host reports such keys on reload and in {@code cairn check --against}; every other key
     * applies live, without re-opening a listener. This marking is the one source: the reload
     * diff ({@link ConfigChange}) and docs/config.md are read from it.
     */
    boolean restart() default false;
}
