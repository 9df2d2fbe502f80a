package dev.ferry.bench.scenario;

import java.util.Map;

/** One named benchmark scenario; each call measures one repeat and returns its metrics. */
public interface Scenario {
    String name();

    Map<String, Double> runOnce() throws Exception;
}
