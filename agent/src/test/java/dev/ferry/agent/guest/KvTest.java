package dev.ferry.agent.guest;

import static dev.ferry.agent.guest.KvFixture.bytes;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ferry.agent.guest.KvFixture.Client;
import dev.ferry.agent.guest.KvHeader.Field;
import dev.ferry.common.kv.KvReply;
import dev.ferry.common.kv.KvRequest;
import dev.ferry.common.kv.KvStatus;
import dev.ferry.common.memory.GuestMemory;
import dev.ferry.common.net.Frame;
import dev.ferry.common.net.MacAddress;
import java.io.IOException;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The kv program's protocol: sessions, sequence numbers, saved replies and bad input. */
class KvTest {
    private final KvFixture kv = new KvFixture();
    private final Client client = kv.client(1);

    @AfterEach
    void close() {
        kv.close();
    }

    @Test
    void putGetDelRoundTrip() {
        assertEquals(KvReply.opened(0), client.open());
        assertEquals(KvReply.ok(1, new byte[0]), client.put("colour", "blue"));
        assertEquals("blue", client.value("colour"));
        assertEquals(KvReply.ok(3, new byte[0]), client.put("colour", "green"));
        assertEquals("green", client.value("colour"));
        assertEquals(KvReply.ok(5, new byte[0]), client.del("colour"));
        assertNull(client.value("colour"));
        assertEquals(KvReply.notFound(7), client.del("colour"));
        assertEquals(KvReply.closed(8), client.close());
        assertEquals(0, kv.header(Field.ENTRIES));
        assertEquals(7, kv.header(Field.CALLS_EXECUTED), "seqs 1..7, each once; OPEN and CLOSE are not calls");
    }

    @Test
    void emptyValueAndLargestKeyAndValueAreStored() throws IOException {
        client.open();
        byte[] key = new byte[KvRequest.MAX_KEY];
        byte[] value = new byte[KvRequest.MAX_VALUE];
        new SplittableRandom(1).nextBytes(value);
        key[0] = 1;
        assertEquals(KvStatus.OK, kv.send(client.mac, KvRequest.put(++client.seq, key, value)).status());
        assertEquals(KvStatus.OK, client.put("empty", "").status());
        assertArrayEquals(value, kv.send(client.mac, KvRequest.get(++client.seq, key)).value());
        assertEquals("", client.value("empty"));
        assertEquals(Kv.contents(kv.memory), KvLog.contents(kv.disk));
    }

    @Test
    void retransmittedCallGetsTheSavedReplyAndIsAppliedOnce() throws IOException {
        client.open();
        KvReply first = client.put("k", "v1");
        long logEnd = kv.header(Field.LOG_END);
        // the same seq again, even with other contents: answered from the session, not executed
        assertEquals(first, kv.send(client.mac, KvRequest.put(1, bytes("k"), bytes("v1"))));
        assertEquals(first, kv.send(client.mac, KvRequest.put(1, bytes("k"), bytes("other"))));
        assertEquals(logEnd, kv.header(Field.LOG_END), "nothing logged by a retransmit");
        assertEquals(1, countRecords(), "one record on disk");
        assertEquals(1, kv.header(Field.CALLS_EXECUTED));
        assertEquals("v1", client.value("k"));
        KvReply get = kv.send(client.mac, KvRequest.get(2, bytes("k")));
        assertEquals(KvReply.ok(2, bytes("v1")), get, "a retransmitted GET gets its saved value");
    }

    @Test
    void staleSeqIsIgnored() {
        client.open();
        client.put("k", "v1");
        client.put("k", "v2");
        assertNull(kv.send(client.mac, KvRequest.put(1, bytes("k"), bytes("v1"))), "no answer to an old seq");
        assertNull(kv.send(client.mac, KvRequest.del(0, bytes("k"))), "nor to the OPEN's seq");
        assertEquals("v2", client.value("k"));
        assertEquals(3, kv.header(Field.CALLS_EXECUTED));
    }

    @Test
    void seqGapIsAnErrorAndLeavesTheSessionAsItWas() {
        client.open();
        client.put("k", "v1");
        KvReply gap = kv.send(client.mac, KvRequest.put(3, bytes("k"), bytes("v3")));
        assertEquals(KvReply.Type.ERROR, gap.type());
        assertEquals(3, gap.seq());
        assertTrue(gap.text().contains("next call must have seq 2"), gap.text());
        assertEquals("v1", client.value("k"), "seq 2 still works after the gap");
        assertEquals(1, kv.header(Field.ERRORS_SENT));
    }

