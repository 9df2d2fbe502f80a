package dev.ferry.agent.migration;

import dev.ferry.proto.v1.VnicState;
import java.util.List;

/**
 * The destination's guest while a migration fills its memory: built at preparation with
 * its vCPU threads parked, so that the downtime only pays for loading registers and
 * letting the threads go. It owns the reserved memory.
 */
public interface IncomingGuest {
    /**
     * Takes the received CPU and vNIC state (at READY); throws IllegalArgumentException,
     * loading nothing, if it does not fit the guest.
     */
    void load(List<byte[]> vcpuStates, VnicState vnic);

    /** Starts running here (after COMMIT): takes the disk lock, resumes, announces; throws if it cannot. */
    void activate();

    /** Frees it, memory included, without ever running (no COMMIT came). */
    void discard();
}
