package dev.ferry.agent.guest;

import static dev.ferry.agent.guest.KvFixture.bytes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ferry.agent.guest.KvFixture.ArrayDisk;
import dev.ferry.common.kv.KvOp;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The disk log: record format, replay and where replay stops. */
class KvLogTest {
    private static final byte[] NONE = {};
    private final ArrayDisk disk = new ArrayDisk(4096);

    @Test
    void recordsReplayInOrderAndContentsAppliesThem() throws IOException {
        long end = KvLog.append(disk, 0, KvOp.PUT, bytes("a"), bytes("1"));
        end = KvLog.append(disk, end, KvOp.PUT, bytes("b"), bytes("2"));
        end = KvLog.append(disk, end, KvOp.DEL, bytes("a"), NONE);
        end = KvLog.append(disk, end, KvOp.PUT, bytes("b"), bytes("33"));
        List<String> seen = new ArrayList<>();
        assertEquals(end, KvLog.replay(disk, r -> seen.add(r.op() + " " + text(r.key()) + "=" + text(r.value()))));
        assertEquals(List.of("PUT a=1", "PUT b=2", "DEL a=", "PUT b=33"), seen);
        assertEquals(Map.of(ByteBuffer.wrap(bytes("b")), ByteBuffer.wrap(bytes("33"))), KvLog.contents(disk));
        assertEquals(4 * KvLog.HEADER + 2 + 2 + 1 + 3, end, "each record: 13-byte header, key, value");
    }

    @Test
    void anEmptyDiskHoldsAnEmptyLog() throws IOException {
        assertEquals(0, KvLog.replay(disk, r -> { throw new AssertionError("no records"); }));
        assertTrue(KvLog.contents(disk).isEmpty());
    }

    @Test
    void replayStopsAtATornRecord() throws IOException {
        long second = KvLog.append(disk, 0, KvOp.PUT, bytes("a"), bytes("1"));
        long third = KvLog.append(disk, second, KvOp.PUT, bytes("b"), bytes("2"));
        KvLog.append(disk, third, KvOp.PUT, bytes("c"), bytes("3"));
        disk.bytes[(int) third + KvLog.HEADER + 1] ^= 1; // c's value
        assertEquals(third, KvLog.replay(disk, r -> {}), "a bad CRC ends the log");
        disk.bytes[(int) second + 3] ^= 4; // b's length
        assertEquals(second, KvLog.replay(disk, r -> {}), "so does an impossible length");
        disk.bytes[(int) second + 3] ^= 4;
        disk.bytes[(int) second + 8] = 9; // b's op
        assertEquals(second, KvLog.replay(disk, r -> {}), "and an unknown op");
    }

    @Test
    void replayStopsAtTheDiskEnd() throws IOException {
        int size = KvLog.HEADER + 2;
        ArrayDisk exact = new ArrayDisk(2 * size); // no room for the end mark after the second record
        KvLog.append(exact, KvLog.append(exact, 0, KvOp.PUT, bytes("a"), bytes("1")), KvOp.PUT, bytes("b"), bytes("2"));
        assertEquals(2 * size, KvLog.replay(exact, r -> {}));
        ArrayDisk cut = new ArrayDisk(2 * size - 1);
        System.arraycopy(exact.bytes, 0, cut.bytes, 0, cut.bytes.length);
        assertEquals(size, KvLog.replay(cut, r -> {}), "a record cut by the disk's end is torn");
    }

    @Test
    void theEndMarkHidesOlderRecordsAfterARewrite() throws IOException {
        long second = KvLog.append(disk, 0, KvOp.PUT, bytes("a"), bytes("1"));
        long third = KvLog.append(disk, second, KvOp.PUT, bytes("b"), bytes("2".repeat(50)));
        KvLog.append(disk, third, KvOp.PUT, bytes("c"), bytes("3"));
        long end = KvLog.append(disk, second, KvOp.DEL, bytes("a"), NONE); // where a failed write left the end
        assertEquals(end, KvLog.replay(disk, r -> {}), "b and c, now behind the end, are not replayed");
        assertTrue(KvLog.contents(disk).isEmpty());
    }

    @Test
    void anAppendPastTheDiskEndSaysTheDiskIsFull() {
        IOException e = assertThrows(IOException.class,
                () -> KvLog.append(disk, 4090, KvOp.PUT, bytes("a"), bytes("1")));
        assertTrue(e.getMessage().startsWith("disk full: the log is at byte 4090 of 4096"), e.getMessage());
        assertEquals(0, disk.bytes[4090], "nothing written");
    }

    private static String text(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
