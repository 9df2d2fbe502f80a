package dev.ferry.common.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ferry.common.memory.GuestMemory;
import dev.ferry.common.memory.PageDigest;
import dev.ferry.common.memory.PageHash;
import dev.ferry.common.testing.TrackingAllocator;
import dev.ferry.proto.v1.ChannelEnd;
import dev.ferry.proto.v1.Commit;
import dev.ferry.proto.v1.Control;
import dev.ferry.proto.v1.DeviceState;
import dev.ferry.proto.v1.GuestSpec;
import dev.ferry.proto.v1.Hello;
import dev.ferry.proto.v1.StreamError;
import dev.ferry.proto.v1.StreamErrorCode;
import com.google.protobuf.ByteString;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.TooLongFrameException;
import java.io.ByteArrayOutputStream;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The page-stream codec without sockets: {@link PageStreamFraming} + {@link PageStreamDecoder}
 * inbound, {@link ControlEncoder} outbound, on an {@link EmbeddedChannel} whose allocator
 * tracks every buffer so each test can prove nothing leaked, on success and on error.
 */
@Timeout(60)
class PageStreamCodecTest {
    private static final int PAGE = GuestMemory.PAGE_SIZE;
    private static final int GUEST_PAGES = 64;

    private TrackingAllocator alloc;
    private EmbeddedChannel channel;
    private GuestMemory memory;
    /** Buffers this test fed in; each must be released by the pipeline. */
    private final List<ByteBuf> inputs = new ArrayList<>();

    @BeforeEach
    void setUp() {
        alloc = new TrackingAllocator();
        channel = new EmbeddedChannel();
        channel.config().setAllocator(alloc);
        channel.pipeline().addLast(new PageStreamFraming(), new PageStreamDecoder(), new ControlEncoder());
        memory = GuestMemory.allocate((long) GUEST_PAGES * PAGE);
        SplittableRandom random = new SplittableRandom(42);
        for (int page = 0; page < GUEST_PAGES; page++) {
            if (page % 5 != 0) { // every fifth page stays zero
                memory.fillPage(page, random.nextLong(), random.nextLong());
            }
        }
    }

    @AfterEach
    void tearDown() {
        try {
            assertFalse(channel.finishAndReleaseAll(), "no message may be left over in the channel");
            for (ByteBuf in : inputs) {
                assertEquals(0, in.refCnt(), "input buffer not released");
            }
            alloc.assertAllReleased();
        } finally {
            memory.close();
        }
    }

    // ---- helpers -----------------------------------------------------------------------------

    /** Feeds bytes to the channel as one buffer from the tracking allocator. */
    private void feed(byte[] bytes, int from, int to) {
        ByteBuf in = alloc.buffer(to - from).writeBytes(bytes, from, to - from);
        inputs.add(in);
        channel.writeInbound(in);
    }

    private void feed(byte[] bytes) {
        feed(bytes, 0, bytes.length);
    }

    /** Copies a frame built by {@link PageFrames} into an array and releases it. */
    private static byte[] drain(ByteBuf frame) {
        try {
            return ByteBufUtil.getBytes(frame);
        } finally {
            assertTrue(frame.release());
        }
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }

    /** A raw frame: the length field then {@code body}, as a hostile peer could send it. */
    private static byte[] rawFrame(byte[] body) {
        ByteBuf buf = io.netty.buffer.Unpooled.buffer();
        buf.writeInt(body.length).writeBytes(body);
        return drain(buf);
    }

    /** {@link #rawFrame(byte[])} with the body given as ints (each cut to a byte). */
    private static byte[] rawFrame(int... body) {
        byte[] bytes = new byte[body.length];
        for (int i = 0; i < body.length; i++) {
            bytes[i] = (byte) body[i];
        }
        return rawFrame(bytes);
    }

