package dev.cairn.spi.config;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A size in bytes, written in the config as {@code 512MiB}, {@code 2MB}, {@code 64k} or a plain
 * number of bytes. IEC suffixes (KiB, MiB, GiB, TiB) are powers of 1024, SI ones (kB, MB, GB, TB)
 * powers of 1000; a bare {@code k/m/g} means the power of 1024, as in nginx and HAProxy.
 */
public record DataSize(long bytes) {

    private static final Pattern FORM = Pattern.compile("(\\d+)\\s*([a-zA-Z]*)");

    public DataSize {
        if (bytes < 0) {
            throw new IllegalArgumentException("size must not be negative");
        }
    }

    public static DataSize ofBytes(long bytes) {
        return new DataSize(bytes);
    }

    public static DataSize parse(String text) {
        Matcher m = FORM.matcher(text.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a size (e.g. 512MiB, 2MB, 4096)");
        }
        long n = Long.parseLong(m.group(1));
        long unit = switch (m.group(2).toLowerCase(Locale.ROOT)) {
            case "", "b" -> 1L;
            case "k", "kib" -> 1L << 10;
            case "m", "mib" -> 1L << 20;
            case "g", "gib" -> 1L << 30;
            case "t", "tib" -> 1L << 40;
            case "kb" -> 1_000L;
            case "mb" -> 1_000_000L;
            case "gb" -> 1_000_000_000L;
            case "tb" -> 1_000_000_000_000L;
            default -> throw new IllegalArgumentException(
                    "unknown size unit '" + m.group(2) + "' (use B, KiB, MiB, GiB, TiB, kB, MB, GB, TB)");
        };
        return new DataSize(Math.multiplyExact(n, unit));
    }

    @Override
    public String toString() {
        if (bytes != 0 && bytes % (1L << 30) == 0) return bytes / (1L << 30) + "GiB";
        if (bytes != 0 && bytes % (1L << 20) == 0) return bytes / (1L << 20) + "MiB";
        if (bytes != 0 && bytes % (1L << 10) == 0) return bytes / (1L << 10) + "KiB";
        return bytes + "B";
    }
}
