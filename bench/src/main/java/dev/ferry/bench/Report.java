package dev.ferry.bench;

import java.util.Locale;
import java.util.Map;
import java.util.StringJoiner;

/** The results as a table for people and JSON for tools. */
final class Report {
    private final Map<String, Samples> results;
    private final long idleBytes;
    private final long dirtyBytes;
    private final int channels;
    private final int repeat;

    Report(Map<String, Samples> results, long idleBytes, long dirtyBytes, int channels, int repeat) {
        this.results = results;
        this.idleBytes = idleBytes;
        this.dirtyBytes = dirtyBytes;
        this.channels = channels;
        this.repeat = repeat;
    }

    String table() {
        StringBuilder out = new StringBuilder(String.format(Locale.ROOT, "%-18s %-20s %10s %10s %10s%n",
                "SCENARIO", "METRIC", "MEDIAN", "MIN", "MAX"));
        results.forEach((scenario, samples) -> samples.stats().forEach((metric, s) -> out.append(String.format(Locale.ROOT,
                "%-18s %-20s %10.3f %10.3f %10.3f%n", scenario, metric, s.median(), s.min(), s.max()))));
        return out.toString();
    }

    String json() {
        StringJoiner scenarios = new StringJoiner(",\n", "{\n", "\n  }");
        results.forEach((scenario, samples) -> {
            StringJoiner metrics = new StringJoiner(", ", "{", "}");
            samples.stats().forEach((metric, s) -> metrics.add("\"" + metric + "\": " + s.json()));
            scenarios.add("    \"" + scenario + "\": " + metrics);
        });
        return "{\n  \"machine\": {\"cores\": " + Runtime.getRuntime().availableProcessors()
                + ", \"java\": \"" + System.getProperty("java.version") + "\"},\n"
                + "  \"settings\": {\"idle_bytes\": " + idleBytes + ", \"dirty_bytes\": " + dirtyBytes
                + ", \"channels\": " + channels + ", \"repeat\": " + repeat + "},\n"
                + "  \"units\": {\"throughput_gbps\": \"guest memory size in Gbit / total seconds\","
                + " \"wire_gbps\": \"Gbit on the wire / total seconds\","
                + " \"ratio_to_reference\": \"wire_gbps / reference throughput_gbps of the same repeat\","
                + " \"*_ms\": \"milliseconds\"},\n"
                + "  \"scenarios\": " + scenarios + "\n}\n";
    }
}