    /** A batch frame body with a header the caller chooses and {@code extra} trailing bytes. */
    private static byte[] batchFrame(byte type, int round, int count, int extra) {
        ByteBuf buf = io.netty.buffer.Unpooled.buffer();
        buf.writeInt(PageStreamFormat.TYPE_FIELD + PageStreamFormat.BATCH_HEADER + extra)
                .writeByte(type).writeInt(round).writeInt(count).writeZero(extra);
        return drain(buf);
    }

    private static Control hello() {
        return Control.newBuilder().setHello(Hello.newBuilder()
                .setProtocolVersion(PageStreamFormat.PROTOCOL_VERSION)
                .setMigrationId("mig-7f3a")
                .setTicket("t-0123456789abcdef")
                .setChannelIndex(1)
                .setChannelCount(4)
                .setMemoryBytes(8L << 30)).build();
    }

    private static Control deviceState() {
        return Control.newBuilder().setDeviceState(DeviceState.newBuilder()
                .setSpec(GuestSpec.newBuilder().setName("g1").setMemoryBytes(1L << 20).setVcpus(2))
                .addVcpuState(ByteString.copyFrom(new byte[] {1, 2, 3}))
                .addVcpuState(ByteString.EMPTY)
                .setMemoryDigest(-1234567890123L)
                .setPagesTotal(99)).build();
    }

    private void assertPageData(PageBatch batch, int i, int page) {
        assertEquals(page, batch.pageIndex(i), "index of page " + i);
        ByteBuf content = batch.content();
        byte[] received = new byte[PAGE];
        content.getBytes(batch.dataOffset(i), received);
        byte[] expected = memory.page(page).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
        assertArrayEquals(expected, received, "data of page " + page);
    }

    /** Hashes the received data the way a destination does, into {@code digest}. */
    private static void recordReceived(PageBatch batch, PageDigest digest) {
        ByteBuf content = batch.content();
        for (int i = 0; i < batch.count(); i++) {
            MemorySegment data = MemorySegment.ofArray(new byte[PAGE]);
            byte[] bytes = new byte[PAGE];
            content.getBytes(batch.dataOffset(i), bytes);
            MemorySegment.copy(MemorySegment.ofArray(bytes), 0, data, 0, PAGE);
            digest.record(batch.pageIndex(i), PageHash.of(data, 0, batch.pageIndex(i)));
        }
    }

    // ---- round trips -------------------------------------------------------------------------

    @Test
    void controlRoundTripsThroughEncoderAndDecoder() {
        for (Control sent : List.of(hello(), deviceState(),
                Control.newBuilder().setCommit(Commit.getDefaultInstance()).build(),
                Control.newBuilder().setChannelEnd(ChannelEnd.newBuilder().setChannelIndex(3).setPages(1L << 40)).build(),
                Control.newBuilder().setError(StreamError.newBuilder()
                        .setCode(StreamErrorCode.DIGEST_MISMATCH).setMessage("pages 3, 9 differ")).build(),
                Control.getDefaultInstance())) {
            assertTrue(channel.writeOutbound(sent));
            ByteBuf frame = channel.readOutbound();
            assertEquals(PageStreamFormat.LENGTH_FIELD + PageStreamFormat.TYPE_FIELD + sent.getSerializedSize(),
                    frame.readableBytes());
            assertEquals(PageStreamFormat.TYPE_FIELD + sent.getSerializedSize(), frame.getInt(frame.readerIndex()));
            assertEquals(PageStreamFormat.CONTROL, frame.getByte(frame.readerIndex() + PageStreamFormat.LENGTH_FIELD));

            inputs.add(frame);
            assertTrue(channel.writeInbound(frame));
            Control received = channel.readInbound();
            assertEquals(sent, received);
            assertEquals(sent.getBodyCase(), received.getBodyCase());
            assertEquals(0, frame.refCnt(), "encoded frame released after decoding");
            assertNull(channel.readInbound());
        }
    }

    @Test
    void controlFrameLayoutFromPageFrames() {
        Control msg = hello();
        ByteBuf frame = PageFrames.control(alloc, msg);
        try {
            assertEquals(1 + msg.getSerializedSize(), frame.readInt());
            assertEquals(PageStreamFormat.CONTROL, frame.readByte());
            assertArrayEquals(msg.toByteArray(), ByteBufUtil.getBytes(frame));
        } finally {
            frame.release();
        }
    }

