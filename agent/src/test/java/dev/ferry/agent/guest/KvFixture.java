package dev.ferry.agent.guest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.ferry.common.kv.KvReply;
import dev.ferry.common.kv.KvRequest;
import dev.ferry.common.kv.KvStatus;
import dev.ferry.common.memory.GuestMemory;
import dev.ferry.common.net.Frame;
import dev.ferry.common.net.MacAddress;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;

/**
 * A kv program over real guest memory, a queue-backed vNIC and an array-backed disk, driven
 * one step at a time from the test thread. Laid out (first step done) on construction.
 */
final class KvFixture implements AutoCloseable {
    static final long MEMORY = KvLayout.MIN_MEMORY_BYTES;
    static final MacAddress GUEST = new MacAddress(0x02_00_00_00_00_01L);

    final GuestMemory memory;
    final QueueNic nic = new QueueNic();
    final ArrayDisk disk;
    final Kv kv;
    private final CpuState cpu = new CpuState(0);

    KvFixture() {
        this(GuestMemory.allocate(MEMORY), new ArrayDisk(1 << 20));
    }

    KvFixture(int diskBytes) {
        this(GuestMemory.allocate(MEMORY), new ArrayDisk(diskBytes));
    }

    KvFixture(GuestMemory memory, ArrayDisk disk) {
        this.memory = memory;
        this.disk = disk;
        this.kv = new Kv(memory.byteSize(), nic, disk);
        step();
    }

    void step() {
        kv.step(memory, cpu);
    }

    /** Delivers {@code payload} from {@code client}, runs one step and returns the one reply, or null. */
    KvReply send(MacAddress client, byte[] payload) {
        nic.inbound.add(new Frame(GUEST, client, payload));
        step();
        assertEquals(0, nic.inbound.size(), "one step takes one frame");
        Frame out = nic.outbound.poll();
        assertNull(nic.outbound.peek(), "at most one reply per request");
        if (out == null) {
            return null;
        }
        assertEquals(client, out.destination(), "replies go to the sender");
        assertEquals(GUEST, out.source(), "replies come from the guest's MAC");
        return KvReply.decode(out.payload());
    }

    KvReply send(MacAddress client, KvRequest request) {
        return send(client, request.encode());
    }

    long header(KvHeader.Field field) {
        return new KvHeader(memory, KvLayout.of(memory.byteSize())).get(field);
    }

    KvTable table() {
        KvLayout layout = KvLayout.of(memory.byteSize());
        return new KvTable(memory, layout, new KvHeader(memory, layout));
    }

    Client client(int id) {
        return new Client(this, new MacAddress(0x02_00_00_01_00_00L + id));
    }

    @Override
    public void close() {
        memory.close();
    }

    static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    /** A client connection: a MAC and the next seq, talking to whichever fixture it is pointed at. */
    static final class Client {
        final MacAddress mac;
        KvFixture via;
        long seq;

        Client(KvFixture via, MacAddress mac) {
            this.via = via;
            this.mac = mac;
        }

        KvReply open() {
            seq = 0;
            return via.send(mac, KvRequest.open(0));
        }

        KvReply put(String key, String value) {
            return via.send(mac, KvRequest.put(++seq, bytes(key), bytes(value)));
        }

        KvReply get(String key) {
            return via.send(mac, KvRequest.get(++seq, bytes(key)));
        }

        KvReply del(String key) {
            return via.send(mac, KvRequest.del(++seq, bytes(key)));
        }

        KvReply close() {
            return via.send(mac, KvRequest.close(++seq));
        }

        /** The value a GET returns, or null for NOT_FOUND; fails on anything else. */
        String value(String key) {
            KvReply reply = get(key);
            assertEquals(KvReply.Type.RESULT, reply.type(), reply.toString());
            return reply.status() == KvStatus.OK ? new String(reply.value(), StandardCharsets.UTF_8) : null;
        }
    }

    /** The vNIC as a pair of queues; {@link #refuseTransmit} plays a full transmit queue. */
    static final class QueueNic implements Nic {
        final ArrayDeque<Frame> inbound = new ArrayDeque<>();
        final ArrayDeque<Frame> outbound = new ArrayDeque<>();
        boolean refuseTransmit;
        int waits;

        @Override
        public MacAddress mac() {
            return GUEST;
        }

        @Override
        public Frame receive() {
            return inbound.poll();
        }

        @Override
        public void awaitFrame(long maxNanos) {
            waits++;
        }

        @Override
        public boolean transmit(Frame frame) {
            return !refuseTransmit && outbound.add(frame);
        }
    }

    /** A disk in a byte array; {@link #owned} false plays a host that handed the guest off. */
    static final class ArrayDisk implements Disk {
        final byte[] bytes;
        boolean owned = true;

        ArrayDisk(int capacity) {
            this.bytes = new byte[capacity];
        }

        @Override
        public long capacity() {
            return bytes.length;
        }

        @Override
        public void write(long offset, ByteBuffer data) throws IOException {
            if (!owned) {
                throw new DiskNotOwnedException("another host holds the image lock");
            }
            if (offset + data.remaining() > bytes.length) {
                throw new IOException("write of " + data.remaining() + " bytes at " + offset + " beyond "
                        + bytes.length);
            }
            data.get(bytes, (int) offset, data.remaining());
        }

        @Override
        public int read(long offset, ByteBuffer into) {
            int length = (int) Math.max(0, Math.min(into.remaining(), bytes.length - offset));
            into.put(bytes, (int) offset, length);
            return length;
        }

        @Override
        public void flush() {}
    }
}
