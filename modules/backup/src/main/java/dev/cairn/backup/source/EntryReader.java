package dev.cairn.backup.source;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Map;

/**
 * One stored snapshot of a {@link StreamedSource} as a restore sees it: its logical files,
 * streamed back (verified by the engine before bytes are handed out), and the manifest's
 * {@code extra} facts.
 */
public interface EntryReader {

    /** The logical files, in the order they were written. */
    List<String> paths() throws IOException;

    InputStream open(String path) throws IOException;

    /** The manifest's {@code extra} header (empty when none). */
    Map<String, String> extra();
}
