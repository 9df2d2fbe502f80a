package dev.ferry.agent.migration;

/**
 * What one pre-copy round did and what it left behind.
 *
 * @param pagesSent     pages that travelled with data
 * @param zeroPages     pages that travelled as an index only
 * @param bytesOnWire   frame bytes written
 * @param nanos         from the round's first harvest to its last write completing
 * @param dirtyPagesAfter pages dirty when the round ended: the next round's work
 */
public record RoundResult(int round, long pagesSent, long zeroPages, long bytesOnWire, long nanos, long dirtyPagesAfter) {

    public double bandwidthBytesPerSecond() {
        return nanos == 0 ? 0 : bytesOnWire * 1e9 / nanos;
    }

    public double dirtyRateBytesPerSecond() {
        return nanos == 0 ? 0 : dirtyPagesAfter * (double) dev.ferry.common.memory.GuestMemory.PAGE_SIZE * 1e9 / nanos;
    }

    public long remainingBytes() {
        return dirtyPagesAfter * dev.ferry.common.memory.GuestMemory.PAGE_SIZE;
    }
}
