package dev.ferry.agent.migration;

import dev.ferry.common.memory.GuestMemory;
import dev.ferry.proto.v1.GuestSpec;
import java.util.List;

/** Turns a committed incoming migration into a guest running on this host. */
@FunctionalInterface
public interface GuestActivator {
    /** Takes ownership of {@code memory}; returns once the guest's vCPUs run. */
    void activate(GuestSpec spec, GuestMemory memory, List<byte[]> vcpuStates);
}
