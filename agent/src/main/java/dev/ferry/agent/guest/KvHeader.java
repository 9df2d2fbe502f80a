package dev.ferry.agent.guest;

import dev.ferry.common.memory.GuestMemory;

/**
 * The kv store's header, page 0 of guest memory: one long per {@link Field}, in declaration
 * order. Fresh memory reads as zero, so a missing magic means "never initialised": the
 * program then rebuilds the table from the disk log and writes the magic last.
 */
final class KvHeader {
    /** "FERRYKV1" in ASCII. */
    static final long MAGIC_VALUE = 0x464552_52594B5631L;
    static final long VERSION_VALUE = 1;

    /** The header's longs; the offset of each is {@code ordinal * 8}. */
    enum Field {
        MAGIC,
        VERSION,
        /** The geometry it was laid out with, checked against the program's. */
        TABLE_SLOTS,
        SESSION_SLOTS,
        /** Where the next log record goes on the disk. */
        LOG_END,
        /** Keys in the table. */
        ENTRIES,
        /** CALLs executed, each seq once (retransmits and stale duplicates not counted). */
        CALLS_EXECUTED,
        /** Replies the vNIC refused (transmit queue full); the client's retransmit gets them. */
        REPLIES_DROPPED,
        /** ERROR replies sent (malformed requests, seq gaps, no free session). */
        ERRORS_SENT;

        long offset() {
            return (long) ordinal() * Long.BYTES;
        }
    }

    private final GuestMemory memory;
    private final KvLayout layout;

    KvHeader(GuestMemory memory, KvLayout layout) {
        this.memory = memory;
        this.layout = layout;
    }

    long get(Field field) {
        return memory.readLong(field.offset());
    }

    void set(Field field, long value) {
        memory.writeLong(field.offset(), value);
    }

    void add(Field field, long delta) {
        set(field, get(field) + delta);
    }

    /**
     * True when the store is laid out; false on fresh memory. Throws IllegalStateException for
     * memory laid out by another version or for another size: serving it would corrupt it.
     */
    boolean initialised() {
        long magic = get(Field.MAGIC);
        if (magic == 0) {
            return false;
        }
        if (magic != MAGIC_VALUE || get(Field.VERSION) != VERSION_VALUE || get(Field.TABLE_SLOTS) != layout.tableSlots()
                || get(Field.SESSION_SLOTS) != KvSessions.SLOTS) {
            throw new IllegalStateException("guest memory does not hold a kv store this agent can serve: magic 0x"
                    + Long.toHexString(magic) + ", version " + get(Field.VERSION) + ", " + get(Field.TABLE_SLOTS)
                    + " table slots; expected version " + VERSION_VALUE + " with " + layout.tableSlots() + " slots");
        }
        return true;
    }

    /** Writes the geometry and log end, then the magic: the store counts as laid out only after this. */
    void initialise(long logEnd) {
        set(Field.VERSION, VERSION_VALUE);
        set(Field.TABLE_SLOTS, layout.tableSlots());
        set(Field.SESSION_SLOTS, KvSessions.SLOTS);
        set(Field.LOG_END, logEnd);
        set(Field.MAGIC, MAGIC_VALUE);
    }
}
