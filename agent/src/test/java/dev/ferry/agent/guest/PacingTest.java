package dev.ferry.agent.guest;

import static dev.ferry.agent.guest.TestGuests.MIB;
import static dev.ferry.agent.guest.TestGuests.PAUSE_TIMEOUT;
import static dev.ferry.agent.guest.TestGuests.dirtier;
import static dev.ferry.agent.guest.TestGuests.registerSum;
import static dev.ferry.agent.guest.TestGuests.sleepMillis;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ferry.common.memory.GuestMemory;
import dev.ferry.proto.v1.DirtyPattern;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PacingTest {
    @ParameterizedTest(name = "{0} MiB/s on {1} vCPUs")
    @CsvSource({"64, 1", "64, 3", "100, 2"})
    @Timeout(10)
    void holdsTheRateWithinFifteenPercent(long mibPerSecond, int vcpus) throws Exception {
        long target = mibPerSecond * MIB;
        try (Guest guest = Guest.create(dirtier("rate", 16 * MIB, vcpus, DirtyPattern.UNIFORM, 0, target))) {
            // Measure the steady state: first-touch faults (tens of microseconds each in a
            // sandbox) and a cold JIT slow the first few hundred milliseconds.
            guest.memory().pretouch();
            guest.start();
            sleepMillis(300);
            guest.pause(PAUSE_TIMEOUT);
            long before = registerSum(guest.cpuStates(), Dirtier.SEQ);
            long begin = System.nanoTime();
            guest.resume();
            sleepMillis(1000);
            guest.pause(PAUSE_TIMEOUT);
            double seconds = (System.nanoTime() - begin) / 1e9;
            long pages = registerSum(guest.cpuStates(), Dirtier.SEQ);
            assertEquals(pages, guest.steps(), "one page per step");
            double rate = (pages - before) * (double) GuestMemory.PAGE_SIZE / seconds;
            assertEquals(target, rate, 0.15 * target, "measured " + rate / MIB + " MiB/s");
        }
    }

    @Test
    @Timeout(10)
    void pauseIsNotHeldUpByPacingSleeps() throws Exception {
        // one page every 2 s: the vCPU spends nearly all its time in the pacer
        try (Guest guest = Guest.create(dirtier("slow", 1 * MIB, 1, DirtyPattern.UNIFORM, 0, 2048))) {
            guest.start();
            sleepMillis(50);
            long begin = System.nanoTime();
            guest.pause(PAUSE_TIMEOUT);
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - begin);
            assertTrue(millis < 50, "pause took " + millis + " ms");
        }
    }

    @Test
    @Timeout(5)
    void pacerCatchesUpAfterOversleepingButNotAfterAStall() {
        BooleanSupplier never = () -> false;
        Pacer pacer = new Pacer(1000); // 1 ms per step
        pacer.restart(System.nanoTime() - TimeUnit.MILLISECONDS.toNanos(40));
        long begin = System.nanoTime();
        for (int i = 0; i < 40; i++) {
            assertTrue(pacer.awaitNext(never));
        }
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - begin);
        assertTrue(millis < 20, "40 ms behind: 40 steps are due at once, took " + millis + " ms");

        pacer.restart(System.nanoTime() - TimeUnit.SECONDS.toNanos(1));
        assertTrue(pacer.awaitNext(never), "a stall's first step runs at once");
        begin = System.nanoTime();
        assertTrue(pacer.awaitNext(never));
        assertTrue(System.nanoTime() - begin > TimeUnit.MICROSECONDS.toNanos(500), "then the schedule restarts");

        Pacer slow = new Pacer(1); // the next step is a second away
        slow.restart(System.nanoTime());
        assertTrue(slow.awaitNext(never));
        assertFalse(slow.awaitNext(() -> true), "an abort ends the wait without a step");
    }
}
