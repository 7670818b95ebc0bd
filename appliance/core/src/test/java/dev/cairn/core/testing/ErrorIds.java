package dev.cairn.core.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.spi.Module;
import dev.cairn.spi.error.ErrorId;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Checks one error registry (an enum implementing {@link ErrorId}) against the sources of the
 * module that owns it: ids well formed and unique, each constant used in the module's code, no id
 * written as text outside the registry, and every id the README names registered.
 */
public final class ErrorIds {

    private ErrorIds() {
    }

    /**
     * @param registry the enum
     * @param module the module whose {@code errors()} must list every constant (null for the host)
     * @param prefix the module's part of the ids, e.g. {@code DNS}
     * @param sources the module's main sources (src/main/java)
     * @param readme the module's README (null: none)
     */
    public static <E extends Enum<E> & ErrorId> void assertRegistry(Class<E> registry, Module<?> module, String prefix,
                                                                   Path sources, Path readme) throws IOException {
        E[] all = registry.getEnumConstants();
        assertThat(all).as(registry.getSimpleName() + " lists no ids").isNotEmpty();
        Set<String> ids = new HashSet<>();
        for (E e : all) {
            assertThat(e.id()).as(e.name()).matches("CAIRN-" + prefix + "-[0-9]{4}");
            assertThat(ids.add(e.id())).as(e.id() + " is declared twice in " + registry.getSimpleName()).isTrue();
            assertThat(e.meaning()).as(e.id() + " meaning").isNotBlank();
            assertThat(e.action()).as(e.id() + " what to do").isNotBlank();
        }
        if (module != null) {
            assertThat(new ArrayList<ErrorId>(module.errors())).as(module.name() + ".errors()")
                    .containsExactly((ErrorId[]) all);
        }
        Map<Path, String> code = read(sources);
        String own = registry.getSimpleName() + ".java";
        Pattern literal = Pattern.compile("CAIRN-" + prefix + "-[0-9]{4}");
        List<String> unused = new ArrayList<>();
        List<String> literals = new ArrayList<>();
        for (E e : all) {
            String ref = registry.getSimpleName() + "." + e.name();
            boolean used = code.entrySet().stream().anyMatch(f -> !f.getKey().endsWith(own)
                    && Pattern.compile("\\b" + Pattern.quote(ref) + "\\b").matcher(f.getValue()).find());
            if (!used) unused.add(e.id() + " (" + ref + ")");
        }
        code.forEach((file, text) -> {
            if (file.endsWith(own)) return;
            Matcher m = literal.matcher(text);
            while (m.find()) literals.add(m.group() + " in " + file);
        });
        assertThat(unused).as("ids no code of the module uses: delete them (ids are never reused)").isEmpty();
        assertThat(literals).as("ids written as text: refer to " + registry.getSimpleName() + " instead").isEmpty();
        if (readme != null) {
            Matcher m = literal.matcher(Files.readString(readme));
            List<String> unknown = new ArrayList<>();
            while (m.find()) {
                if (!ids.contains(m.group())) unknown.add(m.group());
            }
            assertThat(unknown).as(readme + " names ids that are not registered").isEmpty();
        }
    }

    private static Map<Path, String> read(Path sources) throws IOException {
        Map<Path, String> out = new java.util.LinkedHashMap<>();
        try (Stream<Path> s = Files.walk(sources)) {
            for (Path p : s.filter(p -> p.toString().endsWith(".java")).toList()) out.put(p, Files.readString(p));
        }
        assertThat(out).as("no sources under " + sources).isNotEmpty();
        return out;
    }
}
