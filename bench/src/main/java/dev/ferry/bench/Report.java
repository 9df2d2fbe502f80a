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
    private final int warmup;

    Report(Map<String, Samples> results, long idleBytes, long dirtyBytes, int channels, int repeat, int warmup) {
        this.results = results;
        this.idleBytes = idleBytes;
        this.dirtyBytes = dirtyBytes;
        this.channels = channels;
        this.repeat = repeat;
        this.warmup = warmup;
    }

    /** Per-repeat metrics first; then, for the scenarios that have them, totals and pooled percentiles. */
    String table() {
        StringBuilder out = new StringBuilder(row("SCENARIO", "METRIC", format("%10s %10s %10s", "MEDIAN", "MIN", "MAX")));
        results.forEach((scenario, samples) -> samples.stats().forEach((metric, s) ->
                out.append(row(scenario, metric, format("%10.3f %10.3f %10.3f", s.median(), s.min(), s.max())))));
        if (results.values().stream().anyMatch(s -> !s.totals().isEmpty())) {
            out.append('\n').append(row("SCENARIO", "COUNT", format("%10s", "TOTAL")));
            results.forEach((scenario, samples) -> samples.totals().forEach((name, total) ->
                    out.append(row(scenario, name, format("%10d", total)))));
        }
        if (results.values().stream().anyMatch(s -> !s.distributions().isEmpty())) {
            out.append('\n').append(row("SCENARIO", "ALL SAMPLES", format("%10s %10s %10s %10s", "P50", "P99", "MAX", "N")));
            results.forEach((scenario, samples) -> samples.distributions().forEach((name, d) ->
                    out.append(row(scenario, name, format("%10.3f %10.3f %10.3f %10d", d.p50(), d.p99(), d.max(), d.count())))));
        }
        return out.toString();
    }

    private static String row(String scenario, String name, String values) {
        return format("%-18s %-27s %s%n", scenario, name, values);
    }

    private static String format(String format, Object... args) {
        return String.format(Locale.ROOT, format, args);
    }

    String json() {
        StringJoiner scenarios = new StringJoiner(",\n", "{\n", "\n  }");
        results.forEach((scenario, samples) -> scenarios.add("    \"" + scenario + "\": " + scenarioJson(samples)));
        return "{\n  \"machine\": {\"cores\": " + Runtime.getRuntime().availableProcessors()
                + ", \"java\": \"" + System.getProperty("java.version") + "\"},\n"
                + "  \"settings\": {\"idle_bytes\": " + idleBytes + ", \"dirty_bytes\": " + dirtyBytes
                + ", \"channels\": " + channels + ", \"repeat\": " + repeat + ", \"warmup\": " + warmup + "},\n"
                + "  \"units\": {\"throughput_gbps\": \"guest memory size in Gbit / total seconds\","
                + " \"wire_gbps\": \"Gbit on the wire / total seconds\","
                + " \"ratio_to_reference\": \"wire_gbps / reference throughput_gbps of the same repeat\","
                + " \"ratio_to_verified_reference\": \"wire_gbps / reference verified_throughput_gbps (plain Java"
                + " hashing every page on both ends) of the same repeat\","
                + " \"*_ms\": \"milliseconds\","
                + " \"counts\": \"plain integers are events summed over all repeats (kv clients: resets, lost,"
                + " duplicated, wrong replies)\","
                + " \"blackout_ms\": \"per migration, the longest pause between two replies of any kv client"
                + " overlapping it (start to destination running); p50/p99/max nearest-rank over all migrations"
                + " of all repeats\"},\n"
                + "  \"scenarios\": " + scenarios + "\n}\n";
    }

    /** Totals as plain integers, pooled figures as percentiles, per-repeat metrics as median/min/max. */
    private static String scenarioJson(Samples samples) {
        StringJoiner fields = new StringJoiner(", ", "{", "}");
        samples.totals().forEach((name, total) -> fields.add("\"" + name + "\": " + total));
        samples.distributions().forEach((name, d) -> fields.add("\"" + name + "\": " + d.json()));
        samples.stats().forEach((metric, s) -> fields.add("\"" + metric + "\": " + s.json()));
        return fields.toString();
    }
}
