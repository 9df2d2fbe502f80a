package dev.ferry.agent.guest;

import static dev.ferry.agent.guest.TestGuests.MIB;
import static dev.ferry.agent.guest.TestGuests.PAUSE_TIMEOUT;
import static dev.ferry.agent.guest.TestGuests.dirtier;
import static dev.ferry.agent.guest.TestGuests.eventually;
import static dev.ferry.agent.guest.TestGuests.sleepMillis;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ferry.common.memory.PageDigest;
import dev.ferry.proto.v1.DirtyPattern;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class PauseResumeTest {
    @Test
    @Timeout(10)
    void pausedGuestStopsChangingAndResumedGuestGoesOn() throws Exception {
        try (Guest guest = Guest.create(dirtier("pr", 16 * MIB, 2, DirtyPattern.UNIFORM, 0, 32 * MIB))) {
            guest.start();
            assertTrue(eventually(Duration.ofSeconds(2), () -> guest.steps() > 100));
            guest.pause(PAUSE_TIMEOUT);
            assertFalse(guest.isRunning());
            long steps = guest.steps();
            long digest = PageDigest.of(guest.memory().segment());
            long dirty = guest.memory().dirtyBitmap().dirtyPages();
            sleepMillis(100);
            assertEquals(digest, PageDigest.of(guest.memory().segment()), "memory changed while paused");
            assertEquals(dirty, guest.memory().dirtyBitmap().dirtyPages(), "bitmap changed while paused");
            assertEquals(steps, guest.steps(), "steps ran while paused");

            guest.resume();
            assertTrue(guest.isRunning());
            assertTrue(eventually(Duration.ofSeconds(2), () -> guest.steps() > steps + 100));
        }
    }

    @Test
    @Timeout(10)
    void pauseAndResumeAreIdempotent() throws Exception {
        try (Guest guest = Guest.create(dirtier("idem", 4 * MIB, 2, DirtyPattern.HOTSET, 0, 0))) {
            guest.start();
            guest.resume();
            assertTrue(guest.isRunning());
            guest.pause(PAUSE_TIMEOUT);
            long steps = guest.steps();
            guest.pause(PAUSE_TIMEOUT);
            assertEquals(steps, guest.steps());
            assertEquals(2, guest.cpuStates().size());
            guest.resume();
            guest.resume();
            assertTrue(eventually(Duration.ofSeconds(2), () -> guest.steps() > steps));
        }
    }

    @Test
    @Timeout(10)
    void pauseDuringUnlimitedWritingReturnsPromptly() throws Exception {
        try (Guest guest = Guest.create(dirtier("fast", 64 * MIB, 4, DirtyPattern.UNIFORM, 0, 0))) {
            guest.start();
            assertTrue(eventually(Duration.ofSeconds(2), () -> guest.steps() > 10_000));
            for (int i = 0; i < 20; i++) {
                guest.pause(Duration.ofMillis(500));
                guest.resume();
            }
            guest.pause(Duration.ofMillis(500));
            assertFalse(guest.isRunning());
        }
    }

    @Test
    @Timeout(10)
    void pauseBeforeStartKeepsTheVcpusParked() throws Exception {
        try (Guest guest = Guest.create(dirtier("early", 4 * MIB, 1, DirtyPattern.UNIFORM, 0, 0))) {
            guest.pause(PAUSE_TIMEOUT);
            guest.start();
            guest.pause(PAUSE_TIMEOUT);
            sleepMillis(50);
            assertEquals(0, guest.steps());
            assertFalse(guest.isRunning());
            guest.resume();
            assertTrue(eventually(Duration.ofSeconds(2), () -> guest.steps() > 0));
        }
    }

    @Test
    @Timeout(10)
    void cpuStatesRequireAPause() throws Exception {
        try (Guest guest = Guest.create(dirtier("cs", 4 * MIB, 1, DirtyPattern.UNIFORM, 0, MIB))) {
            guest.start();
            IllegalStateException e = assertThrows(IllegalStateException.class, guest::cpuStates);
            assertTrue(e.getMessage().contains("paused"), e.getMessage());
        }
    }
}
