package dev.ferry.bench;

import java.util.ArrayList;
import java.util.List;

/** Median, min and max of one metric over a scenario's repeats. */
record Stats(double median, double min, double max) {
    static Stats of(List<Double> samples) {
        List<Double> sorted = new ArrayList<>(samples);
        sorted.sort(Double::compare);
        int n = sorted.size();
        double median = n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
        return new Stats(median, sorted.getFirst(), sorted.getLast());
    }

    String json() {
        return "{\"median\": " + num(median) + ", \"min\": " + num(min) + ", \"max\": " + num(max) + "}";
    }

    static String num(double value) {
        return Double.isFinite(value) ? String.format(java.util.Locale.ROOT, "%.4f", value) : "null";
    }
}
