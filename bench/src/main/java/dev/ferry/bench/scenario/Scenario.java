package dev.ferry.bench.scenario;

/** One named benchmark scenario; each call measures one repeat. */
public interface Scenario {
    String name();

    Measurement runOnce() throws Exception;
}
