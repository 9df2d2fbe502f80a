package dev.ferry.agent.guest;

import static dev.ferry.agent.guest.KvFixture.bytes;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ferry.agent.guest.KvFixture.ArrayDisk;
import dev.ferry.agent.guest.KvFixture.Client;
import dev.ferry.agent.guest.KvHeader.Field;
import dev.ferry.common.kv.KvOp;
import dev.ferry.common.kv.KvReply;
import dev.ferry.common.kv.KvRequest;
import dev.ferry.common.kv.KvStatus;
import dev.ferry.common.memory.DirtyBitmap;
import dev.ferry.common.memory.GuestMemory;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The store moved as a migration moves it (memory copied, disk shared) or rebuilt from its disk. */
class KvMigrationTest {

    @Test
    void aCopyOfMemoryCarriesOnTheSameSessions() throws IOException {
        try (KvFixture source = new KvFixture()) {
            Client a = source.client(1);
            Client b = source.client(2);
            a.open();
            b.open();
            a.put("x", "1");
            b.put("y", "2");
            KvReply last = a.put("x", "3");
            try (KvFixture destination = copy(source, GuestMemory.allocate(KvFixture.MEMORY))) {
                a.via = destination;
                b.via = destination;
                assertEquals(Kv.contents(source.memory), Kv.contents(destination.memory));
                assertArrayEquals(bytes("3"), Kv.lookup(destination.memory, bytes("x")));
                assertEquals(last, destination.send(a.mac, KvRequest.put(a.seq, bytes("x"), bytes("3"))),
                        "the retransmit of the last seq gets the reply the source saved");
                assertEquals("3", a.value("x"), "and the next seq goes on");
                assertEquals(KvStatus.OK, b.put("z", "4").status());
                assertEquals(KvStatus.OK, a.del("y").status());
                assertEquals(6, destination.header(Field.CALLS_EXECUTED), "3 on the source, 3 here; none twice");
                assertEquals(KvLog.contents(destination.disk), Kv.contents(destination.memory));
            }
        }
    }

    /** Pre-copy sends only dirty pages after round 0: every write the store makes must be tracked. */
    @Test
    void dirtyPagesAloneCarryEveryChange() {
        try (KvFixture source = new KvFixture(); GuestMemory destination = GuestMemory.allocate(KvFixture.MEMORY)) {
            Client client = source.client(1);
            client.open();
            for (int i = 0; i < 200; i++) {
                client.put("before" + i, "v".repeat(i));
            }
            copyDirtyPages(source.memory, destination);
            for (int i = 0; i < 100; i++) {
                client.put("before" + (i * 7 % 200), "w" + i);
                client.del("before" + (i * 3 % 200));
                client.get("before" + i);
            }
            source.send(client.mac, KvRequest.get(client.seq, bytes("before99"))); // a retransmit
            source.disk.owned = false;
            client.put("refused", "x"); // FAILED: still a saved reply and counters
            source.nic.refuseTransmit = true;
            client.put("dropped", "x"); // a dropped reply is counted in the header
            copyDirtyPages(source.memory, destination);
            assertEquals(-1, source.memory.segment().mismatch(destination.segment()),
                    "memory differs after copying the dirty pages: a write was not tracked");
        }
    }

    @Test
    void freshMemoryOnTheSameDiskRebuildsTheTableFromTheLog() throws IOException {
        try (KvFixture source = new KvFixture()) {
            Map<String, String> model = randomOps(source, 3000);
            try (KvFixture rebuilt = new KvFixture(GuestMemory.allocate(KvFixture.MEMORY), source.disk);
                    KvFixture bigger = new KvFixture(GuestMemory.allocate(2 * KvFixture.MEMORY), source.disk)) {
                assertEquals(KvTableTest.buffers(model), Kv.contents(rebuilt.memory));
                assertEquals(KvTableTest.buffers(model), Kv.contents(bigger.memory), "whatever the memory size");
                assertEquals(model.size(), rebuilt.header(Field.ENTRIES));
                assertEquals(source.header(Field.LOG_END), rebuilt.header(Field.LOG_END));
                Client old = source.client(1);
                old.via = rebuilt;
                assertEquals(KvReply.Type.RESET, old.get("k1").type(), "connections do not survive a rebuild");
                Client fresh = rebuilt.client(9);
                fresh.open();
                fresh.put("after", "1");
                model.put("after", "1");
                assertEquals(KvTableTest.buffers(model), KvLog.contents(rebuilt.disk), "new records follow the old");
            }
        }
    }