    @Test
    void callOrCloseWithoutASessionIsReset() {
        assertEquals(KvReply.reset(5), kv.send(client.mac, KvRequest.get(5, bytes("k"))));
        assertEquals(KvReply.reset(6), kv.send(client.mac, KvRequest.close(6)));
        client.open();
        client.put("k", "v");
        client.close();
        assertEquals(KvReply.reset(client.seq), kv.send(client.mac, KvRequest.close(client.seq)),
                "a retransmitted CLOSE");
        assertEquals(KvReply.reset(3), kv.send(client.mac, KvRequest.get(3, bytes("k"))));
        assertEquals(0, kv.header(Field.ERRORS_SENT), "a reset is not a protocol error");
    }

    @Test
    void openResetsTheSessionToItsSeq() {
        client.open();
        client.put("k", "v");
        assertEquals(KvReply.opened(100), kv.send(client.mac, KvRequest.open(100)));
        assertEquals(KvReply.opened(100), kv.send(client.mac, KvRequest.get(100, bytes("k"))),
                "OPENED is the saved reply");
        assertEquals(KvReply.ok(101, bytes("v")), kv.send(client.mac, KvRequest.get(101, bytes("k"))));
    }

    @Test
    void sessionsAreKeptPerClient() {
        Client other = kv.client(2);
        client.open();
        other.open();
        client.put("a", "1");
        other.put("b", "2");
        assertEquals("2", client.value("b"), "one store, shared by every client");
        assertEquals(KvReply.ok(1, new byte[0]), kv.send(other.mac, KvRequest.put(1, bytes("b"), bytes("x"))));
        assertEquals("2", other.value("b"));
    }

    @Test
    void openWhenEverySessionIsTakenIsAnErrorUntilOneCloses() {
        for (int i = 0; i < KvSessions.SLOTS; i++) {
            assertEquals(KvReply.Type.OPENED, kv.client(100 + i).open().type());
        }
        KvReply refused = client.open();
        assertEquals(KvReply.Type.ERROR, refused.type());
        assertTrue(refused.text().contains("no free session"), refused.text());
        Client first = kv.client(100);
        first.seq = 0;
        assertEquals(KvReply.Type.CLOSED, first.close().type());
        assertEquals(KvReply.opened(0), client.open());
    }

    @Test
    void malformedPayloadsGetAnErrorAndTheProgramKeepsServing() {
        client.open();
        byte[] unknownType = KvRequest.get(7, bytes("k")).encode();
        unknownType[0] = 42;
        byte[][] malformed = {new byte[0], new byte[] {2, 0, 0}, unknownType,
                Arrays.copyOf(KvRequest.put(8, bytes("k"), bytes("v")).encode(), 15)};
        for (byte[] payload : malformed) {
            KvReply reply = kv.send(client.mac, payload);
            assertEquals(KvReply.Type.ERROR, reply.type());
            assertEquals(KvStatus.FAILED, reply.status());
            assertTrue(reply.text().startsWith("malformed request: "), reply.text());
        }
        assertEquals(7, kv.send(client.mac, unknownType).seq(), "the seq is echoed when there is one");
        assertEquals(KvStatus.OK, client.put("k", "v").status());
        assertEquals(5, kv.header(Field.ERRORS_SENT));
    }

    /** Nothing a client sends may throw out of a step: a throwing step stops the guest. */
    @Test
    void randomAndCorruptedPayloadsNeverThrow() throws IOException {
        SplittableRandom random = new SplittableRandom(42);
        client.open();
        for (int i = 0; i < 3000; i++) {
            byte[] payload = i % 2 == 0
                    ? randomBytes(random, random.nextInt(40))
                    : corrupt(random, validRequest(random));
            kv.nic.inbound.add(new Frame(KvFixture.GUEST, kv.client(random.nextInt(4)).mac, payload));
            kv.step();
        }
        kv.nic.outbound.forEach(frame -> assertNotNull(KvReply.decode(frame.payload())));
        assertEquals(KvLog.contents(kv.disk), Kv.contents(kv.memory), "whatever was applied was logged");
    }

    @Test
    void aReplyTheNicRefusesIsCountedAndTheRetransmitGetsIt() throws IOException {
        client.open();
        kv.nic.refuseTransmit = true;
        assertNull(client.put("k", "v"));
        assertEquals(1, kv.header(Field.REPLIES_DROPPED));
        kv.nic.refuseTransmit = false;
        assertEquals(KvReply.ok(1, new byte[0]), kv.send(client.mac, KvRequest.put(1, bytes("k"), bytes("v"))));
        assertEquals(1, countRecords(), "applied once");
    }

