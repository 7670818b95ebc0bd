package dev.cairn.backup;

import dev.cairn.backup.BackupConfig.JobConfig;
import dev.cairn.backup.source.DirectorySource;
import dev.cairn.backup.source.Source;
import dev.cairn.spi.config.ConfigProblems;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** Builds a job's {@link Source} from its config; one case per source kind. */
public final class Sources {

    private Sources() {
    }

    public static Source create(JobConfig job, Path configDir) {
        return create(job, configDir, null);
    }

    /** @param catalog the running daemon's catalog (a mysql source with {@code cluster} needs it), or null */
    public static Source create(JobConfig job, Path configDir, dev.cairn.spi.catalog.Catalog catalog) {
        BackupConfig.SourceConfig s = job.source();
        Source streamed = dev.cairn.backup.source.StreamedSources.create(s.mysql(), s.command(), s.prometheus(), s.grafana(),
                configDir, catalog);
        if (streamed != null) return streamed;
        if (s.directory() != null) {
            List<Path> roots = new ArrayList<>();
            for (Path p : s.directory().paths()) roots.add(configDir.resolve(p).normalize());
            return new DirectorySource(roots, job.exclude());
        }
        throw new IllegalArgumentException("job has no source");
    }

    public static void validate(JobConfig job, Path configDir, ConfigProblems p) {
        BackupConfig.SourceConfig s = job.source();
        int kinds = (s.directory() != null ? 1 : 0)
                + dev.cairn.backup.source.StreamedSources.kinds(s.mysql(), s.command(), s.prometheus(), s.grafana());
        if (kinds != 1) {
            p.error(s, null, BackupErrors.SOURCE_KIND.id() + " a source needs exactly one kind (directory, mysql, command, prometheus, grafana)");
            return;
        }
        if (s.directory() != null) {
            Set<String> names = new HashSet<>();
            if (s.directory().paths().isEmpty()) p.error(s.directory(), "paths", "list at least one path");
            for (Path path : s.directory().paths()) {
                Path abs = configDir.resolve(path).toAbsolutePath().normalize();
                String name = abs.getFileName() == null ? "root" : abs.getFileName().toString();
                if (!names.add(name)) {
                    p.error(s.directory(), "paths", "two roots are both named '" + name + "' (each root is stored under its name)");
                }
            }
        }
    }
}
