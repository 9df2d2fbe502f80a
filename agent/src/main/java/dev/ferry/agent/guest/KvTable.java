package dev.ferry.agent.guest;

import dev.ferry.agent.guest.KvHeader.Field;
import dev.ferry.common.kv.KvRequest;
import dev.ferry.common.memory.GuestMemory;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The kv store's hash table in guest memory: open addressing with linear probing. A slot
 * holds the largest key and value, so a PUT never allocates:
 *
 * <pre>
 * offset  size  field
 *   0       8   tag: 0 empty, else the key's {@link KvHash} with the top bit set
 *   8       8   lengths: keyLen &lt;&lt; 32 | valueLen
 *  16     128   key
 * 144    1024   value
 * </pre>
 *
 * At most three quarters of the slots hold keys, so every probe is short and ends at an
 * empty slot. A delete shifts the later keys of its run back (Knuth's algorithm R) instead
 * of leaving a tombstone. Tombstones count as used until a new key happens to probe past
 * one, so a full store stayed full after a delete, and under churn they pile up until the
 * whole table is rehashed: one long step, which a migration pause would have to wait for.
 * The key count is {@link Field#ENTRIES}.
 */
final class KvTable {
    static final int SLOT = 16 + KvRequest.MAX_KEY + KvRequest.MAX_VALUE;
    private static final long EMPTY = 0;
    private static final int LENGTHS = 8;
    private static final int KEY = 16;
    private static final int VALUE = KEY + KvRequest.MAX_KEY;

    /** Where a key is ({@code found}) or would go (the empty slot ending its run); slot -1: no room. */
    record Probe(long slot, boolean found, long tag) {
        boolean hasRoom() {
            return slot >= 0;
        }
    }

    private final GuestMemory memory;
    private final KvHeader header;
    private final long base;
    private final long slots;

    KvTable(GuestMemory memory, KvLayout layout, KvHeader header) {
        this.memory = memory;
        this.header = header;
        this.base = layout.tableBase();
        this.slots = layout.tableSlots();
    }

    /** How many keys the table takes. */
    long usable() {
        return slots - slots / 4;
    }

    Probe probe(byte[] key) {
        long tag = tagOf(key);
        long slot = home(tag);
        for (long n = 0; n < slots; n++, slot = next(slot)) {
            long found = tag(slot);
            if (found == EMPTY) {
                return new Probe(header.get(Field.ENTRIES) < usable() ? slot : -1, false, tag);
            }
            if (found == tag && keyEquals(slot, key)) {
                return new Probe(slot, true, tag);
            }
        }
        return new Probe(-1, false, tag); // no empty slot at all: only if the header's count is wrong
    }

    String fullReason() {
        return "store full: " + header.get(Field.ENTRIES) + " keys, all this guest's memory holds; delete keys or "
                + "give the guest more memory";
    }

    /** The value of a key, or null. */
    byte[] get(byte[] key) {
        Probe probe = probe(key);
        return probe.found() ? value(probe.slot()) : null;
    }

    /** Stores a key at a probe with room. */
    void put(Probe probe, byte[] key, byte[] value) {
        long at = address(probe.slot());
        memory.write(at + VALUE, value, 0, value.length);
        memory.writeLong(at + LENGTHS, ((long) key.length << 32) | value.length);
        if (!probe.found()) {
            memory.write(at + KEY, key, 0, key.length);
            memory.writeLong(at, probe.tag());
            header.add(Field.ENTRIES, 1);
        }
    }

    /**
     * Deletes the key at a probe that found it. Each later key of the run moves into the
     * hole unless its home lies cyclically in (hole, its slot]: then its probe never passes
     * the hole and it stays.
     */
    void remove(Probe probe) {
        long hole = probe.slot();
        for (long slot = next(hole); tag(slot) != EMPTY; slot = next(slot)) {
            if (!cyclicallyWithin(home(tag(slot)), hole, slot)) {
                move(slot, hole);
                hole = slot;
            }
        }
        memory.writeLong(address(hole), EMPTY);
        header.add(Field.ENTRIES, -1);
    }

    /** Whether {@code home} is in {@code (from, to]} going round the table. */
    private static boolean cyclicallyWithin(long home, long from, long to) {
        return from <= to ? from < home && home <= to : from < home || home <= to;
    }

    private void move(long from, long to) {
        byte[] slot = new byte[SLOT];
        memory.read(address(from), slot, 0, SLOT);
        memory.write(address(to), slot, 0, SLOT);
    }

    /** Every key and value, as read-only buffers (equal when their bytes are). */
    Map<ByteBuffer, ByteBuffer> entries() {
        Map<ByteBuffer, ByteBuffer> entries = new LinkedHashMap<>();
        for (long slot = 0; slot < slots; slot++) {
            if (tag(slot) != EMPTY) {
                entries.put(readOnly(key(slot)), readOnly(value(slot)));
            }
        }
        return entries;
    }

    /** The slot a key's probe starts at; tests use it to find keys that collide. */
    long home(byte[] key) {
        return home(tagOf(key));
    }

    long slots() {
        return slots;
    }

    private long home(long tag) {
        return Math.unsignedMultiplyHigh(tag << 1, slots); // the hash bits below the forced top bit
    }

    private static long tagOf(byte[] key) {
        return KvHash.of(key) | Long.MIN_VALUE;
    }

    private static ByteBuffer readOnly(byte[] bytes) {
        return ByteBuffer.wrap(bytes).asReadOnlyBuffer();
    }

    private boolean keyEquals(long slot, byte[] key) {
        return keyLength(slot) == key.length && Arrays.equals(key(slot), key);
    }

    private byte[] key(long slot) {
        return read(address(slot) + KEY, keyLength(slot));
    }

    private byte[] value(long slot) {
        return read(address(slot) + VALUE, (int) memory.readLong(address(slot) + LENGTHS));
    }

    private int keyLength(long slot) {
        return (int) (memory.readLong(address(slot) + LENGTHS) >>> 32);
    }

    private byte[] read(long offset, int length) {
        byte[] bytes = new byte[length];
        memory.read(offset, bytes, 0, length);
        return bytes;
    }

    private long tag(long slot) {
        return memory.readLong(address(slot));
    }

    private long address(long slot) {
        return base + slot * SLOT;
    }

    private long next(long slot) {
        return slot + 1 == slots ? 0 : slot + 1;
    }
}
