package dev.ferry.agent.guest;

import dev.ferry.common.net.Frame;
import dev.ferry.common.net.MacAddress;

/**
 * The guest's side of its vNIC: what a program sees. The queues behind it are device state
 * (they travel with a migration), so a program keeps nothing about them on the heap.
 */
public interface Nic {
    MacAddress mac();

    /** The oldest received frame, or null when the receive queue is empty. Never blocks. */
    Frame receive();

    /**
     * Parks the calling vCPU until a frame may have arrived, {@code maxNanos} passed or the
     * thread was unparked (a pause does that). Spurious returns are allowed.
     */
    void awaitFrame(long maxNanos);

    /** Queues a frame to send; false when the transmit queue is full (retry on a later step). */
    boolean transmit(Frame frame);
}