    @Test
    void diskWriteFailureFailsTheCallAndLeavesTheTableAsItWas() throws IOException {
        client.open();
        client.put("kept", "v1");
        long logEnd = kv.header(Field.LOG_END);
        kv.disk.owned = false;
        KvReply put = client.put("kept", "v2");
        assertEquals(KvStatus.FAILED, put.status());
        assertTrue(put.text().contains("disk not owned") && put.text().contains("image lock"), put.text());
        assertEquals(KvStatus.FAILED, client.put("new", "v").status());
        client.del("kept");
        KvReply del = kv.send(client.mac, KvRequest.del(client.seq, bytes("kept")));
        assertEquals(KvStatus.FAILED, del.status(), "a FAILED reply is saved too: " + del);
        assertEquals(client.seq, del.seq());
        assertEquals("v1", client.value("kept"));
        assertNull(client.value("new"));
        assertEquals(logEnd, kv.header(Field.LOG_END));
        kv.disk.owned = true;
        assertEquals(KvStatus.OK, client.put("kept", "v3").status(), "the next seq works once the disk does");
        assertEquals(Kv.contents(kv.memory), KvLog.contents(kv.disk));
    }

    @Test
    void fullDiskFailsTheCallAndSaysSo() throws IOException {
        try (KvFixture small = new KvFixture(GuestMemory.allocate(KvFixture.MEMORY),
                new KvFixture.ArrayDisk(64))) {
            Client c = small.client(1);
            c.open();
            assertEquals(KvStatus.OK, c.put("a", "x".repeat(40)).status());
            KvReply full = c.put("b", "y".repeat(40));
            assertEquals(KvStatus.FAILED, full.status());
            assertTrue(full.text().contains("disk full"), full.text());
            assertNull(c.value("b"));
            assertEquals(1, KvLog.contents(small.disk).size());
        }
    }

    @Test
    void storeFullFailsNewKeysButNotOverwritesOrDeletes() throws IOException {
        client.open();
        long usable = kv.table().usable();
        for (long i = 0; i < usable; i++) {
            assertEquals(KvStatus.OK, client.put("key" + i, "v").status(), "key " + i);
        }
        KvReply full = client.put("one-too-many", "v");
        assertEquals(KvStatus.FAILED, full.status());
        assertTrue(full.text().startsWith("store full"), full.text());
        assertEquals(usable, countRecords(), "a refused PUT is not logged");
        assertEquals(KvStatus.OK, client.put("key0", "overwritten").status());
        assertEquals(KvStatus.OK, client.del("key1").status());
        assertEquals(KvStatus.OK, client.put("one-too-many", "v").status(), "a deleted slot makes room");
        assertEquals(usable, kv.header(Field.ENTRIES));
    }

    @Test
    void aFrameFromAGroupAddressIsNotAnswered() {
        MacAddress group = new MacAddress(0x01_00_5E_00_00_01L);
        assertNull(kv.send(group, KvRequest.open(0)));
        assertEquals(KvReply.reset(1), kv.send(client.mac, KvRequest.get(1, bytes("k"))));
    }

    @Test
    void anIdleStepWaitsForAFrame() {
        int waits = kv.nic.waits;
        kv.step();
        assertEquals(waits + 1, kv.nic.waits);
    }

    @Test
    void memoryBelowTheMinimumIsRefusedAtConstruction() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Kv(KvLayout.MIN_MEMORY_BYTES - 4096, kv.nic, kv.disk));
        assertTrue(e.getMessage().contains("at least 4 MiB"), e.getMessage());
    }

    private long countRecords() throws IOException {
        long[] count = {0};
        KvLog.replay(kv.disk, record -> count[0]++);
        return count[0];
    }

    private static byte[] randomBytes(SplittableRandom random, int length) {
        byte[] bytes = new byte[length];
        random.nextBytes(bytes);
        return bytes;
    }

    private static byte[] validRequest(SplittableRandom random) {
        byte[] key = randomBytes(random, 1 + random.nextInt(8));
        return switch (random.nextInt(5)) {
            case 0 -> KvRequest.open(random.nextInt(3)).encode();
            case 1 -> KvRequest.close(random.nextInt(3)).encode();
            case 2 -> KvRequest.get(random.nextInt(5), key).encode();
            case 3 -> KvRequest.del(random.nextInt(5), key).encode();
            default -> KvRequest.put(random.nextInt(5), key, randomBytes(random, random.nextInt(20))).encode();
        };
    }

    /** A valid request with one byte changed (most often a header byte), or none. */
    private static byte[] corrupt(SplittableRandom random, byte[] payload) {
        int at = random.nextInt(Math.min(payload.length, KvRequest.HEADER + 2));
        payload[at] = (byte) random.nextInt(256);
        return payload;
    }
}
