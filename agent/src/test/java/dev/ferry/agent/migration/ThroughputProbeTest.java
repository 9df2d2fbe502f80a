package dev.ferry.agent.migration;

import dev.ferry.agent.TwoAgents;
import dev.ferry.proto.v1.MigrationOptions;
import dev.ferry.proto.v1.MigrationProgress;
import org.junit.jupiter.api.Test;

class ThroughputProbeTest {
    @Test
    void probe() {
        int channels = Integer.getInteger("probe.channels", 2);
        try (TwoAgents agents = new TwoAgents()) {
            agents.stub(0).createGuest(TwoAgents.idleRandom("g", 1L << 30));
            for (int i = 0; i < 3; i++) {
                MigrationProgress end = agents.migrate(i % 2, (i + 1) % 2, "g", MigrationOptions.newBuilder().setChannels(channels).build());
                System.out.printf("PROBE %s total %d ms, setup %d ms, downtime %d us, %.2f GB/s%n", end.getStatus(), end.getTotalMicros() / 1000,
                        end.getSetupMicros() / 1000, end.getDowntimeMicros(), end.getBytesOnWire() / (end.getTotalMicros() / 1e6) / 1e9);
            }
        }
    }
}
