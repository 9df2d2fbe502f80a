package dev.ferry.agent.migration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ferry.agent.TwoAgents;
import dev.ferry.proto.v1.DirtyPattern;
import dev.ferry.proto.v1.MigrationOptions;
import dev.ferry.proto.v1.MigrationProgress;
import dev.ferry.proto.v1.MigrationStatus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class MigrationSmokeTest {
    @Test
    void idleGuestArrivesByteForByte() {
        try (TwoAgents agents = new TwoAgents()) {
            agents.stub(0).createGuest(TwoAgents.idleRandom("g1", 64 << 20));
            long digest = agents.describe(0, "g1", true).getMemoryDigest();
            MigrationProgress end = agents.migrate(0, 1, "g1", MigrationOptions.getDefaultInstance());
            assertEquals(MigrationStatus.COMPLETED, end.getStatus(), end.getError());
            assertTrue(end.getMemoryVerified());
            assertEquals(digest, agents.describe(1, "g1", true).getMemoryDigest());
        }
    }

    @Test
    void dirtyingGuestMigrates() {
        try (TwoAgents agents = new TwoAgents()) {
            agents.stub(0).createGuest(TwoAgents.dirtier("g2", 128 << 20, 64 << 20, DirtyPattern.UNIFORM));
            MigrationProgress end = agents.migrate(0, 1, "g2", MigrationOptions.getDefaultInstance());
            assertEquals(MigrationStatus.COMPLETED, end.getStatus(), end.getError());
            assertTrue(end.getMemoryVerified());
            assertTrue(end.getRoundsCount() >= 2, "pre-copy iterated: " + end.getRoundsCount() + " rounds");
            long steps = agents.describe(1, "g2", false).getSteps();
            dev.ferry.common.testing.Await.until(() -> agents.describe(1, "g2", false).getSteps() > steps,
                    java.time.Duration.ofSeconds(10), "the guest to run on the destination");
            assertTrue(agents.agent(0).host().guests().all().isEmpty(), "the source freed its copy");
        }
    }
}