    @Test
    void pagesFrameRoundTripsWithDataAndDigest() {
        int[] pages = {3, 0, 63, 17, 5, 40}; // any order, includes a zero page (0, 5, 40)
        PageDigest sent = PageDigest.ofZeroMemory(GUEST_PAGES);
        ByteBuf frame = PageFrames.pagesFromMemory(alloc, 7, pages, pages.length, memory, sent);
        assertEquals(PageStreamFormat.LENGTH_FIELD + PageStreamFormat.pagesBody(pages.length), frame.readableBytes());
        assertEquals(PageStreamFormat.pagesBody(pages.length), frame.getInt(frame.readerIndex()));

        PageDigest expected = PageDigest.ofZeroMemory(GUEST_PAGES);
        for (int page : pages) {
            expected.record(page, PageHash.of(memory.segment(), (long) page * PAGE, page));
        }
        assertEquals(expected.value(), sent.value(), "sent digest = hashes of the source pages");

        inputs.add(frame);
        assertTrue(channel.writeInbound(frame));
        PageBatch batch = channel.readInbound();
        try {
            assertEquals(7, batch.round());
            assertEquals(pages.length, batch.count());
            for (int i = 0; i < pages.length; i++) {
                assertPageData(batch, i, pages[i]);
            }
            PageDigest received = PageDigest.ofZeroMemory(GUEST_PAGES);
            recordReceived(batch, received);
            assertEquals(sent.value(), received.value(), "destination digest equals source digest");
        } finally {
            assertTrue(batch.release());
        }
        assertEquals(0, batch.refCnt());
        assertEquals(0, frame.refCnt());
    }

    /**
     * Page data is read from guest memory when the frame is written, not when it is built.
     * A write in between changes what travels, and it also marks the page dirty again, so the
     * page is sent (and hashed) once more: the digest only has to hold for the last send.
     */
    @Test
    void pagesFrameReadsMemoryWhenSentAndALaterWriteMarksThePageAgain() {
        PageDigest sent = PageDigest.ofZeroMemory(GUEST_PAGES);
        memory.dirtyBitmap().clearAll();
        ByteBuf frame = PageFrames.pagesFromMemory(alloc, 1, new int[] {9}, 1, memory, sent);
        memory.fillPage(9, 1, 1); // the guest writes after the frame was built
        byte[] after = memory.page(9).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
        inputs.add(frame);
        channel.writeInbound(frame);
        PageBatch batch = channel.readInbound();
        try {
            byte[] received = new byte[PAGE];
            batch.content().getBytes(batch.dataOffset(0), received);
            assertArrayEquals(after, received, "the frame carries the page as it is when written");
            assertTrue(memory.dirtyBitmap().isDirty(9), "the page must be sent again");
        } finally {
            batch.release();
        }
    }

    @Test
    void pagesFrameUsesOnlyTheFirstCountIndices() {
        PageDigest sent = PageDigest.ofZeroMemory(GUEST_PAGES);
        ByteBuf frame = PageFrames.pagesFromMemory(alloc, 2, new int[] {1, 2, 3, 99999}, 2, memory, sent);
        inputs.add(frame);
        channel.writeInbound(frame);
        PageBatch batch = channel.readInbound();
        try {
            assertEquals(2, batch.count());
            assertPageData(batch, 0, 1);
            assertPageData(batch, 1, 2);
        } finally {
            batch.release();
        }
    }

    @Test
    void emptyPagesAndZeroPagesFramesAreValid() {
        ByteBuf pages = PageFrames.pagesFromMemory(alloc, 4, new int[0], 0, memory, PageDigest.ofZeroMemory(GUEST_PAGES));
        ByteBuf zeros = PageFrames.zeroPages(alloc, 4, new int[0], 0);
        inputs.add(pages);
        inputs.add(zeros);
        channel.writeInbound(pages, zeros);
        PageBatch batch = channel.readInbound();
        assertEquals(0, batch.count());
        assertEquals(4, batch.round());
        batch.release();
        ZeroPageBatch zero = channel.readInbound();
        assertEquals(0, zero.pages().length);
    }

