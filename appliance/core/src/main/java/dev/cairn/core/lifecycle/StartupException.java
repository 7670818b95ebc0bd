package dev.cairn.core.lifecycle;

/** Cairn could not start; what had started was released before this was thrown. */
public final class StartupException extends Exception {
    public StartupException(String message, Throwable cause) {
        super(message, cause);
    }
}
