package dev.ferry.agent.guest;

import dev.ferry.common.memory.GuestMemory;

/**
 * A guest's workload, run by every vCPU one small step at a time.
 *
 * <p>An implementation holds only immutable configuration from the spec. Anything that must
 * survive a migration lives in guest memory or in the vCPU's {@link CpuState}: a program with
 * state on the Java heap would silently lose it on the destination.
 */
interface Program {
    /** One small unit of work (e.g. one page written); a pause can only land between steps. */
    void step(GuestMemory memory, CpuState cpu);

    /** How many 64-bit registers each vCPU's {@link CpuState} has for this program. */
    int cpuStateLongs();

    /** Sets the registers of a freshly created (not restored) vCPU {@code vcpu} of {@code vcpus}. */
    default void initCpu(CpuState cpu, int vcpu, int vcpus) {}

    /** Steps per second across all vCPUs, or 0 to run as fast as possible. */
    default double stepsPerSecond() {
        return 0;
    }
}
