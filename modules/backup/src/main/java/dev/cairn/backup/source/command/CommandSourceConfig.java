package dev.cairn.backup.source.command;

import dev.cairn.spi.config.Doc;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * {@code backup.jobs.<name>.source.command}: a program whose standard output is the backup
 * ({@code pg_dump -Fc}), or which writes a directory that is then backed up
 * ({@code influx backup DIR}). Secrets reach it through {@code env_files} (an environment
 * variable set from a file's content) or files it reads itself, never through its arguments.
 */
public record CommandSourceConfig(
        @Doc(value = "the program and its arguments (no shell); `{dir}` in an argument is replaced by the produced directory", required = true)
        List<String> run,
        @Doc("the file name the standard output is stored as; set this or `produces`")
        String stdoutAs,
        @Doc("the program writes this directory (relative to a fresh scratch directory when it contains `{dir}`); its files are backed up, then it is removed; set this or `stdout_as`")
        String produces,
        @Doc(value = "environment variables for the program (no secrets here: use env_files)", dflt = "{}")
        Map<String, String> env,
        @Doc(value = "environment variables set from files' contents (e.g. `PGPASSWORD: /etc/cairn/pg.password`)", dflt = "{}")
        Map<String, Path> envFiles,
        @Doc(value = "working directory of the program", dflt = ".")
        Path workdir,
        @Doc(value = "the program is killed and the run fails after this long", dflt = "1h")
        Duration timeout,
        @Doc(value = "the program that loads a stored `stdout_as` file back (its standard input); needed for `verify: restore-test` beyond file hashes", dflt = "[]")
        List<String> restore) {

    public static final Duration DEFAULT_TIMEOUT = Duration.ofHours(1);
}
