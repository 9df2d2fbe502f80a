package dev.ferry.agent.migration;

import java.util.List;

/**
 * The destination's guest while a migration fills its memory: built at preparation with
 * its vCPU threads parked, so that the downtime only pays for loading registers and
 * letting the threads go. It owns the reserved memory.
 */
public interface IncomingGuest {
    /** Takes the received CPU state (at READY); throws, loading nothing, if it does not fit the program. */
    void load(List<byte[]> vcpuStates);

    /** Starts running here (after COMMIT). */
    void activate();

    /** Frees it, memory included, without ever running (no COMMIT came). */
    void discard();
}
