package dev.ferry.common.units;

import java.util.Locale;

/** Parses sizes like {@code 512m}, {@code 1g}, {@code 4096} (binary units: 1k = 1024). */
public final class ByteSizes {
    private ByteSizes() {}

    public static long parse(String text) {
        String s = text.trim().toLowerCase(Locale.ROOT).replaceAll("i?b$", "");
        if (s.isEmpty()) {
            throw new IllegalArgumentException("empty size");
        }
        int shift = switch (s.charAt(s.length() - 1)) {
            case 'k' -> 10;
            case 'm' -> 20;
            case 'g' -> 30;
            case 't' -> 40;
            default -> 0;
        };
        String digits = shift == 0 ? s : s.substring(0, s.length() - 1);
        try {
            long value = Long.parseLong(digits);
            if (value < 0 || value > (Long.MAX_VALUE >> shift)) {
                throw new NumberFormatException();
            }
            return value << shift;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "' is not a size: use a whole number with an optional k, m, g or t suffix, e.g. 512m");
        }
    }
}
