package dev.cairn.replication.flavour;

import dev.cairn.replication.ReplicationErrors;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A server's flavour and version, read from {@code SELECT @@version, @@version_comment} and never
 * from JDBC metadata: Connector/J reports MariaDB 10.x as {@code 5.5.5-10.11.6-MariaDB} (the
 * replication-protocol prefix), and MariaDB 11+ drops the prefix.
 *
 * @param raw {@code @@version} as the server answered it
 * @param comment {@code @@version_comment}
 */
public record ServerVersion(Flavour flavour, int major, int minor, int patch, String raw, String comment) {

    private static final Pattern NUMBERS = Pattern.compile("(\\d+)\\.(\\d+)\\.(\\d+)");

    /** Parses {@code @@version} and {@code @@version_comment}; fails on text with no x.y.z version. */
    public static ServerVersion parse(String version, String versionComment) {
        String v = version == null ? "" : version.trim();
        String c = versionComment == null ? "" : versionComment;
        boolean maria = v.toLowerCase(Locale.ROOT).contains("mariadb") || c.toLowerCase(Locale.ROOT).contains("mariadb");
        String rest = maria && v.startsWith("5.5.5-") ? v.substring("5.5.5-".length()) : v;
        Matcher m = NUMBERS.matcher(rest);
        if (!m.find()) {
            throw new IllegalArgumentException(ReplicationErrors.BAD_VERSION.id() + " cannot read a version from @@version '" + version + "'");
        }
        return new ServerVersion(maria ? Flavour.MARIADB : Flavour.MYSQL,
                Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3)), v, c);
    }

    /** True when this version is {@code major.minor.patch} or later. */
    public boolean atLeast(int maj, int min, int pat) {
        if (major != maj) return major > maj;
        if (minor != min) return minor > min;
        return patch >= pat;
    }

    /** e.g. {@code MariaDB 10.11.6}. */
    public String shortName() {
        return (flavour == Flavour.MARIADB ? "MariaDB " : "MySQL ") + major + "." + minor + "." + patch;
    }

    @Override
    public String toString() {
        return shortName();
    }
}
