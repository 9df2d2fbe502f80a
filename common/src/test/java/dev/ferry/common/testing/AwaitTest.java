package dev.ferry.common.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class AwaitTest {

    @Test
    void returnsAtOnceWhenConditionAlreadyHolds() {
        AtomicInteger calls = new AtomicInteger();
        Await.until(() -> calls.incrementAndGet() > 0, Duration.ZERO, "first check");
        assertEquals(1, calls.get());
    }

    @Test
    void pollsUntilConditionBecomesTrue() {
        AtomicInteger calls = new AtomicInteger();
        Await.until(() -> calls.incrementAndGet() >= 5, Duration.ofSeconds(5), "fifth check");
        assertEquals(5, calls.get());
    }

    @Test
    void failsWithMessageAfterTimeout() {
        long start = System.nanoTime();
        AssertionError error = assertThrows(AssertionError.class,
                () -> Await.until(() -> false, Duration.ofMillis(50), "the impossible"));
        long elapsedMillis = (System.nanoTime() - start) / 1_000_000;
        assertTrue(error.getMessage().contains("the impossible"), error.getMessage());
        assertTrue(error.getMessage().contains("50 ms"), error.getMessage());
        assertTrue(elapsedMillis >= 50, "gave up after only " + elapsedMillis + " ms");
        assertTrue(elapsedMillis < 5_000, "took " + elapsedMillis + " ms to give up");
    }

    @Test
    void seesWritesFromAnotherThread() throws InterruptedException {
        AtomicInteger flag = new AtomicInteger();
        Thread setter = Thread.ofPlatform().start(() -> {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            flag.set(1);
        });
        Await.until(() -> flag.get() == 1, Duration.ofSeconds(5), "the setter thread");
        setter.join(5_000);
    }

    @Test
    void rejectsNegativeTimeout() {
        assertThrows(IllegalArgumentException.class, () -> Await.until(() -> true, Duration.ofMillis(-1), "x"));
    }
}
