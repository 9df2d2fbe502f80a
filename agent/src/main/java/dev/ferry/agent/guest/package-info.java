/**
 * A simulated guest: off-heap memory, vCPU threads and the program they run.
 *
 * <p>{@link dev.ferry.agent.guest.Guest} is the one public type. A program keeps its whole
 * state in guest memory and in its vCPUs' registers ({@code CpuState}), so pausing at a step
 * boundary and copying both is a complete snapshot. Pacing and counters are host-side and
 * do not migrate.
 */
package dev.ferry.agent.guest;
