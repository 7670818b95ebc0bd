package dev.cairn.dist;

import dev.cairn.core.testing.TestHost;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The real launcher of the built distribution ({@code bin/cairn}) running as a child process. */
final class CairnProcess implements AutoCloseable {

    static final Path DIST = Path.of(System.getProperty("cairn.dist", "target/cairn"));
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private final Process process;
    private final Path out;
    private final Path err;

    private CairnProcess(Process process, Path out, Path err) {
        this.process = process;
        this.out = out;
        this.err = err;
    }

    /** Starts {@code bin/cairn ARGS}; output goes to files in {@code dir}. */
    static CairnProcess start(Path dir, String... args) throws IOException {
        return start(dir, java.util.Map.of(), args);
    }

    /** Starts {@code bin/cairn ARGS} with these environment variables added. */
    static CairnProcess start(Path dir, java.util.Map<String, String> env, String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(DIST.resolve("bin/cairn").toString());
        cmd.addAll(List.of(args));
        Path out = Files.createTempFile(dir, "stdout", ".log");
        Path err = Files.createTempFile(dir, "stderr", ".log");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile());
        pb.environment().putAll(env);
        return new CairnProcess(pb.start(), out, err);
    }

    /** Runs {@code bin/cairn ARGS} to completion; returns exit code, stdout and stderr. */
    static Result run(Path dir, String... args) throws Exception {
        try (CairnProcess p = start(dir, args)) {
            if (!p.process.waitFor(60, TimeUnit.SECONDS)) throw new AssertionError("cairn " + List.of(args) + " hung");
            return new Result(p.process.exitValue(), p.stdout(), p.stderr());
        }
    }

    record Result(int exit, String stdout, String stderr) {
    }

    long pid() {
        return process.pid();
    }

    String stdout() throws IOException {
        return Files.readString(out, StandardCharsets.UTF_8);
    }

    String stderr() throws IOException {
        return Files.readString(err, StandardCharsets.UTF_8);
    }

    boolean alive() {
        return process.isAlive();
    }

    /** Sends a signal by name (HUP, TERM) with the system's kill. */
    void signal(String name) throws Exception {
        Process k = new ProcessBuilder("kill", "-s", name, Long.toString(process.pid())).inheritIO().start();
        if (k.waitFor() != 0) throw new AssertionError("kill -s " + name + " failed");
    }

    /** Waits for exit; returns the exit code, or -1 if still running after {@code timeout}. */
    int waitFor(Duration timeout) throws InterruptedException {
        return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS) ? process.exitValue() : -1;
    }

    /** Waits until GET {@code url} answers 200 (or the process dies). */
    void awaitHttp(String url) throws Exception {
        TestHost.await(Duration.ofSeconds(30), url + " answering (stderr: " + stderr() + ")", () -> {
            if (!process.isAlive()) throw new AssertionError("cairn exited: " + safe(this::stdout) + safe(this::stderr));
            try {
                return get(url).statusCode() == 200;
            } catch (IOException e) {
                return false;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        });
    }

    static HttpResponse<String> get(String url) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> post(String url) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    }

    interface IoSupplier {
        String get() throws IOException;
    }

    private static String safe(IoSupplier s) {
        try {
            return s.get();
        } catch (IOException e) {
            return "";
        }
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
