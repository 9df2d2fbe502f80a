package dev.ferry.agent.guest;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * Holds one vCPU to its share of the program's rate with a deadline schedule: step {@code n}
 * is due at {@code start + n * interval}. Oversleeping is paid back by running the next
 * steps without sleeping, so the rate holds on average even though a park lasts at least
 * tens of microseconds. Host-side state: it does not migrate, and a resume restarts it.
 */
final class Pacer {
    /** Longest single sleep, so a pause request waits at most about this long. */
    static final long SLICE_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    /** How far behind schedule we catch up; beyond it (a stall, a slow host) we start afresh. */
    private static final long MAX_LAG_NANOS = TimeUnit.MILLISECONDS.toNanos(250);

    private final double intervalNanos;
    private long start;
    private long steps;

    /** {@code stepsPerSecond} of 0 means unlimited. */
    Pacer(double stepsPerSecond) {
        this.intervalNanos = stepsPerSecond > 0 ? 1e9 / stepsPerSecond : 0;
    }

    void restart(long nowNanos) {
        start = nowNanos;
        steps = 0;
    }

    /**
     * Waits until the next step is due. Returns false, without consuming the step, as soon as
     * {@code abort} says so (checked at least once per {@link #SLICE_NANOS}).
     */
    boolean awaitNext(BooleanSupplier abort) {
        if (intervalNanos == 0) {
            return true;
        }
        long due = start + (long) (steps * intervalNanos);
        long now;
        while ((now = System.nanoTime()) - due < 0) {
            if (abort.getAsBoolean()) {
                return false;
            }
            LockSupport.parkNanos(Math.min(due - now, SLICE_NANOS));
        }
        if (now - due > MAX_LAG_NANOS) {
            restart(now);
        }
        steps++;
        return true;
    }
}
