package dev.ferry.bench.scenario;

import dev.ferry.proto.v1.GuestSpec;
import dev.ferry.proto.v1.MigrationOptions;
import dev.ferry.proto.v1.MigrationProgress;
import dev.ferry.proto.v1.MigrationStatus;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BiFunction;

/**
 * A guest created on the first agent, running for a warm-up, migrated to the second agent
 * and destroyed there: the figures come from the migration's own final statistics.
 */
public final class MigrationScenario implements Scenario {
    /** The two agents, as the bench drives them. */
    public interface Hosts {
        void create(GuestSpec spec);

        MigrationProgress migrate(GuestSpec spec, MigrationOptions options);

        void destroyEverywhere(String guest);
    }

    private final String name;
    private final BiFunction<String, Integer, GuestSpec> spec;
    private final Duration warmup;
    private final Hosts hosts;
    private final MigrationOptions options;
    private int runs;

    public MigrationScenario(String name, BiFunction<String, Integer, GuestSpec> spec, Duration warmup, Hosts hosts,
                             MigrationOptions options) {
        this.name = name;
        this.spec = spec;
        this.warmup = warmup;
        this.hosts = hosts;
        this.options = options;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public Measurement runOnce() throws InterruptedException {
        GuestSpec guest = spec.apply(name, ++runs);
        hosts.create(guest);
        try {
            Thread.sleep(warmup);
            MigrationProgress end = hosts.migrate(guest, options);
            if (end.getStatus() != MigrationStatus.COMPLETED) {
                throw new IllegalStateException(name + ": migration ended " + end.getStatus() + ": " + end.getError());
            }
            return Measurement.of(metrics(end));
        } finally {
            hosts.destroyEverywhere(guest.getName());
        }
    }

    static Map<String, Double> metrics(MigrationProgress end) {
        Map<String, Double> m = new LinkedHashMap<>();
        double seconds = end.getTotalMicros() / 1e6;
        m.put("total_ms", end.getTotalMicros() / 1e3);
        m.put("downtime_ms", end.getDowntimeMicros() / 1e3);
        m.put("setup_ms", end.getSetupMicros() / 1e3);
        m.put("throughput_gbps", end.getMemoryBytes() * 8 / seconds / 1e9);
        m.put("wire_gbps", end.getBytesOnWire() * 8 / seconds / 1e9);
        m.put("rounds", (double) end.getRoundsCount());
        m.put("converged", end.getStalled() || end.getRoundsCount() >= end.getOptions().getMaxRounds() ? 0.0 : 1.0);
        m.put("verified", end.getMemoryVerified() ? 1.0 : 0.0);
        m.put("gib_on_wire", end.getBytesOnWire() / (double) (1L << 30));
        return m;
    }
}
