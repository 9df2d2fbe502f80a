package dev.ferry.agent.transport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ferry.agent.migration.PlacedPages;
import dev.ferry.common.memory.GuestMemory;
import dev.ferry.common.memory.PageDigest;
import dev.ferry.common.wire.PageFrames;
import dev.ferry.common.wire.PageStreamFormat;
import dev.ferry.proto.v1.Control;
import dev.ferry.proto.v1.Sync;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The destination's framing: PAGES data lands in guest memory whether it comes with the
 * header (copied), in reads placed in guest memory (as the socket would), or scattered; any
 * other frame, and any frame the migration will not place, leaves as an ordinary body.
 */
class PlacingFrameDecoderTest {
    private static final int PAGE = GuestMemory.PAGE_SIZE;
    private static final int PAGES = 512;

    private final GuestMemory source = GuestMemory.allocate((long) PAGES * PAGE);
    private final GuestMemory destination = GuestMemory.allocate((long) PAGES * PAGE);
    private final FakePlacer placer = new FakePlacer();
    private final PlacingFrameDecoder decoder = new PlacingFrameDecoder(placer);
    private final EmbeddedChannel channel = new EmbeddedChannel(decoder);

    PlacingFrameDecoderTest() {
        SplittableRandom random = new SplittableRandom(42);
        for (int page = 0; page < PAGES; page++) {
            source.fillPage(page, random.nextLong(), random.nextLong() | 1);
        }
    }

    @AfterEach
    void tearDown() {
        channel.finishAndReleaseAll();
        source.close();
        destination.close();
    }

    /** What the socket would deliver for a PAGES frame of {@code pages} of the source. */
    private byte[] pagesFrame(int round, int... pages) {
        ByteBuf frame = PageFrames.pagesFromMemory(ByteBufAllocator.DEFAULT, round, pages, pages.length, source,
                PageDigest.ofZeroMemory(PAGES));
        try {
            byte[] bytes = new byte[frame.readableBytes()];
            frame.readBytes(bytes);
            return bytes;
        } finally {
            frame.release();
        }
    }

    private static byte[] controlFrame(Control message) {
        ByteBuf frame = PageFrames.control(ByteBufAllocator.DEFAULT, message);
        byte[] bytes = new byte[frame.readableBytes()];
        frame.readBytes(bytes);
        frame.release();
        return bytes;
    }

    private void assertSameAsSource(int... pages) {
        for (int page : pages) {
            long offset = (long) page * PAGE;
            assertEquals(-1, source.segment().asSlice(offset, PAGE).mismatch(destination.segment().asSlice(offset, PAGE)),
                    "page " + page);
        }
    }

    private List<Object> readAll() {
        List<Object> out = new ArrayList<>();
        for (Object message = channel.readInbound(); message != null; message = channel.readInbound()) {
            out.add(message);
        }
        return out;
    }

    @Test
    void beforeAMigrationAcceptsTheChannelFramesLeaveWhole() {
        byte[] frame = pagesFrame(0, 1, 2);
        channel.writeInbound(Unpooled.wrappedBuffer(frame, 0, 100));
        assertNull(channel.readInbound());
        channel.writeInbound(Unpooled.wrappedBuffer(frame, 100, frame.length - 100));
        ByteBuf body = channel.readInbound();
        assertEquals(frame.length - PageStreamFormat.LENGTH_FIELD, body.readableBytes());
        assertEquals(PageStreamFormat.PAGES, body.getByte(0));
        body.release();
        assertNull(placer.target);
    }

