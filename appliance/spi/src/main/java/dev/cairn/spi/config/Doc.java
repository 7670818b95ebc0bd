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

    /** True when a change takes effect only after a restart. */
    boolean restart() default false;
}
