package dev.cairn.dns.zone;

/**
 * One problem found in a zone's source, named-checkzone style: {@code where} is
 * {@code file:line} for zone files or {@code records[i]} for inline records.
 */
public record ZoneProblem(String where, String message) {

    @Override
    public String toString() {
        return where.isEmpty() ? message : where + ": " + message;
    }
}