    @Test
    void aContiguousFrameArrivingInPiecesIsCopiedIntoPlaceAndReportedOnce() {
        decoder.placeInto(pages -> destination);
        int[] pages = IntStream.range(64, 128).toArray();
        byte[] frame = pagesFrame(3, pages);
        byte[] sync = controlFrame(Control.newBuilder().setSync(Sync.newBuilder().setRound(3)).build());
        byte[] stream = new byte[frame.length + sync.length];
        System.arraycopy(frame, 0, stream, 0, frame.length);
        System.arraycopy(sync, 0, stream, frame.length, sync.length);
        for (int at = 0; at < stream.length; at += 7001) {  // pieces that split headers, indices and pages
            channel.writeInbound(Unpooled.wrappedBuffer(stream, at, Math.min(7001, stream.length - at)));
        }
        List<Object> out = readAll();
        assertEquals(2, out.size(), out.toString());
        PlacedPages placed = assertInstanceOf(PlacedPages.class, out.get(0));
        assertEquals(3, placed.round());
        assertArrayEquals(pages, placed.pages());
        ByteBuf control = assertInstanceOf(ByteBuf.class, out.get(1));
        assertEquals(PageStreamFormat.CONTROL, control.getByte(0));
        control.release();
        assertSameAsSource(pages);
    }

    @Test
    void theRestOfARunIsReadStraightIntoGuestMemory() {
        decoder.placeInto(pages -> destination);
        int[] pages = IntStream.range(0, 256).toArray();
        byte[] frame = pagesFrame(0, pages);
        int header = PageStreamFormat.LENGTH_FIELD + PageStreamFormat.pagesBody(pages.length) - pages.length * PAGE;
        // the header read brings the first 1000 data bytes along; they are copied
        channel.writeInbound(Unpooled.wrappedBuffer(frame, 0, header + 1000));
        assertNull(channel.readInbound());
        ByteBuffer target = placer.target;
        assertNotNull(target, "the rest of the run is placed");
        assertEquals(pages.length * PAGE - 1000, target.remaining());
        // the socket fills the target in two reads, as the kernel would
        int first = 300_000;
        channel.writeInbound(placer.read(frame, header + 1000, first));
        assertNull(channel.readInbound());
        assertEquals(pages.length * PAGE - 1000 - first, placer.target.remaining());
        channel.writeInbound(placer.read(frame, header + 1000 + first, frame.length - header - 1000 - first));
        PlacedPages placed = channel.readInbound();
        assertArrayEquals(pages, placed.pages());
        assertSameAsSource(pages);
        assertNull(placer.target, "between frames reads are ordinary again");
        assertEquals(PlacingFrameDecoder.HEADER_READ, placer.limit, "and capped, to fetch the next header");
    }

    @Test
    void runsOfAFrameArePlacedOneAfterTheOther() {
        decoder.placeInto(pages -> destination);
        int[] pages = IntStream.concat(IntStream.range(0, 64), IntStream.range(320, 384)).toArray();
        byte[] frame = pagesFrame(1, pages);
        int header = frame.length - pages.length * PAGE;
        channel.writeInbound(Unpooled.wrappedBuffer(frame, 0, header));
        assertEquals(64 * PAGE, placer.target.remaining(), "the first run");
        channel.writeInbound(placer.read(frame, header, 64 * PAGE));
        assertEquals(64 * PAGE, placer.target.remaining(), "the second run");
        channel.writeInbound(placer.read(frame, header + 64 * PAGE, 64 * PAGE));
        PlacedPages placed = channel.readInbound();
        assertArrayEquals(pages, placed.pages());
        assertSameAsSource(pages);
    }

    @Test
    void scatteredPagesAreReadWholeAndCopied() {
        decoder.placeInto(pages -> destination);
        int[] pages = {5, 9, 200, 201, 511};
        byte[] frame = pagesFrame(4, pages);
        int header = frame.length - pages.length * PAGE;
        channel.writeInbound(Unpooled.wrappedBuffer(frame, 0, header + 10));
        assertNull(placer.target, "runs this short are not worth a read of their own");
        assertEquals(pages.length * PAGE - 10 + PlacingFrameDecoder.HEADER_READ, placer.limit);
        channel.writeInbound(Unpooled.wrappedBuffer(frame, header + 10, frame.length - header - 10));
        PlacedPages placed = channel.readInbound();
        assertArrayEquals(pages, placed.pages());
        assertSameAsSource(pages);
    }

