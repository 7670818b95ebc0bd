package dev.cairn.backup;

import dev.cairn.core.testing.TestHost;
import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** A real s3proxy (Maven Central's jar-with-dependencies) in its own JVM, filesystem blob store, on a free port. */
final class S3Proxy implements AutoCloseable {

    static final String ID = "cairn-test-identity";
    static final String SECRET = "cairn-test-credential";

    final int port;
    private final Process process;

    S3Proxy(Path dir) throws Exception {
        String jar = System.getProperty("s3proxy.jar");
        if (jar == null || !Files.exists(Path.of(jar))) throw new IllegalStateException("s3proxy.jar not found (run through Maven): " + jar);
        port = TestHost.freePort();
        Path data = dir.resolve("s3data");
        Files.createDirectories(data);
        Path props = dir.resolve("s3proxy.properties");
        Files.writeString(props, String.join("\n",
                "s3proxy.endpoint=http://127.0.0.1:" + port,
                "s3proxy.authorization=aws-v2-or-v4",
                "s3proxy.identity=" + ID,
                "s3proxy.credential=" + SECRET,
                "jclouds.provider=filesystem",
                "jclouds.filesystem.basedir=" + data, ""));
        String java = ProcessHandle.current().info().command().orElse("java");
        process = new ProcessBuilder(java, "-Xmx256m", "-jar", jar, "--properties", props.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("s3proxy.log").toFile()).start();
        TestHost.await(Duration.ofSeconds(60), "s3proxy listening on " + port, () -> {
            if (!process.isAlive()) throw new IllegalStateException("s3proxy exited: " + log(dir));
            try (Socket s = new Socket("127.0.0.1", port)) {
                return true;
            } catch (IOException e) {
                return false;
            }
        });
    }

    private static String log(Path dir) {
        try {
            return Files.readString(dir.resolve("s3proxy.log"));
        } catch (IOException e) {
            return "";
        }
    }

    @Override
    public void close() throws Exception {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) process.destroyForcibly().waitFor();
    }
}
