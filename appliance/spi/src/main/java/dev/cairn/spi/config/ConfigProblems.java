package dev.cairn.spi.config;

/**
 * Collects config problems so that all of them are reported at once, each as
 * {@code FILE:LINE:COL: path.to.key: message}.
 */
public interface ConfigProblems {

    /**
     * Reports a problem with {@code key} of a bound config record (any record the host bound
     * from the file, at any depth). {@code key} is the YAML key, e.g. {@code "service"}; null
     * points at the record itself.
     */
    void error(Object record, String key, String message);

    /** Reports a problem with a whole section or something that has no record. */
    void error(String path, String message);

    /** True once any error was reported. */
    boolean hasErrors();
}
