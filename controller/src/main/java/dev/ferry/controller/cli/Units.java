package dev.ferry.controller.cli;

import dev.ferry.common.units.ByteSizes;
import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Sizes, rates and durations as people type and read them. Sizes are binary:
 * {@code 1g} is 1 GiB. A rate is a size per second; {@code unlimited} or {@code 0} is 0.
 */
public final class Units {

    private static final Pattern DURATION = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(us|ms|s|m)", Pattern.CASE_INSENSITIVE);
    private static final String[] UNITS = {"B", "KiB", "MiB", "GiB", "TiB"};

    private Units() {
    }

    /** {@code 4096}, {@code 64k}, {@code 1g}, {@code 1.5GiB}: bytes. */
    public static long parseSize(String text) {
        return ByteSizes.parse(text);
    }

    /** {@code 100m} or {@code 100m/s}: bytes per second; {@code unlimited} and {@code 0} give 0. */
    public static long parseRate(String text) {
        String trimmed = text.trim().toLowerCase(Locale.ROOT);
        if (trimmed.equals("unlimited")) {
            return 0;
        }
        return parseSize(trimmed.endsWith("/s") ? trimmed.substring(0, trimmed.length() - 2) : trimmed);
    }

    /** {@code 500us}, {@code 50ms}, {@code 2s}, {@code 1.5s}, {@code 5m}. */
    public static Duration parseDuration(String text) {
        Matcher m = DURATION.matcher(text.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException("not a duration: '" + text + "' (try 500us, 50ms, 2s)");
        }
        double micros = Double.parseDouble(m.group(1)) * microsPer(m.group(2).toLowerCase(Locale.ROOT));
        return Duration.ofNanos(Math.round(micros * 1000));
    }

    /** Human size with the given decimals: {@code 1.0 GiB}, {@code 512.00 MiB}. */
    public static String formatSize(double bytes, int decimals) {
        int unit = 0;
        while (Math.abs(bytes) >= 1024 && unit < UNITS.length - 1) {
            bytes /= 1024;
            unit++;
        }
        return unit == 0 ? String.format(Locale.ROOT, "%.0f B", bytes)
                : String.format(Locale.ROOT, "%." + decimals + "f %s", bytes, UNITS[unit]);
    }

    /** A rate in MiB/s below 1 GiB/s, else GiB/s. */
    public static String formatRate(double bytesPerSecond) {
        double mib = bytesPerSecond / (1024.0 * 1024);
        return mib < 1024 ? String.format(Locale.ROOT, "%.1f MiB/s", mib)
                : String.format(Locale.ROOT, "%.2f GiB/s", mib / 1024);
    }

    /** Milliseconds with up to one decimal, dropping a trailing {@code .0}: {@code 50 ms}, {@code 3.2 ms}. */
    public static String formatMillis(double micros) {
        double ms = micros / 1000.0;
        return ms == Math.rint(ms) ? String.format(Locale.ROOT, "%.0f ms", ms)
                : String.format(Locale.ROOT, "%.1f ms", ms);
    }

    private static double microsPer(String unit) {
        return switch (unit) {
            case "us" -> 1;
            case "ms" -> 1_000;
            case "s" -> 1_000_000;
            default -> 60_000_000;
        };
    }
}
