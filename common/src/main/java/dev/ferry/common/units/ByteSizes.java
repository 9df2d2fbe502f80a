package dev.ferry.common.units;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Sizes as people type them, for every daemon option and CLI flag: {@code 4096},
 * {@code 64k}, {@code 512M}, {@code 1g}, {@code 1.5GiB}. Binary units: 1k = 1024.
 */
public final class ByteSizes {
    private static final Pattern SIZE = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*([kmgt]?)(?:i?b)?", Pattern.CASE_INSENSITIVE);

    private ByteSizes() {}

    public static long parse(String text) {
        Matcher m = SIZE.matcher(text.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException("not a size: '" + text + "' (try 4096, 512m, 1g)");
        }
        return Math.round(Double.parseDouble(m.group(1)) * multiplier(m.group(2)));
    }

    private static long multiplier(String suffix) {
        return switch (suffix.toLowerCase(Locale.ROOT)) {
            case "" -> 1L;
            case "k" -> 1L << 10;
            case "m" -> 1L << 20;
            case "g" -> 1L << 30;
            default -> 1L << 40;
        };
    }
}