    @Test
    void aFrameBehindAnotherInOneReadIsPlacedOnlyAfterThatOneWasHandled() {
        // a CHANNEL_END and a PAGES frame behind it in one read: the end must be acted on (here:
        // the migration stops placing) before the frame behind it is asked about
        decoder.placeInto(pages -> channel.inboundMessages().isEmpty() ? destination : null);
        byte[] end = controlFrame(Control.newBuilder().setSync(Sync.newBuilder().setRound(1)).build());
        byte[] frame = pagesFrame(1, 10, 11);
        byte[] stream = new byte[end.length + frame.length];
        System.arraycopy(end, 0, stream, 0, end.length);
        System.arraycopy(frame, 0, stream, end.length, frame.length);
        channel.writeInbound(Unpooled.wrappedBuffer(stream));
        List<Object> out = readAll();
        assertEquals(2, out.size(), out.toString());
        ByteBuf pages = assertInstanceOf(ByteBuf.class, out.get(1), "refused once the first frame was out: not placed");
        assertEquals(PageStreamFormat.PAGES, pages.getByte(0));
        ((ByteBuf) out.get(0)).release();
        pages.release();
    }

    @Test
    void aFrameTheMigrationWillNotPlaceLeavesWholeForTheOrdinaryPath() {
        decoder.placeInto(pages -> null);
        byte[] frame = pagesFrame(0, 7, 8);
        channel.writeInbound(Unpooled.wrappedBuffer(frame));
        ByteBuf body = channel.readInbound();
        assertEquals(frame.length - PageStreamFormat.LENGTH_FIELD, body.readableBytes());
        body.release();
        assertTrue(destination.segment().asSlice(7L * PAGE, 2L * PAGE).elements(java.lang.foreign.ValueLayout.JAVA_LONG)
                .allMatch(word -> word.get(java.lang.foreign.ValueLayout.JAVA_LONG, 0) == 0), "nothing written");
    }

    @Test
    void aPagesHeaderWhoseCountDisagreesWithItsLengthIsRefused() {
        decoder.placeInto(pages -> destination);
        byte[] frame = pagesFrame(0, 1, 2);
        ByteBuffer.wrap(frame).putInt(PageStreamFormat.LENGTH_FIELD + PageStreamFormat.TYPE_FIELD + 4, 3);
        DecoderException e = assertThrows(DecoderException.class, () -> channel.writeInbound(Unpooled.wrappedBuffer(frame)));
        assertTrue(e.getMessage().contains("PAGES frame of 3 pages"), e.getMessage());
    }

    @Test
    void aLengthAboveTheCapIsRefusedBeforeWaitingForIt() {
        byte[] huge = ByteBuffer.allocate(8).putInt(PageStreamFormat.MAX_FRAME_BODY + 1).putInt(0).array();
        DecoderException e = assertThrows(DecoderException.class, () -> channel.writeInbound(Unpooled.wrappedBuffer(huge)));
        assertTrue(e.getMessage().contains("frame length"), e.getMessage());
    }

    /** Stands in for {@link PlacingReads}: remembers the target, and plays the socket's read into it. */
    private static final class FakePlacer implements PlacingFrameDecoder.Placer {
        ByteBuffer target;
        int limit;
        private ByteBuf placed;

        @Override
        public void placeNextRead(ByteBuffer target) {
            this.target = target;
            this.limit = 0;
        }

        @Override
        public void limitNextRead(int bytes) {
            this.target = null;
            this.limit = bytes;
        }

        @Override
        public boolean isPlaced(Object message) {
            return message == placed;
        }

        /** {@code length} bytes of {@code stream} from {@code from}, written where the decoder asked. */
        ByteBuf read(byte[] stream, int from, int length) {
            placed = Unpooled.wrappedBuffer(target.duplicate()).clear();
            placed.writeBytes(stream, from, length);
            return placed;
        }
    }
}
