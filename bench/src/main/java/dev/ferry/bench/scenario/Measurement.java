package dev.ferry.bench.scenario;

import java.util.List;
import java.util.Map;

/**
 * What one repeat of a scenario measured. Most figures are one value per repeat, summed up
 * as median/min/max over the repeats. Some are not: events that should never happen are
 * counted and summed over all repeats (one reset in five runs matters, its median does
 * not), and figures taken many times per repeat keep every sample, so their percentiles
 * are over all of them rather than a median of per-repeat percentiles.
 *
 * @param metrics one value per repeat, by name
 * @param counts events counted in this repeat, summed over all repeats
 * @param samples every sample of a figure taken several times per repeat, pooled over all repeats
 * @param problems what a person should read (e.g. what a client saw go wrong), printed as it happens
 */
public record Measurement(Map<String, Double> metrics, Map<String, Long> counts, Map<String, List<Double>> samples,
                          List<String> problems) {
    public static Measurement of(Map<String, Double> metrics) {
        return new Measurement(metrics, Map.of(), Map.of(), List.of());
    }

    public Measurement withMetrics(Map<String, Double> replaced) {
        return new Measurement(replaced, counts, samples, problems);
    }
}
