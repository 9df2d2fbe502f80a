package dev.ferry.agent.migration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ferry.agent.TwoAgents;
import dev.ferry.proto.v1.DirtyPattern;
import dev.ferry.proto.v1.MigrationOptions;
import dev.ferry.proto.v1.MigrationProgress;
import dev.ferry.proto.v1.MigrationStatus;
import dev.ferry.proto.v1.RoundStats;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The engine's options over real loopback migrations: channels, zero pages, the bandwidth cap, statistics. */
@Timeout(120)
class MigrationEngineTest {
    private static final long MIB = 1 << 20;
    private final TwoAgents agents = new TwoAgents();

    @AfterEach
    void stop() {
        agents.close();
    }

    @Test
    void manyChannelsKeepPageVersionsInOrderWhileTheGuestWrites() {
        agents.stub(0).createGuest(TwoAgents.dirtier("g", 64 * MIB, 64 * MIB, DirtyPattern.SEQUENTIAL));
        for (int channels : new int[] {1, 3, 8}) {
            int from = channels == 3 ? 1 : 0;
            MigrationProgress end = agents.migrate(from, 1 - from, "g", MigrationOptions.newBuilder().setChannels(channels).build());
            assertEquals(MigrationStatus.COMPLETED, end.getStatus(), end.getError());
            assertTrue(end.getMemoryVerified(), "digest of " + channels + " channels");
            assertEquals(channels, end.getChannels());
        }
    }

    @Test
    void randomMemoryTravelsWholeAndNeverWrittenMemoryIsNotRead() {
        agents.stub(0).createGuest(TwoAgents.idleRandom("g", 64 * MIB));
        MigrationProgress there = agents.migrate(0, 1, "g", MigrationOptions.getDefaultInstance());
        assertEquals(64 * MIB / 4096, there.getPagesSent(), "every random page travels with data");

        agents.stub(1).createGuest(TwoAgents.idle("fresh", 256 * MIB, false));
        MigrationProgress fresh = agents.migrate(1, 0, "fresh", MigrationOptions.getDefaultInstance());
        assertEquals(MigrationStatus.COMPLETED, fresh.getStatus(), fresh.getError());
        assertEquals(0, fresh.getPagesSent() + fresh.getZeroPages(), "never-written memory is not even read");
        assertTrue(fresh.getMemoryVerified());
    }

    /** Pages are sent from 1 GiB windows of guest memory; a run of pages must not cross one. */
    @Test
    void aGuestJustOverOneGibMigratesOnOneChannel() {
        agents.stub(0).createGuest(TwoAgents.idleRandom("big", (1L << 30) + 8 * 4096));
        long digest = agents.describe(0, "big", true).getMemoryDigest();
        MigrationProgress end = agents.migrate(0, 1, "big", MigrationOptions.newBuilder().setChannels(1).build());
        assertEquals(MigrationStatus.COMPLETED, end.getStatus(), end.getError());
        assertTrue(end.getMemoryVerified());
        assertEquals(digest, agents.describe(1, "big", true).getMemoryDigest());
    }

    @Test
    void bandwidthCapIsHonoured() {
        long cap = 32 * MIB;
        agents.stub(0).createGuest(TwoAgents.idleRandom("g", 48 * MIB));
        MigrationProgress end = agents.migrate(0, 1, "g", MigrationOptions.newBuilder().setBandwidthBytesPerSecond(cap).build());
        assertEquals(MigrationStatus.COMPLETED, end.getStatus(), end.getError());
        RoundStats first = end.getRounds(0);
        double rate = first.getBytesOnWire() / (first.getDurationMicros() / 1e6);
        assertTrue(rate <= cap * 1.05, "round 0 ran at " + rate / MIB + " MiB/s, over the 32 MiB/s cap");
        assertTrue(rate >= cap * 0.80, "round 0 ran at " + rate / MIB + " MiB/s, far below the 32 MiB/s cap");
    }

    @Test
    void statisticsDescribeEveryRound() {
        agents.stub(0).createGuest(TwoAgents.dirtier("g", 64 * MIB, 16 * MIB, DirtyPattern.UNIFORM));
        MigrationProgress end = agents.migrate(0, 1, "g", MigrationOptions.newBuilder().setMaxDowntimeMicros(20_000).build());
        assertEquals(MigrationStatus.COMPLETED, end.getStatus(), end.getError());
        long pages = 0;
        long bytes = 0;
        for (RoundStats round : end.getRoundsList()) {
            pages += round.getPagesSent();
            bytes += round.getBytesOnWire();
            assertTrue(round.getDurationMicros() > 0, "round " + round.getRound() + " has a duration");
        }
        assertEquals(end.getPagesSent(), pages, "per-round pages add up to the total");
        assertEquals(end.getBytesOnWire(), bytes, "per-round bytes add up to the total");
        assertEquals(20_000, end.getOptions().getMaxDowntimeMicros());
        assertTrue(end.getDowntimeMicros() > 0 && end.getDowntimeMicros() < end.getTotalMicros());
        assertTrue(end.getSetupMicros() > 0 && end.getSetupMicros() < end.getTotalMicros());
        assertEquals(0, end.getRemainingBytes());
    }
}