    @Test
    void zeroPagesRoundTrip() {
        int[] pages = {0, 5, 10, 65_536, Integer.MAX_VALUE - 1};
        ByteBuf frame = PageFrames.zeroPages(alloc, 3, pages, pages.length);
        assertEquals(PageStreamFormat.LENGTH_FIELD + PageStreamFormat.zeroPagesBody(pages.length), frame.readableBytes());
        inputs.add(frame);
        assertTrue(channel.writeInbound(frame));
        ZeroPageBatch batch = channel.readInbound();
        assertEquals(3, batch.round());
        assertArrayEquals(pages, batch.pages());
        assertEquals(0, frame.refCnt());
    }

    @Test
    void largestZeroPagesFrameIsAccepted() {
        int[] pages = new int[PageStreamFormat.MAX_ZERO_PAGES_PER_FRAME];
        Arrays.setAll(pages, i -> i * 3);
        ByteBuf frame = PageFrames.zeroPages(alloc, 1, pages, pages.length);
        inputs.add(frame);
        channel.writeInbound(frame);
        ZeroPageBatch batch = channel.readInbound();
        assertArrayEquals(pages, batch.pages());
    }

    /** The one rule both of the destination's decoders apply to a PAGES header. */
    @Test
    void aPagesHeaderMustAgreeWithItsBodyAndStayWithinTheCount() {
        int max = PageStreamFormat.MAX_PAGES_PER_FRAME;
        assertNull(PageStreamFormat.pagesFrameProblem(0, PageStreamFormat.pagesBody(0)));
        assertNull(PageStreamFormat.pagesFrameProblem(max, PageStreamFormat.pagesBody(max)));
        assertEquals("batch page count -1 outside 0.." + max, PageStreamFormat.pagesFrameProblem(-1, 9));
        assertEquals("batch page count " + (max + 1) + " outside 0.." + max,
                PageStreamFormat.pagesFrameProblem(max + 1, PageStreamFormat.MAX_FRAME_BODY));
        assertEquals("PAGES frame of 3 pages must be " + PageStreamFormat.pagesBody(3) + " bytes, got 100",
                PageStreamFormat.pagesFrameProblem(3, 100));
    }

    /**
     * A PAGES frame of MAX_PAGES_PER_FRAME pages has a body of exactly MAX_FRAME_BODY bytes,
     * which the format documents as the largest body a decoder accepts.
     */
    @Test
    void fullPagesFrameOfMaxPagesIsAccepted() {
        int count = PageStreamFormat.MAX_PAGES_PER_FRAME;
        assertEquals(PageStreamFormat.MAX_FRAME_BODY, PageStreamFormat.pagesBody(count));
        try (GuestMemory big = GuestMemory.allocate((long) count * PAGE)) {
            for (int page = 0; page < count; page += 7) {
                big.fillPage(page, page, 1);
            }
            int[] pages = new int[count];
            Arrays.setAll(pages, i -> count - 1 - i);
            ByteBuf frame = PageFrames.pagesFromMemory(alloc, 1, pages, count, big, PageDigest.ofZeroMemory(count));
            inputs.add(frame);
            channel.writeInbound(frame);
            PageBatch batch = channel.readInbound();
            try {
                assertEquals(count, batch.count());
                assertEquals(count - 1, batch.pageIndex(0));
            } finally {
                batch.release();
            }
        }
    }

    /** Pins the current limit: frames whose body stays 4 bytes under MAX_FRAME_BODY pass. */
    @Test
    void largestPagesFrameTheFramingAcceptsToday() {
        int count = PageStreamFormat.MAX_PAGES_PER_FRAME - 1; // body MAX_FRAME_BODY - 4100
        try (GuestMemory big = GuestMemory.allocate((long) count * PAGE)) {
            int[] pages = new int[count];
            Arrays.setAll(pages, i -> i);
            ByteBuf frame = PageFrames.pagesFromMemory(alloc, 1, pages, count, big, PageDigest.ofZeroMemory(count));
            inputs.add(frame);
            channel.writeInbound(frame);
            PageBatch batch = channel.readInbound();
            assertEquals(count, batch.count());
            batch.release();
        }
    }

