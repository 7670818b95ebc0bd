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

    /**
     * Starts an object that is named only once it is complete (a pack: named by the hash of its
     * bytes), to be written as it is produced and then stored with {@link Pending#commit}. Nothing
     * is visible under a name before the commit. The default buffers the bytes in memory and
     * commits with {@link #putIfAbsent}; a local directory writes them to a temporary file.
     *
     * @param prefix where the object will be named (e.g. {@code "data/"})
     * @param sizeHint the expected size in bytes (initial buffer capacity)
     */
    default Pending create(String prefix, int sizeHint) throws IOException {
        return new InMemory(this, sizeHint);
    }

    /** An object being written: append, then commit under its name or close to discard. Not thread-safe. */
    interface Pending extends Closeable {
        void write(byte[] b, int off, int len) throws IOException;

        /** Stores what was written as {@code name} unless it exists (then false, the old content kept). */
        boolean commit(String name) throws IOException;

        /** Discards an object that was not committed; after a commit it only releases resources. */
        @Override
        void close() throws IOException;
    }

    /** The default {@link Pending}: one growable array, stored by {@link #putIfAbsent}. */
    final class InMemory implements Pending {
        private final Store store;
        private byte[] b;
        private int n;

        /** {@code store} null: {@link #commit} is not used (the caller takes {@link #buffer}). */
        public InMemory(Store store, int sizeHint) {
            this.store = store;
            this.b = new byte[Math.max(4096, sizeHint)];
        }

        @Override
        public void write(byte[] src, int off, int len) {
            if (n + len > b.length) b = java.util.Arrays.copyOf(b, (int) Math.min(Integer.MAX_VALUE - 16, Math.max((long) b.length * 3 / 2, (long) n + len)));
            System.arraycopy(src, off, b, n, len);
            n += len;
        }

        /** The bytes written so far ({@code [0, size())} of the returned array). */
        public byte[] buffer() {
            return b;
        }

        public int size() {
            return n;
        }

        @Override
        public boolean commit(String name) throws IOException {
            return store.putIfAbsent(name, b, 0, n);
        }

        @Override
        public void close() {
            b = new byte[0];
            n = 0;
        }
    }

    /** The whole object; {@link java.nio.file.NoSuchFileException} when absent. */
    byte[] get(String name) throws IOException;

    /** {@code length} bytes from {@code offset}; fewer only if the object is shorter (truncated). */
    byte[] get(String name, long offset, int length) throws IOException;

    /**
     * Reads up to {@code length} bytes of {@code name} from {@code offset} into {@code into} at
     * {@code off} and returns how many there were (fewer only at the object's end): a ranged get
     * into a buffer the caller reuses.
     */
    default int read(String name, long offset, byte[] into, int off, int length) throws IOException {
        byte[] b = get(name, offset, length);
        int n = Math.min(b.length, length);
        System.arraycopy(b, 0, into, off, n);
        return n;
    }

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
