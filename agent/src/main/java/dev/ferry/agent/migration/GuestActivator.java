package dev.ferry.agent.migration;

import dev.ferry.common.memory.GuestMemory;
import dev.ferry.proto.v1.GuestSpec;
import java.util.List;

/** Turns a verified incoming migration into a guest on this host, in two steps around COMMIT. */
@FunctionalInterface
public interface GuestActivator {
    /**
     * Builds the guest from the received state with every vCPU parked: nothing runs yet.
     * Takes ownership of {@code memory} when it returns; if it throws (a CPU state that does
     * not fit the program, say), the caller still owns it.
     */
    ParkedGuest park(GuestSpec spec, GuestMemory memory, List<byte[]> vcpuStates);

    /** A guest that holds its complete state here but does not run. */
    interface ParkedGuest {
        /** Starts running here (after COMMIT). */
        void activate();

        /** Frees it without ever running (no COMMIT came). */
        void discard();
    }
}
