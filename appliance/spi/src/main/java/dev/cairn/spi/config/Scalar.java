package dev.cairn.spi.config;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks the one record component that a plain scalar binds to, so that both
 * {@code - 10.0.0.1:80} and {@code - { address: 10.0.0.1:80, weight: 2 }} are accepted.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.RECORD_COMPONENT)
public @interface Scalar {
}
