package dev.cairn.backup.source.mysql;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Writer;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** One long-lived {@code mariadb} client session on a server's socket, as root: a writer that keeps inserting. */
final class SqlSession implements AutoCloseable {

    private final Process process;
    private final Writer in;
    private final BufferedReader out;

    SqlSession(Path socket, String database) throws IOException {
        process = new ProcessBuilder("mariadb", "--no-defaults", "-uroot", "--socket=" + socket, "--batch",
                "--skip-column-names", "--unbuffered", database).redirectErrorStream(true).start();
        in = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    }

    /** Runs statements whose last one returns one row; returns that row's tab-separated line. */
    String row(String sql) throws IOException {
        in.write(sql + "\n");
        in.flush();
        String line = out.readLine();
        if (line == null) throw new IOException("the client session ended");
        return line;
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        process.waitFor(5, TimeUnit.SECONDS);
    }
}
