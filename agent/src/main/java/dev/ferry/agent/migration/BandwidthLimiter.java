package dev.ferry.agent.migration;

import java.util.concurrent.locks.LockSupport;

/**
 * Caps the bytes per second a migration writes, shared by all its channels. Each
 * {@link #acquire} books the next slot on a virtual schedule and sleeps until it starts,
 * so the average rate holds however the writes are sized.
 */
public final class BandwidthLimiter {
    private static final long MAX_BURST_NANOS = 2_000_000;

    private final double nanosPerByte;
    private long nextFreeNanos;

    /** {@code bytesPerSecond} 0 means unlimited. */
    public BandwidthLimiter(long bytesPerSecond) {
        this.nanosPerByte = bytesPerSecond == 0 ? 0 : 1e9 / bytesPerSecond;
        this.nextFreeNanos = System.nanoTime();
    }

    public boolean isUnlimited() {
        return nanosPerByte == 0;
    }

    public void acquire(long bytes) throws InterruptedException {
        if (isUnlimited()) {
            return;
        }
        long start = reserve(bytes, System.nanoTime());
        for (long wait = start - System.nanoTime(); wait > 0; wait = start - System.nanoTime()) {
            LockSupport.parkNanos(wait);
            if (Thread.interrupted()) {
                throw new InterruptedException();
            }
        }
    }

    /**
     * For a writer that must not sleep (an event loop): how long until a write may start,
     * {@code <= 0} meaning now. It then writes and {@link #book}s what it wrote.
     */
    public synchronized long nanosUntilFree(long now) {
        return isUnlimited() ? 0 : nextFreeNanos - now;
    }

    /**
     * Books {@code bytes} written at {@code now} by a writer that checked {@link
     * #nanosUntilFree} first. Channels on different event loops may all find the cap free
     * at once and each write a frame: the average holds, a burst can reach a frame per channel.
     */
    public void book(long bytes, long now) {
        if (!isUnlimited()) {
            reserve(bytes, now);
        }
    }

    /** Books {@code bytes} and returns when they may start; idle time earns a small burst only. */
    synchronized long reserve(long bytes, long now) {
        long start = Math.max(nextFreeNanos, now - MAX_BURST_NANOS);
        nextFreeNanos = start + (long) (bytes * nanosPerByte);
        return start;
    }
}
