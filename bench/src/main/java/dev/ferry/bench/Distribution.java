package dev.ferry.bench;

import dev.ferry.controller.kv.KvLoadReports;
import dev.ferry.proto.v1.Percentiles;
import java.util.List;

/** Nearest-rank percentiles of a figure pooled over all repeats (as the kv load reports its own). */
record Distribution(double p50, double p99, double max, int count) {
    static Distribution of(List<Double> samples) {
        Percentiles p = KvLoadReports.percentiles(samples.stream().mapToDouble(Double::doubleValue).toArray());
        return new Distribution(p.getP50(), p.getP99(), p.getMax(), samples.size());
    }

    String json() {
        return "{\"p50\": " + Stats.num(p50) + ", \"p99\": " + Stats.num(p99) + ", \"max\": " + Stats.num(max)
                + ", \"samples\": " + count + "}";
    }
}
