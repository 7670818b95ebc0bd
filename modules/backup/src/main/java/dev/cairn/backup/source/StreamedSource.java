package dev.cairn.backup.source;

/**
 * A backup source that produces logical files as streams rather than a directory tree: a
 * database dump, a command's standard output, a Prometheus TSDB snapshot, Grafana's API. The
 * engine hands it an {@link EntrySink} that writes into the repository; the source never
 * writes a temporary copy of what it backs up.
 *
 * <p>A source instance is built from its config for one run and is not shared between threads.
 */
public interface StreamedSource {

    /** The config key of this kind of source, e.g. {@code mysql}, {@code command}. */
    String kind();

    /**
     * Produces one snapshot's files into {@code sink}. Returns normally only when the whole
     * snapshot is good; any failure throws (and the engine discards what was streamed).
     */
    void backup(EntrySink sink) throws SourceException, InterruptedException;
}