    @Test
    void aRebuildIgnoresATornTail() throws IOException {
        try (KvFixture source = new KvFixture()) {
            Map<String, String> model = randomOps(source, 300);
            int end = (int) source.header(Field.LOG_END);
            KvLog.append(source.disk, end, KvOp.PUT, bytes("torn"), bytes("half-written"));
            source.disk.bytes[end + KvLog.HEADER + 2] ^= 1;
            try (KvFixture rebuilt = new KvFixture(GuestMemory.allocate(KvFixture.MEMORY), source.disk)) {
                assertEquals(KvTableTest.buffers(model), Kv.contents(rebuilt.memory));
                assertEquals(end, rebuilt.header(Field.LOG_END), "the next record overwrites the torn one");
            }
        }
    }

    @Test
    void aLogThatDoesNotFitInMemoryStopsTheGuestWithTheReason() throws IOException {
        ArrayDisk disk = new ArrayDisk(1 << 20);
        long end = 0;
        try (GuestMemory memory = GuestMemory.allocate(KvFixture.MEMORY)) {
            long slots = KvLayout.of(KvFixture.MEMORY).tableSlots();
            for (long i = 0; i <= slots - slots / 4; i++) { // one key more than the table takes
                end = KvLog.append(disk, end, KvOp.PUT, bytes("key" + i), bytes("v"));
            }
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> new KvFixture(memory, disk));
            assertTrue(e.getMessage().contains("more keys than fit"), e.getMessage());
        }
    }

    @Test
    void memoryLaidOutForAnotherSizeIsRefused() {
        try (KvFixture source = new KvFixture(); GuestMemory larger = GuestMemory.allocate(2 * KvFixture.MEMORY)) {
            MemorySegment.copy(source.memory.segment(), 0, larger.segment(), 0, KvFixture.MEMORY);
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> new KvFixture(larger, source.disk));
            assertTrue(e.getMessage().contains("table slots"), e.getMessage());
        }
    }

    /** What a stop-and-copy leaves: the same bytes in another GuestMemory, and a program over them. */
    private static KvFixture copy(KvFixture source, GuestMemory destination) {
        MemorySegment.copy(source.memory.segment(), 0, destination.segment(), 0, source.memory.byteSize());
        return new KvFixture(destination, source.disk);
    }

    /** One pre-copy round: takes the dirty bits and copies just those pages. */
    private static void copyDirtyPages(GuestMemory source, GuestMemory destination) {
        DirtyBitmap bitmap = source.dirtyBitmap();
        for (int word = 0; word < bitmap.wordCount(); word++) {
            for (long bits = bitmap.harvest(word); bits != 0; bits &= bits - 1) {
                int page = word * 64 + Long.numberOfTrailingZeros(bits);
                MemorySegment.copy(source.page(page), 0, destination.page(page), 0, GuestMemory.PAGE_SIZE);
            }
        }
    }

    private static Map<String, String> randomOps(KvFixture kv, int ops) {
        SplittableRandom random = new SplittableRandom(11);
        Map<String, String> model = new HashMap<>();
        Client client = kv.client(1);
        client.open();
        for (int i = 0; i < ops; i++) {
            String key = KvTableTest.key(random.nextInt(500));
            if (random.nextInt(3) == 0) {
                client.del(key);
                model.remove(key);
            } else {
                String value = "v" + i + "x".repeat(random.nextInt(200));
                client.put(key, value);
                model.put(key, value);
            }
        }
        return model;
    }
}
