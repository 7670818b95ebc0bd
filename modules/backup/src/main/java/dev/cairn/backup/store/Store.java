package dev.cairn.backup.store;

import java.io.Closeable;
import java.io.IOException;
import java.util.List;

/**
 * Where a repository's immutable objects live: a local directory, an S3 bucket, a Cairn backup
 * server. Names are {@code /}-separated ({@code data/ab/abcd.tar}). Implementations are
 * thread-safe; a put is atomic (an object is either absent or complete) and never replaces.
 */
public interface Store extends Closeable {

    /**
     * Stores {@code data[off, off+len)} as {@code name} unless it exists.
     *
     * @return false when the object already existed (its content is left as it was)
     */
    boolean putIfAbsent(String name, byte[] data, int off, int len) throws IOException;

    default boolean putIfAbsent(String name, byte[] data) throws IOException {
        return putIfAbsent(name, data, 0, data.length);
    }

    /** The whole object; {@link java.nio.file.NoSuchFileException} when absent. */
    byte[] get(String name) throws IOException;

    /** {@code length} bytes from {@code offset}; fewer only if the object is shorter (truncated). */
    byte[] get(String name, long offset, int length) throws IOException;

    /** Objects whose names start with {@code prefix} (e.g. {@code "snapshots/"}), in no particular order. */
    List<StoreObject> list(String prefix) throws IOException;

    /** Removes the object; absent is not an error. */
    void delete(String name) throws IOException;

    /** For messages: where this store is. */
    String describe();

    @Override
    default void close() throws IOException {
    }

    /** A listed object and its size in bytes. */
    record StoreObject(String name, long size) {
    }
}
