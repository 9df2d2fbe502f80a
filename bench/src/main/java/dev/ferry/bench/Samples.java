package dev.ferry.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Every measured value of a scenario, by metric name, in the order they were taken. */
final class Samples {
    private final Map<String, List<Double>> byMetric = new LinkedHashMap<>();

    void add(String metric, double value) {
        byMetric.computeIfAbsent(metric, k -> new ArrayList<>()).add(value);
    }

    void addAll(Map<String, Double> values) {
        values.forEach(this::add);
    }

    Map<String, Stats> stats() {
        Map<String, Stats> stats = new LinkedHashMap<>();
        byMetric.forEach((metric, values) -> stats.put(metric, Stats.of(values)));
        return stats;
    }

    List<Double> values(String metric) {
        return byMetric.getOrDefault(metric, List.of());
    }
}
