package dev.ferry.agent.migration;

import dev.ferry.proto.v1.VnicState;
import java.io.IOException;

/**
 * What an outgoing migration does to the guest's devices, besides its memory: the disk
 * stays on shared storage and only its lock moves; the vNIC's queues travel in the device
 * state and frames that arrive meanwhile are held, then passed on or given back.
 */
public interface SourceDevices {
    /** While the guest still runs: write back what it can so the flush in the downtime is short. */
    void prepare() throws IOException;

    /**
     * The guest is paused: flush the disk and release its lock, freeze the vNIC; the
     * returned state goes with the device state.
     */
    VnicState detach() throws IOException;

    /**
     * The migration rolled back (the guest is about to resume here): take the disk lock back
     * and give the vNIC the frames held meanwhile. Does nothing if {@link #detach} never ran.
     * Throws if the disk lock cannot be taken back: the guest must then stay paused.
     */
    void reattach() throws IOException;

    /** ACTIVE: the guest runs on {@code destinationHost}; pass on held frames and route there. */
    void handedOff(String destinationHost);

    /** For guests without devices (tests of the page stream alone). */
    SourceDevices NONE = new SourceDevices() {
        @Override
        public void prepare() {}

        @Override
        public VnicState detach() {
            return VnicState.getDefaultInstance();
        }

        @Override
        public void reattach() {}

        @Override
        public void handedOff(String destinationHost) {}
    };
}
