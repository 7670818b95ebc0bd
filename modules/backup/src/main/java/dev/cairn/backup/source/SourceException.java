package dev.cairn.backup.source;

/**
 * A source run that failed, with a stable operator-searchable id ({@code CAIRN-BACKUP-NNNN})
 * at the start of its message.
 */
public final class SourceException extends java.io.IOException {

    private final String id;

    public SourceException(String id, String message) {
        super(id + ": " + message);
        this.id = id;
    }

    public SourceException(String id, String message, Throwable cause) {
        super(id + ": " + message, cause);
        this.id = id;
    }

    /** The stable id, one of {@link SourceErrors}. */
    public String id() {
        return id;
    }
}
