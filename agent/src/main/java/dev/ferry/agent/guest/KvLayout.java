package dev.ferry.agent.guest;

import dev.ferry.common.memory.GuestMemory;

/**
 * Where the kv program keeps its state in guest memory. Derived from the memory size alone,
 * so a source, its destination and a test probing memory all agree without asking anyone.
 *
 * <pre>
 * page 0                 header: magic, version, geometry, log end, counters ({@link KvHeader})
 * pages 1 ..             sessions: {@value KvSessions#SLOTS} slots of {@value KvSessions#SLOT} bytes
 *                        ({@link KvSessions})
 * next page .. the end   table: {@link #tableSlots} slots of {@value KvTable#SLOT} bytes ({@link KvTable})
 * </pre>
 */
record KvLayout(long memoryBytes, long sessionsBase, long tableBase, long tableSlots) {
    /** Room for the header, the sessions and a table of a few thousand keys. */
    static final long MIN_MEMORY_BYTES = 4L << 20;

    /** Throws IllegalArgumentException, saying what to do, for memory the store does not fit in. */
    static KvLayout of(long memoryBytes) {
        if (memoryBytes < MIN_MEMORY_BYTES) {
            throw new IllegalArgumentException("the kv program needs at least " + (MIN_MEMORY_BYTES >> 20)
                    + " MiB of guest memory (" + MIN_MEMORY_BYTES + " bytes) for its header, sessions and table; got "
                    + memoryBytes + " bytes: give the guest more memory");
        }
        long sessionsBase = GuestMemory.PAGE_SIZE;
        long tableBase = pageAligned(sessionsBase + (long) KvSessions.SLOTS * KvSessions.SLOT);
        return new KvLayout(memoryBytes, sessionsBase, tableBase, (memoryBytes - tableBase) / KvTable.SLOT);
    }

    private static long pageAligned(long offset) {
        return (offset + GuestMemory.PAGE_SIZE - 1) & -GuestMemory.PAGE_SIZE;
    }
}
