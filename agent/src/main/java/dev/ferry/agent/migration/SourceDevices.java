package dev.ferry.agent.migration;

import dev.ferry.proto.v1.VnicState;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * What an outgoing migration does to the guest's devices, besides its memory: the disk
 * stays on shared storage and only its lock moves; the vNIC's queues travel in the device
 * state and frames that arrive meanwhile are held, then passed on or given back.
 */
public interface SourceDevices {
    /**
     * The migration starts: begin writing the disk back in the background, so that {@link
     * #prepare} and the release in the downtime find little or nothing left to flush.
     */
    default void flushAhead() {}

    /**
     * While the guest still runs, right before the pause: write back what it can so the flush
     * in the downtime is short. Returns how long that took (zero without a disk): a slow disk
     * now is likely slow in the downtime too.
     */
    Duration prepare() throws IOException;

    /**
     * The guest is paused: freeze the vNIC (its state goes with the device state) and start
     * flushing the disk and releasing its lock. The flush runs while the last pages travel;
     * it must have completed before COMMIT, when the destination may take the lock.
     */
    Detached detach() throws IOException;

    /** The vNIC's state at pause time, and the disk's release, in progress. */
    record Detached(VnicState vnic, CompletableFuture<Void> diskReleased) {}

    /**
     * The migration rolled back (the guest is about to resume here): take the disk lock back
     * and give the vNIC the frames held meanwhile. Does nothing if {@link #detach} never ran.
     * Throws if the disk lock cannot be taken back: the guest must then stay paused.
     */
    void reattach() throws IOException;

    /** COMMIT has left: frames for the guest may go to {@code destinationHost} from now on (it holds them until it runs the guest). */
    void committing(String destinationHost);

    /** ACTIVE: the guest runs on {@code destinationHost}; pass on held frames and route there. */
    void handedOff(String destinationHost);

    /** For guests without devices (tests of the page stream alone). */
    SourceDevices NONE = new SourceDevices() {
        @Override
        public Duration prepare() {
            return Duration.ZERO;
        }

        @Override
        public Detached detach() {
            return new Detached(VnicState.getDefaultInstance(), CompletableFuture.completedFuture(null));
        }

        @Override
        public void reattach() {}

        @Override
        public void committing(String destinationHost) {}

        @Override
        public void handedOff(String destinationHost) {}
    };
}
