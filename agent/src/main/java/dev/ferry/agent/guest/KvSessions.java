package dev.ferry.agent.guest;

import dev.ferry.common.kv.KvReply;
import dev.ferry.common.memory.GuestMemory;
import dev.ferry.common.net.MacAddress;

/**
 * The kv store's client connections in guest memory, so they survive a migration: a
 * client's retransmit reaches the destination and still gets the reply the source saved.
 * {@value #SLOTS} slots of {@value #SLOT} bytes:
 *
 * <pre>
 * offset  size  field
 *   0       8   owner: the client's MAC + 1; 0 = free
 *   8       8   last seq: of the OPEN, then of the last CALL executed
 *  16       8   length of the saved reply
 *  24    1036   the saved reply, encoded: what a retransmit of the last seq gets
 * </pre>
 *
 * Slots are found by a scan: 256 loads per request, cheaper than keeping an index consistent.
 */
final class KvSessions {
    static final int SLOTS = 256;
    private static final int LAST_SEQ = 8;
    private static final int REPLY_LENGTH = 16;
    private static final int REPLY = 24;
    static final int SLOT = (REPLY + KvReply.MAX_ENCODED + 7) & -8; // whole longs: 1064

    private final GuestMemory memory;
    private final long base;

    KvSessions(GuestMemory memory, KvLayout layout) {
        this.memory = memory;
        this.base = layout.sessionsBase();
    }

    /** The client's slot, or -1. */
    int find(MacAddress client) {
        return slotOwnedBy(client.value() + 1);
    }

    /** A free slot, or -1. */
    int free() {
        return slotOwnedBy(0);
    }

    private int slotOwnedBy(long owner) {
        for (int slot = 0; slot < SLOTS; slot++) {
            if (memory.readLong(address(slot)) == owner) {
                return slot;
            }
        }
        return -1;
    }

    /** Gives {@code slot} to {@code client}, starting at {@code seq} with {@code reply} saved. */
    void open(int slot, MacAddress client, long seq, byte[] reply) {
        save(slot, seq, reply);
        memory.writeLong(address(slot), client.value() + 1);
    }

    void close(int slot) {
        memory.writeLong(address(slot), 0);
    }

    long lastSeq(int slot) {
        return memory.readLong(address(slot) + LAST_SEQ);
    }

    /** Records that {@code seq} was answered with {@code reply}. */
    void save(int slot, long seq, byte[] reply) {
        long at = address(slot);
        memory.write(at + REPLY, reply, 0, reply.length);
        memory.writeLong(at + REPLY_LENGTH, reply.length);
        memory.writeLong(at + LAST_SEQ, seq);
    }

    byte[] savedReply(int slot) {
        byte[] reply = new byte[(int) memory.readLong(address(slot) + REPLY_LENGTH)];
        memory.read(address(slot) + REPLY, reply, 0, reply.length);
        return reply;
    }

    private long address(int slot) {
        return base + (long) slot * SLOT;
    }
}
