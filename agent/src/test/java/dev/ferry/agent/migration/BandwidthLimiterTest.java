package dev.ferry.agent.migration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The limiter's virtual schedule with explicit clock values, plus one real-time check.
 * At 1 MB/s a byte costs exactly 1000 ns, so 1000 bytes take 1 ms.
 */
class BandwidthLimiterTest {
    private static final long MS = 1_000_000;
    private static final long BURST = 2 * MS;

    /**
     * A 1 MB/s limiter whose schedule is caught up with {@code now}: a first booking far after
     * construction starts at now - burst, and 2000 bytes (2 ms) bring the schedule to now.
     */
    private static BandwidthLimiter settledAt(long now) {
        BandwidthLimiter limiter = new BandwidthLimiter(1_000_000);
        assertEquals(now - BURST, limiter.reserve(2000, now));
        return limiter;
    }

    @Test
    void successiveReservationsStartOneMillisecondApart() {
        long now = System.nanoTime() + 10_000 * MS;
        BandwidthLimiter limiter = settledAt(now);
        for (int i = 0; i < 10; i++) {
            assertEquals(now + i * MS, limiter.reserve(1000, now), "reservation " + i);
        }
    }

    @Test
    void theScheduleIsByBytesNotByCalls() {
        long now = System.nanoTime() + 10_000 * MS;
        BandwidthLimiter limiter = settledAt(now);
        assertEquals(now, limiter.reserve(250, now));
        assertEquals(now + MS / 4, limiter.reserve(5000, now));
        assertEquals(now + MS / 4 + 5 * MS, limiter.reserve(1, now));
        assertEquals(now + MS / 4 + 5 * MS + 1000, limiter.reserve(0, now), "0 bytes book nothing");
        assertEquals(now + MS / 4 + 5 * MS + 1000, limiter.reserve(1000, now + MS), "a later clock does not skip the queue");
    }

    @Test
    void idleTimeEarnsAtMostTheTwoMillisecondBurst() {
        long now = System.nanoTime() + 10_000 * MS;
        BandwidthLimiter limiter = settledAt(now);
        assertEquals(now, limiter.reserve(1000, now));           // schedule now at now + 1 ms
        long later = now + 1000 * MS;                             // a second idle
        assertEquals(later - BURST, limiter.reserve(1000, later), "only 2 ms of credit, not 999");
        assertEquals(later - MS, limiter.reserve(1000, later));
        assertEquals(later, limiter.reserve(1000, later), "credit spent: this one starts now");
        assertEquals(later + MS, limiter.reserve(1000, later), "and this one waits");
    }

    @Test
    void aShortIdleEarnsOnlyItsOwnLength() {
        long now = System.nanoTime() + 10_000 * MS;
        BandwidthLimiter limiter = settledAt(now);
        assertEquals(now, limiter.reserve(1000, now));            // busy until now + 1 ms
        long later = now + 2 * MS;                                // idle for 1 ms
        assertEquals(now + MS, limiter.reserve(1000, later), "starts where the schedule was free, 1 ms in the past");
        assertEquals(now + 2 * MS, limiter.reserve(1000, later));
        assertEquals(now + 3 * MS, limiter.reserve(1000, later));
    }

    @Test
    void unlimitedNeverWaits() {
        BandwidthLimiter unlimited = new BandwidthLimiter(0);
        assertTrue(unlimited.isUnlimited());
        assertFalse(new BandwidthLimiter(1).isUnlimited());
        long start = System.nanoTime();
        assertTimeout(() -> {
            for (int i = 0; i < 1000; i++) {
                unlimited.acquire(Long.MAX_VALUE / 2);
            }
        });
        assertTrue(System.nanoTime() - start < 1000 * MS);
        long now = System.nanoTime() + 10_000 * MS;
        assertTrue(unlimited.reserve(1L << 40, now) <= now, "an unlimited schedule never lies in the future");
        assertTrue(unlimited.reserve(1L << 40, now) <= now);
    }

    @Test
    void aWaitIsInterruptible() {
        BandwidthLimiter slow = new BandwidthLimiter(1);          // 1 byte/s
        slow.reserve(3600, System.nanoTime());                    // an hour booked
        Thread.currentThread().interrupt();
        try {
            assertThrows(InterruptedException.class, () -> slow.acquire(1));
        } finally {
            Thread.interrupted();
        }
    }

    @Test
    @Timeout(value = 5, unit = TimeUnit.SECONDS)
    void realTimeRateHolds() throws InterruptedException {
        long start = System.nanoTime();
        BandwidthLimiter limiter = new BandwidthLimiter(32L << 20);
        for (int i = 0; i < 64; i++) {
            limiter.acquire(64 << 10);
        }
        long elapsed = System.nanoTime() - start;
        // 4 MiB at 32 MiB/s is 125 ms; the last write starts after 63 of the 64 slots (123 ms)
        long lastStart = 63L * 1_000_000_000 / 512;
        assertTrue(elapsed >= lastStart, "too fast: " + elapsed / 1e6 + " ms");
        assertTrue(elapsed <= 125 * MS * 13 / 10, "too slow: " + elapsed / 1e6 + " ms");
    }

    @Test
    void aWriterThatMustNotSleepLearnsHowLongToWaitAndBooksWhatItWrote() {
        BandwidthLimiter limiter = new BandwidthLimiter(1_000_000);
        assertTrue(limiter.nanosUntilFree(System.nanoTime()) <= 0, "nothing booked: write now");
        limiter.book(1_000_000, System.nanoTime());  // one second's worth at 1 MB/s, written now
        long wait = limiter.nanosUntilFree(System.nanoTime());
        assertTrue(wait > 900 * MS && wait <= 1000 * MS, "the next write waits for the second minus the burst: " + wait);
        long at = System.nanoTime();
        assertEquals(5 * MS, limiter.nanosUntilFree(at) - limiter.nanosUntilFree(at + 5 * MS), "the wait shrinks with the clock");

        BandwidthLimiter unlimited = new BandwidthLimiter(0);
        unlimited.book(1L << 40, System.nanoTime());
        assertEquals(0, unlimited.nanosUntilFree(System.nanoTime()), "no cap: never a wait");
    }

    private static void assertTimeout(org.junit.jupiter.api.function.Executable body) {
        org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(java.time.Duration.ofSeconds(2), body);
    }
}