    // ---- split and merged input --------------------------------------------------------------

    /** Hello, PAGES(3), ZERO_PAGES(2), DeviceState, PAGES(1), Commit: the frames and their bytes. */
    private byte[] conversation(PageDigest sent) {
        return concat(
                drain(PageFrames.control(alloc, hello())),
                drain(PageFrames.pagesFromMemory(alloc, 0, new int[] {1, 2, 62}, 3, memory, sent)),
                drain(PageFrames.zeroPages(alloc, 0, new int[] {0, 5}, 2)),
                drain(PageFrames.control(alloc, deviceState())),
                drain(PageFrames.pagesFromMemory(alloc, 1, new int[] {33}, 1, memory, sent)),
                drain(PageFrames.control(alloc, Control.newBuilder().setCommit(Commit.getDefaultInstance()).build())));
    }

    private void assertConversation(PageDigest sent) {
        PageDigest received = PageDigest.ofZeroMemory(GUEST_PAGES);
        assertEquals(hello(), channel.readInbound());

        PageBatch first = channel.readInbound();
        try {
            assertEquals(0, first.round());
            assertEquals(3, first.count());
            assertPageData(first, 0, 1);
            assertPageData(first, 1, 2);
            assertPageData(first, 2, 62);
            recordReceived(first, received);
        } finally {
            first.release();
        }

        ZeroPageBatch zeros = channel.readInbound();
        assertArrayEquals(new int[] {0, 5}, zeros.pages());
        for (int page : zeros.pages()) {
            received.record(page, PageHash.ofZeroPage(page));
        }

        assertEquals(deviceState(), channel.readInbound());

        PageBatch second = channel.readInbound();
        try {
            assertEquals(1, second.round());
            assertPageData(second, 0, 33);
            recordReceived(second, received);
        } finally {
            second.release();
        }

        Control commit = channel.readInbound();
        assertTrue(commit.hasCommit());
        assertNull(channel.readInbound(), "exactly six messages");
        assertEquals(sent.value(), received.value());
    }

    @ParameterizedTest(name = "chunks of {0} bytes")
    @ValueSource(ints = {1, 2, 3, 5, 7, 13, 4095, 4096, 4097, 65_536})
    void framesSplitIntoChunksDecodeTheSame(int chunk) {
        PageDigest sent = PageDigest.ofZeroMemory(GUEST_PAGES);
        byte[] stream = conversation(sent);
        for (int from = 0; from < stream.length; from += chunk) {
            feed(stream, from, Math.min(stream.length, from + chunk));
        }
        assertConversation(sent);
    }

    @Test
    void allFramesInOneBuffer() {
        PageDigest sent = PageDigest.ofZeroMemory(GUEST_PAGES);
        feed(conversation(sent));
        assertConversation(sent);
    }

    @Test
    void chunkBoundariesInsideEveryLengthField() {
        PageDigest sent = PageDigest.ofZeroMemory(GUEST_PAGES);
        byte[] stream = conversation(sent);
        // cut 1, 2 and 3 bytes into each frame's length field, and right after it
        List<Integer> cuts = new ArrayList<>();
        ByteBuf walk = io.netty.buffer.Unpooled.wrappedBuffer(stream);
        int at = 0;
        while (at < stream.length) {
            cuts.add(at + 1);
            cuts.add(at + 3);
            cuts.add(at + 4);
            at += 4 + walk.getInt(at);
        }
        assertEquals(stream.length, at);
        int from = 0;
        for (int cut : cuts) {
            if (cut > from && cut < stream.length) {
                feed(stream, from, cut);
                from = cut;
            }
        }
        feed(stream, from, stream.length);
        assertConversation(sent);
    }

