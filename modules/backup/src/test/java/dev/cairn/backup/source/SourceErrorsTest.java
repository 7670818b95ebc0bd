package dev.cairn.backup.source;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class SourceErrorsTest {

    @Test
    void everyIdIsUniqueDocumentedAndInTheSourcesRange() throws Exception {
        List<String> ids = new ArrayList<>();
        for (Field f : SourceErrors.class.getFields()) {
            if (Modifier.isStatic(f.getModifiers()) && f.getType() == String.class) ids.add((String) f.get(null));
        }
        assertThat(ids).doesNotHaveDuplicates().allMatch(id -> id.matches("CAIRN-BACKUP-0[34]\\d\\d"));
        assertThat(SourceErrors.ALL.keySet()).containsExactlyInAnyOrderElementsOf(ids);
        assertThat(SourceErrors.ALL.values()).allMatch(e -> !e.meaning().isBlank() && !e.action().isBlank());
    }

    @Test
    void noOtherCodeOfTheModuleUsesTheSourcesAndSlaRangeLiterally() throws Exception {
        Set<String> offenders = new HashSet<>();
        Pattern p = Pattern.compile("CAIRN-BACKUP-0[34]\\d\\d");
        try (Stream<Path> s = Files.walk(Path.of("src/main/java"))) {
            for (Path f : s.filter(x -> x.toString().endsWith(".java")).toList()) {
                if (f.endsWith("SourceErrors.java")) continue;
                Matcher m = p.matcher(Files.readString(f));
                if (m.find()) offenders.add(f + ": " + m.group());
            }
        }
        assertThat(offenders).as("ids 03xx/04xx come from SourceErrors only").isEmpty();
    }
}
