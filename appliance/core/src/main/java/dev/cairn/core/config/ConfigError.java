package dev.cairn.core.config;

/**
 * One problem in a config file, printed as {@code FILE:LINE:COL: path.to.key: message}.
 * Line and column are 1-based; 0 when unknown.
 */
public record ConfigError(String file, int line, int column, String path, String message) {

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(file);
        if (line > 0) {
            sb.append(':').append(line).append(':').append(column);
        }
        sb.append(": ");
        if (path != null && !path.isEmpty()) {
            sb.append(path).append(": ");
        }
        return sb.append(message).toString();
    }
}
