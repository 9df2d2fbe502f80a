package dev.ferry.common.testing;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Bounded waiting for tests: polls a condition every few milliseconds and fails with a
 * message naming what was awaited when the deadline passes. Never waits without a bound.
 * Shared with agent and controller tests through common's test-jar.
 */
public final class Await {
    /** How often {@link #until} re-checks its condition. */
    public static final Duration POLL = Duration.ofMillis(5);

    private Await() {}

    /**
     * Returns as soon as {@code condition} holds; throws {@link AssertionError} naming
     * {@code what} if it still does not hold after {@code timeout}. The condition is checked
     * at least once, and once more at the deadline, so a zero timeout is a plain check.
     */
    public static void until(BooleanSupplier condition, Duration timeout, String what) {
        until(condition, timeout, () -> what);
    }

    /** Like {@link #until(BooleanSupplier, Duration, String)}, with a message built on failure. */
    public static void until(BooleanSupplier condition, Duration timeout, Supplier<String> what) {
        Objects.requireNonNull(condition, "condition");
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative()) {
            throw new IllegalArgumentException("negative timeout " + timeout);
        }
        long start = System.nanoTime();
        long budget = timeout.toNanos();
        while (true) {
            if (condition.getAsBoolean()) {
                return;
            }
            long elapsed = System.nanoTime() - start;
            if (elapsed >= budget) {
                throw new AssertionError("timed out after " + timeout.toMillis() + " ms waiting for " + what.get());
            }
            sleep(Math.min(POLL.toNanos(), budget - elapsed));
        }
    }

    private static void sleep(long nanos) {
        try {
            TimeUnit.NANOSECONDS.sleep(nanos);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while waiting", e);
        }
    }
}
