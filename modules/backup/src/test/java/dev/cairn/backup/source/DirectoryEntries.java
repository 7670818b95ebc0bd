package dev.cairn.backup.source;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntConsumer;

/**
 * A stand-in for the repository's {@link EntrySink} in source tests (the engine's snapshot writer is built on
 * another branch): files go to a directory, extras and problems to maps. It also reads the
 * same directory back as an {@link EntryReader}. {@link #onBytes} lets a test act in the
 * middle of a stream (block it, kill the dump, run DDL).
 */
public final class DirectoryEntries implements EntrySink, EntryReader {

    private final Path dir;
    private final List<String> paths = new ArrayList<>();
    private final Map<String, String> extra = new LinkedHashMap<>();
    private final List<String> problems = new ArrayList<>();
    private IntConsumer onBytes = n -> { };
    private long written;

    public DirectoryEntries(Path dir) {
        this.dir = dir;
    }

    /** Called with the total bytes written so far, after every write. */
    public DirectoryEntries onBytes(IntConsumer hook) {
        this.onBytes = hook;
        return this;
    }

    @Override
    public void directory(EntryMeta meta) throws IOException {
        Files.createDirectories(dir.resolve(meta.path()));
    }

    @Override
    public void symlink(EntryMeta meta, byte[] target) {
        throw new UnsupportedOperationException("streamed sources emit no symlinks");
    }

    @Override
    public void hardLink(EntryMeta meta, String targetPath) {
        throw new UnsupportedOperationException("streamed sources emit no hard links");
    }

    @Override
    public void file(EntryMeta meta, Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            stream(meta, in);
        }
    }

    @Override
    public void stream(EntryMeta meta, InputStream content) throws IOException {
        Path f = dir.resolve(meta.path());
        Files.createDirectories(f.getParent());
        paths.add(meta.path());
        try (OutputStream out = Files.newOutputStream(f)) {
            byte[] buf = new byte[64 * 1024];
            int n;
            while ((n = content.read(buf)) > 0) {
                out.write(buf, 0, n);
                written += n;
                onBytes.accept((int) Math.min(Integer.MAX_VALUE, written));
            }
        }
    }

    @Override
    public void skipped(String message) {
        problems.add("skipped: " + message);
    }

    @Override
    public void extra(String key, String value) {
        extra.put(key, value);
    }

    @Override
    public void problem(String message) {
        problems.add(message);
    }

    @Override
    public List<String> paths() {
        return List.copyOf(paths);
    }

    @Override
    public InputStream open(String path) throws IOException {
        return Files.newInputStream(dir.resolve(path));
    }

    @Override
    public Map<String, String> extra() {
        return Map.copyOf(extra);
    }

    public List<String> problems() {
        return List.copyOf(problems);
    }

    public Path dir() {
        return dir;
    }

    public String read(String path) throws IOException {
        return Files.readString(dir.resolve(path));
    }
}