    @Test
    void partialFrameYieldsNothingUntilComplete() {
        byte[] frame = drain(PageFrames.control(alloc, hello()));
        feed(frame, 0, frame.length - 1);
        assertNull(channel.readInbound(), "one byte short: no message yet");
        feed(frame, frame.length - 1, frame.length);
        assertEquals(hello(), channel.readInbound());
    }

    @Test
    void randomChunkingOfManyFrames() {
        SplittableRandom random = new SplittableRandom(7);
        PageDigest sent = PageDigest.ofZeroMemory(GUEST_PAGES);
        List<byte[]> frames = new ArrayList<>();
        List<Integer> firstPages = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            int first = random.nextInt(GUEST_PAGES - 3);
            firstPages.add(first);
            frames.add(drain(PageFrames.pagesFromMemory(alloc, i, new int[] {first, first + 1, first + 2}, 3, memory, sent)));
        }
        byte[] stream = concat(frames.toArray(byte[][]::new));
        int from = 0;
        while (from < stream.length) {
            int to = Math.min(stream.length, from + 1 + random.nextInt(9000));
            feed(stream, from, to);
            from = to;
        }
        PageDigest received = PageDigest.ofZeroMemory(GUEST_PAGES);
        for (int i = 0; i < 40; i++) {
            PageBatch batch = channel.readInbound();
            try {
                assertEquals(i, batch.round());
                for (int j = 0; j < 3; j++) {
                    assertPageData(batch, j, firstPages.get(i) + j);
                }
                recordReceived(batch, received);
            } finally {
                batch.release();
            }
        }
        assertNull(channel.readInbound());
        assertEquals(sent.value(), received.value());
    }

    // ---- errors ------------------------------------------------------------------------------

    private <T extends Throwable> T assertFeedFails(Class<T> type, byte[] bytes) {
        T error = assertThrows(type, () -> feed(bytes));
        assertNull(channel.readInbound(), "nothing decoded from a bad frame");
        return error;
    }

    @Test
    void unknownTypeIsCorrupt() {
        CorruptedFrameException e = assertFeedFails(CorruptedFrameException.class, rawFrame(9, 1, 2, 3));
        assertTrue(e.getMessage().contains("unknown frame type 9"), e.getMessage());
        assertFeedFails(CorruptedFrameException.class, rawFrame(0));
        assertFeedFails(CorruptedFrameException.class, rawFrame(-1));
    }

    @Test
    void emptyFrameIsCorrupt() {
        CorruptedFrameException e = assertFeedFails(CorruptedFrameException.class, rawFrame(new byte[0]));
        assertTrue(e.getMessage().contains("empty"), e.getMessage());
    }

    /** The length field is unsigned to the framing: a "negative" int is a huge length, refused at once. */
    @Test
    void negativeLookingLengthIsTooLong() {
        assertFeedFails(TooLongFrameException.class, new byte[] {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFE, 1});
    }

    @ParameterizedTest(name = "{0} pages of data for a declared count of 2")
    @ValueSource(ints = {0, 1, 3})
    void pagesCountNotMatchingLengthIsCorrupt(int dataPages) {
        int extra = 2 * PageStreamFormat.INDEX_SIZE + dataPages * PAGE;
        CorruptedFrameException e = assertFeedFails(CorruptedFrameException.class,
                batchFrame(PageStreamFormat.PAGES, 0, 2, extra));
        assertTrue(e.getMessage().contains("PAGES"), e.getMessage());
    }

    @Test
    void pagesWithOneByteTooManyOrTooFewIsCorrupt() {
        int exact = PageStreamFormat.INDEX_SIZE + PAGE;
        assertFeedFails(CorruptedFrameException.class, batchFrame(PageStreamFormat.PAGES, 0, 1, exact - 1));
        assertFeedFails(CorruptedFrameException.class, batchFrame(PageStreamFormat.PAGES, 0, 1, exact + 1));
        // and the exact size is fine, so the two above failed on the length alone
        channel.writeInbound(inputBuffer(batchFrame(PageStreamFormat.PAGES, 0, 1, exact)));
        PageBatch batch = channel.readInbound();
        assertEquals(1, batch.count());
        batch.release();
    }

    private ByteBuf inputBuffer(byte[] bytes) {
        ByteBuf in = alloc.buffer(bytes.length).writeBytes(bytes);
        inputs.add(in);
        return in;
    }

    @Test
    void negativeCountIsCorrupt() {
        assertFeedFails(CorruptedFrameException.class, batchFrame(PageStreamFormat.PAGES, 0, -1, 0));
        assertFeedFails(CorruptedFrameException.class, batchFrame(PageStreamFormat.ZERO_PAGES, 0, -1, 0));
        assertFeedFails(CorruptedFrameException.class, batchFrame(PageStreamFormat.PAGES, 0, Integer.MIN_VALUE, 0));
    }

    @Test
    void countAboveTheMaximumIsCorrupt() {
        assertFeedFails(CorruptedFrameException.class,
                batchFrame(PageStreamFormat.PAGES, 0, PageStreamFormat.MAX_PAGES_PER_FRAME + 1, 0));
        assertFeedFails(CorruptedFrameException.class,
                batchFrame(PageStreamFormat.ZERO_PAGES, 0, PageStreamFormat.MAX_ZERO_PAGES_PER_FRAME + 1,
                        (PageStreamFormat.MAX_ZERO_PAGES_PER_FRAME + 1) * PageStreamFormat.INDEX_SIZE));
        // a count whose byte size overflows int must not sneak past the length check
        assertFeedFails(CorruptedFrameException.class, batchFrame(PageStreamFormat.PAGES, 0, Integer.MAX_VALUE, 0));
    }

    @Test
    void zeroPagesCountNotMatchingLengthIsCorrupt() {
        assertFeedFails(CorruptedFrameException.class, batchFrame(PageStreamFormat.ZERO_PAGES, 0, 3, 8));
        assertFeedFails(CorruptedFrameException.class, batchFrame(PageStreamFormat.ZERO_PAGES, 0, 1, 5));
    }

    @Test
    void batchFrameTooShortForItsHeaderIsCorrupt() {
        assertFeedFails(CorruptedFrameException.class, rawFrame(PageStreamFormat.PAGES));
        assertFeedFails(CorruptedFrameException.class, rawFrame(PageStreamFormat.PAGES, 0, 0, 0, 0, 0, 0, 0));
        assertFeedFails(CorruptedFrameException.class, rawFrame(PageStreamFormat.ZERO_PAGES, 0, 0, 0));
    }

    @Test
    void garbageProtobufIsCorrupt() {
        // field 1 (hello), length 5, but only one byte follows
        assertFeedFails(CorruptedFrameException.class, rawFrame(PageStreamFormat.CONTROL, 0x0A, 0x05, 0x01));
        // wire type 7 does not exist
        assertFeedFails(CorruptedFrameException.class, rawFrame(PageStreamFormat.CONTROL, 0x0F, 0x00));
        // a varint that never ends
        assertFeedFails(CorruptedFrameException.class, rawFrame(PageStreamFormat.CONTROL,
                0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF));
    }

    @Test
    void oversizedControlIsCorrupt() {
        byte[] body = new byte[PageStreamFormat.TYPE_FIELD + PageStreamFormat.MAX_CONTROL_BYTES + 1];
        body[0] = PageStreamFormat.CONTROL;
        assertFeedFails(CorruptedFrameException.class, rawFrame(body));
    }

    @Test
    void lengthAboveTheCapFailsFastOnTheLengthFieldAlone() {
        ByteBuf buf = io.netty.buffer.Unpooled.buffer(4).writeInt(PageStreamFormat.MAX_FRAME_BODY + 1);
        byte[] lengthOnly = drain(buf);
        assertFeedFails(TooLongFrameException.class, lengthOnly);
        byte[] huge = {0x7F, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF};
        EmbeddedChannel other = new EmbeddedChannel(new PageStreamFraming(), new PageStreamDecoder());
        other.config().setAllocator(alloc);
        ByteBuf in = inputBuffer(huge);
        assertThrows(TooLongFrameException.class, () -> other.writeInbound(in));
        assertFalse(other.finishAndReleaseAll());
    }

    @Test
    void afterATooLongFrameTheStreamResynchronises() {
        // fail fast on the length, then skip the body as it arrives, then decode the next frame
        int body = PageStreamFormat.MAX_FRAME_BODY + 1;
        ByteBuf length = io.netty.buffer.Unpooled.buffer(4).writeInt(body);
        assertFeedFails(TooLongFrameException.class, drain(length));
        byte[] junk = new byte[64 * 1024];
        for (int left = body; left > 0; left -= junk.length) {
            feed(junk, 0, Math.min(left, junk.length)); // discarded silently
            assertNull(channel.readInbound());
        }
        feed(drain(PageFrames.control(alloc, hello())));
        assertEquals(hello(), channel.readInbound());
    }

    @Test
    void errorInOneFrameDoesNotLoseTheFramesBeforeIt() {
        byte[] stream = concat(drain(PageFrames.control(alloc, hello())), rawFrame(42));
        assertThrows(CorruptedFrameException.class, () -> feed(stream));
        assertEquals(hello(), channel.readInbound());
        assertNull(channel.readInbound());
    }

    @Test
    void pagesBatchMayBeReleasedLaterAndIndependently() {
        // two batches from one input buffer: each holds its own reference
        PageDigest sent = PageDigest.ofZeroMemory(GUEST_PAGES);
        feed(concat(drain(PageFrames.pagesFromMemory(alloc, 0, new int[] {1}, 1, memory, sent)),
                drain(PageFrames.pagesFromMemory(alloc, 0, new int[] {2}, 1, memory, sent))));
        PageBatch a = channel.readInbound();
        PageBatch b = channel.readInbound();
        // both are retained slices of one cumulation: each batch is one reference to it
        assertEquals(2, a.refCnt());
        assertFalse(a.release(), "b still holds the shared buffer");
        assertPageData(b, 0, 2); // still readable after the other was released
        assertTrue(b.release(), "the last batch frees the buffer");
        assertEquals(0, inputs.get(0).refCnt());
    }

    @Test
    void controlEncoderPassesByteBufsThrough() {
        ByteBuf ready = PageFrames.zeroPages(alloc, 1, new int[] {4}, 1);
        assertTrue(channel.writeOutbound(ready));
        ByteBuf out = channel.readOutbound();
        assertTrue(out == ready, "pre-built frames are written untouched");
        inputs.add(out);
        channel.writeInbound(out);
        ZeroPageBatch batch = channel.readInbound();
        assertArrayEquals(new int[] {4}, batch.pages());
    }

    // ---- frame builders on bad input -------------------------------------------------------

    @Test
    void pagesReleasesItsBufferWhenAPageIndexIsOutOfRange() {
        TrackingAllocator local = new TrackingAllocator();
        PageDigest sent = PageDigest.ofZeroMemory(GUEST_PAGES);
        long before = sent.value();
        assertThrows(IndexOutOfBoundsException.class,
                () -> PageFrames.pagesFromMemory(local, 0, new int[] {1, GUEST_PAGES}, 2, memory, sent));
        assertThrows(IndexOutOfBoundsException.class,
                () -> PageFrames.pagesFromMemory(local, 0, new int[] {1}, 2, memory, sent));
        assertEquals(0, local.allocatedCount(), "bad input is refused before allocating");
        local.assertAllReleased();
        assertEquals(before, sent.value(), "a frame that was never built must not count in the digest");
    }

    @Test
    void zeroPagesReleasesItsBufferWhenCountExceedsTheArray() {
        TrackingAllocator local = new TrackingAllocator();
        assertThrows(IndexOutOfBoundsException.class, () -> PageFrames.zeroPages(local, 0, new int[] {1}, 2));
        local.assertAllReleased();
    }
}
