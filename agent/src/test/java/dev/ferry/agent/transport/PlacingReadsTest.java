package dev.ferry.agent.transport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/** The read handle: ordinary buffers, capped ones, or a view of the target the decoder named. */
class PlacingReadsTest {
    private final PlacingReads.PlacingHandle handle = (PlacingReads.PlacingHandle)
            new PlacingReads(new AdaptiveRecvByteBufAllocator(64 << 10, 256 << 10, 1 << 20)).newHandle();

    @Test
    void withoutATargetReadsAreOrdinaryAndSizedByTheAdaptiveAllocator() {
        ByteBuf buffer = handle.allocate(ByteBufAllocator.DEFAULT);
        try {
            assertEquals(256 << 10, buffer.writableBytes());
            assertFalse(handle.isPlaced(buffer));
        } finally {
            buffer.release();
        }
    }

    @Test
    void aTargetGetsTheReadWrittenIntoItAndIsRecognisedAsPlaced() {
        ByteBuffer guestMemory = ByteBuffer.allocateDirect(8192);
        handle.placeNextRead(guestMemory.slice(4096, 4096));
        assertEquals(4096, handle.guess());
        ByteBuf read = handle.allocate(ByteBufAllocator.DEFAULT);
        assertTrue(handle.isPlaced(read));
        assertEquals(4096, read.writableBytes(), "the read may fill the run, not more");
        read.writeBytes(new byte[] {7, 8, 9});  // what the socket does
        read.release();
        byte[] landed = new byte[3];
        guestMemory.get(4096, landed);
        assertArrayEquals(new byte[] {7, 8, 9}, landed, "the bytes are in guest memory, not in a copy");
    }

    @Test
    void aReadThatFindsNoDataLeavesTheTargetInPlace() {
        handle.placeNextRead(ByteBuffer.allocateDirect(4096));
        ByteBuf empty = handle.allocate(ByteBufAllocator.DEFAULT);
        empty.release();  // the socket had nothing: Netty releases the buffer unread
        ByteBuf next = handle.allocate(ByteBufAllocator.DEFAULT);
        assertTrue(handle.isPlaced(next));
        assertEquals(4096, next.writableBytes());
        next.release();
    }

    @Test
    void aCappedReadIsAnOrdinaryBufferOfThatSize() {
        handle.placeNextRead(ByteBuffer.allocateDirect(4096));
        handle.limitNextRead(8192);
        assertEquals(8192, handle.guess());
        ByteBuf buffer = handle.allocate(ByteBufAllocator.DEFAULT);
        try {
            assertEquals(8192, buffer.writableBytes());
            assertFalse(handle.isPlaced(buffer));
        } finally {
            buffer.release();
        }
    }
}
