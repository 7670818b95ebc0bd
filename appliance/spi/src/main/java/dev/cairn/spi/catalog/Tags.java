package dev.cairn.spi.catalog;

import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.Objects;
import java.util.Set;

/** Endpoint tags as the config file lists them: an unmodifiable copy that keeps their order. */
final class Tags {

    private Tags() {
    }

    static Set<String> ordered(Set<String> tags) {
        if (tags == null || tags.isEmpty()) return Set.of();
        Set<String> copy = new LinkedHashSet<>();
        for (String t : tags) copy.add(Objects.requireNonNull(t, "tag"));
        return Collections.unmodifiableSet(copy);
    }
}
