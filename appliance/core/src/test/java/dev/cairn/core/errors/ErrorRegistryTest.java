package dev.cairn.core.errors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cairn.core.CoreErrors;
import dev.cairn.core.ErrorReference;
import dev.cairn.core.config.ModuleRegistry;
import dev.cairn.core.testing.ErrorIds;
import dev.cairn.spi.Module;
import dev.cairn.spi.ModuleContext;
import dev.cairn.spi.error.ErrorId;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The host's error ids, and the rules the reference enforces across modules. */
class ErrorRegistryTest {

    record Id(String id, String meaning, String action) implements ErrorId {
    }

    record NoConfig() {
    }

    /** A module with the given ids and nothing else. */
    static Module<NoConfig> moduleWith(String name, ErrorId... ids) {
        return new Module<>() {
            @Override public String name() { return name; }
            @Override public Class<NoConfig> configType() { return NoConfig.class; }
            @Override public void start(NoConfig config, ModuleContext ctx) { }
            @Override public void stop() { }
            @Override public List<ErrorId> errors() { return List.of(ids); }
        };
    }

    enum SampleErrors implements ErrorId {
        USED("CAIRN-SAMPLE-0001"), UNUSED("CAIRN-SAMPLE-0002");

        private final String id;

        SampleErrors(String id) {
            this.id = id;
        }

        @Override public String id() { return id; }
        @Override public String meaning() { return "m"; }
        @Override public String action() { return "a"; }
    }

    @Test
    void theRegistryCheckFindsUnusedIdsLiteralIdsAndUnregisteredReadmeIds(@TempDir Path src) throws Exception {
        Files.writeString(src.resolve("A.java"), "class A { String a = SampleErrors.USED.id(); String b = \"CAIRN-SAMPLE-0003 x\"; }");
        Path readme = Files.writeString(src.resolve("README.md"), "CAIRN-SAMPLE-0001 and CAIRN-SAMPLE-0004");
        assertThatThrownBy(() -> ErrorIds.assertRegistry(SampleErrors.class, null, "SAMPLE", src, null))
                .hasMessageContaining("CAIRN-SAMPLE-0002 (SampleErrors.UNUSED)");
        Files.writeString(src.resolve("B.java"), "class B { Object u = SampleErrors.UNUSED; }");
        assertThatThrownBy(() -> ErrorIds.assertRegistry(SampleErrors.class, null, "SAMPLE", src, null))
                .hasMessageContaining("CAIRN-SAMPLE-0003 in");
        Files.writeString(src.resolve("A.java"), "class A { String a = SampleErrors.USED.id(); }");
        ErrorIds.assertRegistry(SampleErrors.class, null, "SAMPLE", src, null);
        assertThatThrownBy(() -> ErrorIds.assertRegistry(SampleErrors.class, null, "SAMPLE", src, readme))
                .hasMessageContaining("CAIRN-SAMPLE-0004");
    }

    @Test
    void coreIdsAreWellFormedUniqueAndEachUsedByTheHost() throws Exception {
        ErrorIds.assertRegistry(CoreErrors.class, null, "CORE", Path.of("src/main/java"), null);
    }

    @Test
    void referenceListsCoreThenModulesByName() {
        String md = ErrorReference.markdown(ModuleRegistry.of(
                moduleWith("zeta", new Id("CAIRN-ZETA-0001", "z broke", "fix z")),
                moduleWith("alpha", new Id("CAIRN-ALPHA-0001", "a broke", "fix a | twice"))));
        assertThat(md).contains("| `CAIRN-CORE-0001` | " + CoreErrors.MODULE_START_FAILED.meaning())
                .contains("| `CAIRN-ALPHA-0001` | a broke | fix a \\| twice |");
        assertThat(md.indexOf("## core")).isLessThan(md.indexOf("## alpha"));
        assertThat(md.indexOf("## alpha")).isLessThan(md.indexOf("## zeta"));
    }

    @Test
    void anIdDeclaredTwiceIsRejected() {
        assertThatThrownBy(() -> ErrorReference.collect(ModuleRegistry.of(
                moduleWith("dns", new Id("CAIRN-DNS-0001", "m", "a"), new Id("CAIRN-DNS-0001", "m2", "a2")))))
                .hasMessageContaining("CAIRN-DNS-0001 is declared twice (dns and dns)");
    }

    @Test
    void anIdOutsideItsModulesPrefixIsRejected() {
        assertThatThrownBy(() -> ErrorReference.collect(ModuleRegistry.of(
                moduleWith("backup", new Id("CAIRN-CORE-0001", "taken", "a")))))
                .hasMessageContaining("backup: CAIRN-CORE-0001 is not CAIRN-BACKUP-NNNN")
                .hasMessageContaining("CAIRN-CORE-0001 is declared twice (core and backup)");
    }

    @Test
    void anIdWithoutMeaningOrActionIsRejected() {
        assertThatThrownBy(() -> ErrorReference.collect(ModuleRegistry.of(
                moduleWith("dns", new Id("CAIRN-DNS-0009", " ", "a")))))
                .hasMessageContaining("CAIRN-DNS-0009 needs a meaning and an action");
    }
}
