package dev.ferry.bench;

import dev.ferry.bench.scenario.Measurement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Everything a scenario measured over its repeats, in the order it was taken. */
final class Samples {
    private final Map<String, List<Double>> byMetric = new LinkedHashMap<>();
    private final Map<String, Long> totals = new LinkedHashMap<>();
    private final Map<String, List<Double>> pooled = new LinkedHashMap<>();

    void add(Measurement repeat) {
        repeat.metrics().forEach((metric, value) -> byMetric.computeIfAbsent(metric, k -> new ArrayList<>()).add(value));
        repeat.counts().forEach((name, count) -> totals.merge(name, count, Long::sum));
        repeat.samples().forEach((name, values) -> pooled.computeIfAbsent(name, k -> new ArrayList<>()).addAll(values));
    }

    /** Median, min and max of each per-repeat metric. */
    Map<String, Stats> stats() {
        Map<String, Stats> stats = new LinkedHashMap<>();
        byMetric.forEach((metric, values) -> stats.put(metric, Stats.of(values)));
        return stats;
    }

    /** Each count summed over all repeats. */
    Map<String, Long> totals() {
        return totals;
    }

    /** Each pooled figure's percentiles over all samples of all repeats. */
    Map<String, Distribution> distributions() {
        Map<String, Distribution> distributions = new LinkedHashMap<>();
        pooled.forEach((name, values) -> distributions.put(name, Distribution.of(values)));
        return distributions;
    }
}
