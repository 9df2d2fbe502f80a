package dev.ferry.agent.guest;

import dev.ferry.common.kv.KvOp;
import dev.ferry.common.memory.GuestMemory;
import dev.ferry.common.net.Frame;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * A key-value store serving clients through the guest's vNIC ({@link dev.ferry.common.kv}
 * messages) and logging every write to the guest's disk. No registers: the table and
 * every client's transport state are in guest memory, so a migrated store carries on
 * mid-conversation. Exactly one vCPU: steps are not synchronised with each other, so the
 * spec check must refuse more (two vCPUs stepping at once would corrupt the table).
 *
 * <p>Layout ({@link KvLayout}; each part documents its slots in detail):
 *
 * <pre>
 * page 0        header ({@link KvHeader}): magic "FERRYKV1", layout version, table and session
 *               slot counts, log end offset on disk, keys, calls executed, replies dropped,
 *               errors sent; one long each
 * pages 1..67   256 sessions of 1064 bytes ({@link KvSessions}): client MAC + 1 (0 = free),
 *               last seq, saved reply length and bytes
 * page 68..end  hash table of 1168-byte slots ({@link KvTable}): tag (0 empty, else hash with
 *               the top bit set), key and value lengths, 128-byte key, 1024-byte value;
 *               linear probing, at most 3/4 of the slots used, deletes shift (no tombstones)
 * </pre>
 *
 * <p>A step handles at most one frame, completely: a migration pause lands only between
 * steps, so memory is always consistent when copied. The first step on fresh memory (no
 * magic) lays the store out and rebuilds the table from the disk log ({@link KvLog}), so a
 * guest created on an existing disk comes back with its data.
 */
final class Kv implements Program {
    private static final long IDLE_WAIT_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

    private final KvLayout layout;
    private final Nic nic;
    private final Disk disk;

    /** Throws IllegalArgumentException when {@code memoryBytes} is below {@link KvLayout#MIN_MEMORY_BYTES}. */
    Kv(long memoryBytes, Nic nic, Disk disk) {
        this.layout = KvLayout.of(memoryBytes);
        this.nic = Objects.requireNonNull(nic, "nic");
        this.disk = Objects.requireNonNull(disk, "disk");
    }

    @Override
    public void step(GuestMemory memory, CpuState cpu) {
        KvHeader header = new KvHeader(memory, layout);
        if (!header.initialised()) {
            rebuild(memory, header);
            return;
        }
        Frame frame = nic.receive();
        if (frame == null) {
            nic.awaitFrame(IDLE_WAIT_NANOS);
            return;
        }
        serve(memory, header, frame);
    }

    private void serve(GuestMemory memory, KvHeader header, Frame frame) {
        if (frame.source().isMulticast()) {
            return; // a reply goes to one client; a group address is not one
        }
        KvTable table = new KvTable(memory, layout, header);
        KvServer server = new KvServer(new KvSessions(memory, layout), new KvStore(table, header, disk), header);
        byte[] reply = server.handle(frame.source(), frame.payload());
        if (reply != null && !nic.transmit(new Frame(frame.source(), nic.mac(), reply))) {
            header.add(KvHeader.Field.REPLIES_DROPPED, 1); // saved in the session: the retransmit gets it
        }
    }

    /**
     * Fills the table from the disk log, then writes the header (magic last). A log this
     * memory cannot hold, or a disk that cannot be read, stops the guest with the reason.
     */
    private void rebuild(GuestMemory memory, KvHeader header) {
        KvTable table = new KvTable(memory, layout, header);
        try {
            header.initialise(KvLog.replay(disk, record -> replay(table, record)));
        } catch (IOException e) {
            throw new UncheckedIOException("kv: cannot read the log on the guest's disk to rebuild the store", e);
        }
    }

    private static void replay(KvTable table, KvLog.Record record) {
        KvTable.Probe probe = table.probe(record.key());
        if (record.op() == KvOp.DEL) {
            if (probe.found()) {
                table.remove(probe);
            }
        } else if (probe.hasRoom()) {
            table.put(probe, record.key(), record.value());
        } else {
            throw new IllegalStateException("kv: the disk log holds more keys than fit in this guest's memory ("
                    + table.fullReason() + ")");
        }
    }

    @Override
    public int cpuStateLongs() {
        return 0;
    }

    /** The value of {@code key} in a paused kv guest's memory, or null: to compare source and destination. */
    static byte[] lookup(GuestMemory memory, byte[] key) {
        return table(memory).get(key);
    }

    /** Every key and value in a paused kv guest's memory, as read-only buffers (equal when their bytes are). */
    static Map<ByteBuffer, ByteBuffer> contents(GuestMemory memory) {
        return table(memory).entries();
    }

    private static KvTable table(GuestMemory memory) {
        KvLayout layout = KvLayout.of(memory.byteSize());
        return new KvTable(memory, layout, new KvHeader(memory, layout));
    }
}
