package dev.ferry.agent.guest;

import java.time.Duration;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Where a guest's vCPUs stop between steps. The hot path reads two volatile flags; a vCPU
 * takes the lock only to park. The pauser waits under the same lock for every live vCPU to
 * have parked, so each vCPU's last memory write happens-before {@link #awaitParked} returns
 * (its unlock after the write, our lock after its unlock).
 */
final class PauseGate {
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private volatile boolean pauseRequested;
    private volatile boolean stopRequested;
    private int live;    // vCPU loops started and not yet exited; guarded by lock
    private int parked;  // of those, how many sit in park(); guarded by lock

    boolean pauseRequested() {
        return pauseRequested;
    }

    boolean stopRequested() {
        return stopRequested;
    }

    /** Asks vCPUs to park at their next step boundary (a request only; see {@link #awaitParked}). */
    void requestPause() {
        pauseRequested = true;
    }

    void resume() {
        signalling(() -> pauseRequested = false);
    }

    /** Makes every vCPU loop exit, parked or not. Final. */
    void stop() {
        signalling(() -> stopRequested = true);
    }

    /** Waits until every live vCPU has parked (none live counts as parked). */
    void awaitParked(Duration timeout) throws TimeoutException {
        long nanos = timeout.toNanos();
        lock.lock();
        try {
            while (parked < live) {
                if (nanos <= 0) {
                    throw new TimeoutException((live - parked) + " of " + live
                            + " vCPUs did not finish their step within " + timeout.toMillis() + " ms");
                }
                nanos = changed.awaitNanos(nanos);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TimeoutException("interrupted while waiting for vCPUs to park");
        } finally {
            lock.unlock();
        }
    }

    /** True when no vCPU can be in the middle of a step: all parked, or none running. */
    boolean quiescent() {
        lock.lock();
        try {
            return parked == live;
        } finally {
            lock.unlock();
        }
    }

    /** vCPU side: counts a loop as live; called before its thread starts so a pause waits for it. */
    void entered() {
        signalling(() -> live++);
    }

    /** vCPU side: the loop has ended, normally or by failure. */
    void exited() {
        signalling(() -> live--);
    }

    /** vCPU side: parks while a pause is requested. Returns false if the vCPU must stop. */
    boolean park() {
        lock.lock();
        try {
            parked++;
            changed.signalAll();
            while (pauseRequested && !stopRequested) {
                changed.awaitUninterruptibly();
            }
            parked--;
            return !stopRequested;
        } finally {
            lock.unlock();
        }
    }

    private void signalling(Runnable change) {
        lock.lock();
        try {
            change.run();
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }
}
