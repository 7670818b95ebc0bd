package dev.cairn.backup.source;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.backup.BackupErrors;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SourceErrorsTest {

    @Test
    void everySourceAndSlaIdIsARegistryConstantInItsRange() throws Exception {
        List<String> ids = new ArrayList<>();
        for (Field f : SourceErrors.class.getFields()) {
            if (Modifier.isStatic(f.getModifiers()) && f.getType() == String.class) {
                String id = (String) f.get(null);
                ids.add(id);
                assertThat(BackupErrors.valueOf(f.getName()).id()).as(f.getName()).isEqualTo(id);
            }
        }
        assertThat(ids).hasSize(24).doesNotHaveDuplicates().allMatch(id -> id.matches("CAIRN-BACKUP-0[34]\\d\\d"));
        List<String> all = new ArrayList<>();
        for (BackupErrors e : BackupErrors.values()) all.add(e.id());
        assertThat(all).doesNotHaveDuplicates();
    }

    @Test
    void theModulesRegistryPassesTheHostsChecks() throws Exception {
        dev.cairn.core.testing.ErrorIds.assertRegistry(BackupErrors.class, new dev.cairn.backup.BackupModule(), "BACKUP",
                java.nio.file.Path.of("src/main/java"), java.nio.file.Path.of("README.md"));
    }
}
