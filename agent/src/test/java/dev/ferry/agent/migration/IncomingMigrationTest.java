package dev.ferry.agent.migration;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.ferry.common.memory.GuestMemory;
import dev.ferry.common.memory.PageDigest;
import dev.ferry.common.memory.PageHash;
import dev.ferry.common.wire.PageBatch;
import dev.ferry.common.wire.PageFrames;
import dev.ferry.common.wire.PageStreamDecoder;
import dev.ferry.common.wire.PageStreamFormat;
import dev.ferry.common.wire.PageStreamFraming;
import dev.ferry.common.wire.ZeroPageBatch;
import dev.ferry.proto.v1.ChannelEnd;
import dev.ferry.proto.v1.Commit;
import dev.ferry.proto.v1.Control;
import dev.ferry.proto.v1.DeviceState;
import dev.ferry.proto.v1.GuestSpec;
import dev.ferry.proto.v1.Hello;
import dev.ferry.proto.v1.StreamErrorCode;
import dev.ferry.proto.v1.Sync;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.function.Executable;

/**
 * The destination's protocol logic, driven directly: a "source" memory and digest build real
 * frames, the codec decodes them, and fakes stand in for the channels and the guest host.
 *
 * <p>Memory is 256 pages (four bitmap words), so with two channels words 0 and 2 (pages
 * 0..63, 128..191) belong to channel 0 and words 1 and 3 (64..127, 192..255) to channel 1.
 */
@Timeout(10)
class IncomingMigrationTest {
    private static final int PAGES = 256;
    private static final long BYTES = (long) PAGES * GuestMemory.PAGE_SIZE;
    private static final String TICKET = "t-0123456789";
    private static final GuestSpec SPEC = GuestSpec.newBuilder().setName("g").setMemoryBytes(BYTES).setVcpus(2).build();
    private static final List<byte[]> VCPUS = List.of(new byte[] {1, 2, 3}, new byte[] {4, 5});

    /** A channel as the destination sees it: what it sent, whether it failed or closed. */
    static final class FakeSink implements ControlSink {
        final List<Control> sent = new ArrayList<>();
        final List<StreamException> failures = new ArrayList<>();
        int closes;

        @Override
        public void send(Control message) {
            sent.add(message);
        }

        @Override
        public void fail(StreamException error) {
            failures.add(error);
            closes++;
        }

        @Override
        public void close() {
            closes++;
        }

        List<Control.BodyCase> kinds() {
            return sent.stream().map(Control::getBodyCase).toList();
        }
    }

    /** The standby guest: records what it was given and asked; discarding frees its memory, as a real one does. */
    static final class FakeGuest implements IncomingGuest {
        private final GuestMemory memory;
        int loads;
        int calls;
        int discards;
        List<byte[]> vcpuStates;
        RuntimeException loadFailure;
        RuntimeException failure;

        FakeGuest(GuestMemory memory) {
            this.memory = memory;
        }

        @Override
        public void load(List<byte[]> states, dev.ferry.proto.v1.VnicState vnic) {
            if (loadFailure != null) {
                throw loadFailure;
            }
            loads++;
            vcpuStates = states;
        }

        @Override
        public void activate() {
            calls++;
            if (failure != null) {
                throw failure;
            }
        }

        @Override
        public void discard() {
            discards++;
            memory.close();
        }
    }

    private GuestMemory source;
    private PageDigest sent;
    private GuestMemory destination;
    private FakeGuest activator;
    private List<IncomingMigration> finished;
    private IncomingMigration migration;
    private final long[] sentOnChannel = new long[2];

    @BeforeEach
    void setUp() {
        source = GuestMemory.allocate(BYTES);
        sent = PageDigest.ofZeroMemory(PAGES);
        destination = GuestMemory.allocate(BYTES);
        activator = new FakeGuest(destination);
        finished = new ArrayList<>();
        migration = new IncomingMigration("m1", TICKET, SPEC, destination, activator, finished::add);
    }

    @AfterEach
    void tearDown() {
        source.close();
        if (migration.state() != IncomingState.DISCARDED) {
            destination.close();  // the fake guest owns it but never ran
        }
    }

    // ---- helpers ------------------------------------------------------------------------

    private static Hello hello(int index, int count) {
        return Hello.newBuilder().setProtocolVersion(PageStreamFormat.PROTOCOL_VERSION).setMigrationId("m1")
                .setTicket(TICKET).setChannelIndex(index).setChannelCount(count).setMemoryBytes(BYTES).build();
    }

    /** Both channels attached; returns their sinks. */
    private FakeSink[] attachBoth() throws StreamException {
        FakeSink[] sinks = {new FakeSink(), new FakeSink()};
        assertEquals(0, migration.attach(hello(0, 2), sinks[0]));
        assertEquals(1, migration.attach(hello(1, 2), sinks[1]));
        return sinks;
    }

    /** Decodes one whole frame with the real codec. */
    private static Object decode(ByteBuf frame) {
        EmbeddedChannel channel = new EmbeddedChannel(new PageStreamFraming(), new PageStreamDecoder());
        try {
            assertTrue(channel.writeInbound(frame));
            Object message = channel.readInbound();
            assertNull(channel.readInbound());
            return message;
        } finally {
            channel.finishAndReleaseAll();
        }
    }

    /** Fills a source page with a pattern unique to (page, version): a tracked guest write. */
    private void write(int page, int version) {
        source.fillPage(page, page * 1_000_003L + version * 7_919L + 1, 0x9E3779B97F4A7C15L);
    }

    /** Sends source pages as one PAGES frame on {@code channel}, recording them in the source digest. */
    private void sendPages(int channel, int round, int... pages) throws StreamException {
        ByteBuf frame = PageFrames.pagesFromMemory(ByteBufAllocator.DEFAULT, round, pages, pages.length, source, sent);
        PageBatch batch = (PageBatch) decode(frame);
        try {
            migration.applyPages(channel, batch);
        } finally {
            batch.release();
        }
        sentOnChannel[channel] += pages.length;
    }

    /** Sends pages as a ZERO_PAGES frame; the source records them as zero pages. */
    private void sendZeroPages(int channel, int round, int... pages) throws StreamException {
        ZeroPageBatch batch = (ZeroPageBatch) decode(PageFrames.zeroPages(ByteBufAllocator.DEFAULT, round, pages, pages.length));
        for (int page : pages) {
            sent.record(page, PageHash.ofZeroPage(page));
        }
        migration.applyZeroPages(channel, batch);
        sentOnChannel[channel] += pages.length;
    }

    /** A hand-made PAGES batch: one page, every byte {@code fill}; the caller releases it. */
    private static PageBatch rawBatch(int page, byte fill) {
        ByteBuf body = Unpooled.buffer(PageStreamFormat.INDEX_SIZE + GuestMemory.PAGE_SIZE);
        body.writeInt(page);
        for (int i = 0; i < GuestMemory.PAGE_SIZE; i++) {
            body.writeByte(fill);
        }
        return new PageBatch(0, 1, body);
    }

    private void applyRaw(int channel, int page, byte fill) throws StreamException {
        PageBatch batch = rawBatch(page, fill);
        try {
            migration.applyPages(channel, batch);
        } finally {
            assertTrue(batch.release());
        }
    }

    private static Control channelEnd(int channel, long pages) {
        return Control.newBuilder().setChannelEnd(ChannelEnd.newBuilder().setChannelIndex(channel).setPages(pages)).build();
    }

    private Control deviceState(long digest) {
        DeviceState.Builder state = DeviceState.newBuilder().setSpec(SPEC).setMemoryDigest(digest)
                .setPagesTotal(sentOnChannel[0] + sentOnChannel[1]);
        VCPUS.forEach(v -> state.addVcpuState(ByteString.copyFrom(v)));
        return Control.newBuilder().setDeviceState(state).build();
    }

    private static Control commit() {
        return Control.newBuilder().setCommit(Commit.getDefaultInstance()).build();
    }

    /** Some data pages and zero pages on both channels, the way a source would stripe them. */
    /** Both channels end, each with the number of pages it carried. */
    private void endBothChannels() throws StreamException {
        migration.onControl(0, channelEnd(0, sentOnChannel[0]));
        migration.onControl(1, channelEnd(1, sentOnChannel[1]));
    }

    private void copyRoundZero() throws StreamException {
        for (int page : new int[] {0, 1, 2, 63, 64, 100, 127, 130, 200, 255}) {
            write(page, 0);
        }
        sendPages(0, 0, 0, 1, 2, 63);
        sendPages(0, 0, 130);
        sendPages(1, 0, 64, 100, 127);
        sendPages(1, 0, 200, 255);
        sendZeroPages(0, 0, 3, 4, 128);
        sendZeroPages(1, 0, 65, 192);
    }

    /** Copies, ends both channels and sends the matching device state: READY. */
    private FakeSink[] toReady() throws StreamException {
        FakeSink[] sinks = attachBoth();
        copyRoundZero();
        endBothChannels();
        migration.onControl(0, deviceState(sent.value()));
        assertEquals(IncomingState.READY, migration.state());
        return sinks;
    }

    private static StreamException refused(StreamErrorCode code, Executable body) {
        StreamException e = assertThrows(StreamException.class, body);
        assertEquals(code, e.code(), e.getMessage());
        return e;
    }

    private void assertMemoryEqualsSource() {
        for (int page = 0; page < PAGES; page++) {
            assertEquals(-1, source.page(page).mismatch(destination.page(page)), "page " + page + " differs");
        }
    }

    private static void assertClosed(GuestMemory memory) {
        assertThrows(IllegalStateException.class, () -> memory.segment().get(ValueLayout.JAVA_BYTE, 0));
    }

    // ---- Hello --------------------------------------------------------------------------

    @Test
    void theRightTicketIsAcknowledgedAndReceivingStarts() throws StreamException {
        assertEquals(IncomingState.RESERVED, migration.state());
        FakeSink first = new FakeSink();
        assertEquals(0, migration.attach(hello(0, 2), first));
        assertEquals(IncomingState.RECEIVING, migration.state());
        assertEquals(List.of(Control.BodyCase.HELLO_ACK), first.kinds());
        FakeSink second = new FakeSink();
        assertEquals(1, migration.attach(hello(1, 2), second));
        assertEquals(List.of(Control.BodyCase.HELLO_ACK), second.kinds());
        assertEquals(List.of(Control.BodyCase.HELLO_ACK), first.kinds(), "each channel is answered on its own sink");
    }

    @Test
    void aWrongTicketIsRefused() {
        FakeSink sink = new FakeSink();
        for (String ticket : List.of("t-0123456788", "t-012345678", TICKET + "9", "")) {
            Hello bad = hello(0, 2).toBuilder().setTicket(ticket).build();
            refused(StreamErrorCode.BAD_TICKET, () -> migration.attach(bad, sink));
        }
        assertEquals(IncomingState.RESERVED, migration.state());
        assertTrue(sink.sent.isEmpty(), "nothing answered to a wrong ticket");
    }

    @Test
    void aWrongMemorySizeIsABadFrame() {
        Hello bigger = hello(0, 2).toBuilder().setMemoryBytes(BYTES + GuestMemory.PAGE_SIZE).build();
        StreamException e = refused(StreamErrorCode.BAD_FRAME, () -> migration.attach(bigger, new FakeSink()));
        assertTrue(e.getMessage().contains(Long.toString(BYTES)), e.getMessage());
        assertEquals(IncomingState.RESERVED, migration.state());
    }

    @Test
    void badChannelCountsAndIndicesAreBadFrames() throws StreamException {
        refused(StreamErrorCode.BAD_FRAME, () -> migration.attach(hello(0, 0), new FakeSink()));
        refused(StreamErrorCode.BAD_FRAME, () -> migration.attach(hello(0, 17), new FakeSink()));
        refused(StreamErrorCode.BAD_FRAME, () -> migration.attach(hello(2, 2), new FakeSink()));
        refused(StreamErrorCode.BAD_FRAME, () -> migration.attach(hello(-1, 2), new FakeSink()));
        assertEquals(IncomingState.RESERVED, migration.state());
        migration.attach(hello(0, 16), new FakeSink());
        refused(StreamErrorCode.BAD_FRAME, () -> migration.attach(hello(1, 2), new FakeSink()));  // disagrees with 16
    }

    @Test
    void aDuplicateChannelIndexIsABadFrame() throws StreamException {
        FakeSink first = new FakeSink();
        migration.attach(hello(0, 2), first);
        FakeSink duplicate = new FakeSink();
        StreamException e = refused(StreamErrorCode.BAD_FRAME, () -> migration.attach(hello(0, 2), duplicate));
        assertTrue(e.getMessage().contains("duplicate"), e.getMessage());
        assertTrue(duplicate.sent.isEmpty());
        assertEquals(IncomingState.RECEIVING, migration.state());
    }

    @Test
    void aSpentTicketIsRefused() throws StreamException {
        toReady();
        refused(StreamErrorCode.BAD_TICKET, () -> migration.attach(hello(1, 2), new FakeSink()));
        migration.discard("test");
        StreamException e = refused(StreamErrorCode.BAD_TICKET, () -> migration.attach(hello(0, 2), new FakeSink()));
        assertTrue(e.getMessage().contains("spent"), e.getMessage());
    }

    // ---- pages --------------------------------------------------------------------------

    @Test
    void pagesLandByteForByte() throws StreamException {
        attachBoth();
        copyRoundZero();
        assertMemoryEqualsSource();
    }

    @Test
    void aPageSentAgainReplacesItsOldVersion() throws StreamException {
        attachBoth();
        copyRoundZero();
        write(1, 1);
        write(100, 1);
        source.segment().asSlice(130L * GuestMemory.PAGE_SIZE, GuestMemory.PAGE_SIZE).fill((byte) 0);
        write(4, 1);  // was sent as a zero page
        sendPages(0, 1, 1, 4);
        sendPages(1, 1, 100);
        sendZeroPages(0, 1, 130);
        assertMemoryEqualsSource();
        endBothChannels();
        migration.onControl(0, deviceState(sent.value()));
        assertEquals(IncomingState.READY, migration.state(), "the digest follows replaced pages");
    }

    @Test
    void aPageOutOfRangeIsABadFrame() throws StreamException {
        attachBoth();
        StreamException e = refused(StreamErrorCode.BAD_FRAME, () -> applyRaw(0, PAGES, (byte) 7));
        assertTrue(e.getMessage().contains("out of range"), e.getMessage());
        refused(StreamErrorCode.BAD_FRAME, () -> applyRaw(0, -1, (byte) 7));
        refused(StreamErrorCode.BAD_FRAME, () -> applyRaw(1, Integer.MAX_VALUE, (byte) 7));
        refused(StreamErrorCode.BAD_FRAME,
                () -> migration.applyZeroPages(0, new ZeroPageBatch(0, new int[] {PAGES + 64})));
    }

    @Test
    void aPageOnTheWrongChannelIsABadFrame() throws StreamException {
        attachBoth();
        int page = 64;  // word 1: channel 1
        assertEquals(1, Striping.channelOf(page, 2));
        StreamException e = refused(StreamErrorCode.BAD_FRAME, () -> applyRaw(0, page, (byte) 7));
        assertTrue(e.getMessage().contains("belongs to channel 1"), e.getMessage());
        assertEquals(0, destination.segment().get(ValueLayout.JAVA_BYTE, (long) page * GuestMemory.PAGE_SIZE),
                "a refused page is not written");
        refused(StreamErrorCode.BAD_FRAME, () -> applyRaw(1, 0, (byte) 7));
        write(5, 0);
        sendPages(0, 0, 5);
        refused(StreamErrorCode.BAD_FRAME, () -> migration.applyZeroPages(1, new ZeroPageBatch(0, new int[] {5})));
        assertEquals(-1, source.page(5).mismatch(destination.page(5)), "a refused zero page does not clear it");
    }

    // ---- end of stream, digest, READY ----------------------------------------------------

    @Test
    void channelEndWithAWrongPageCountIsABadFrame() throws StreamException {
        attachBoth();
        copyRoundZero();
        refused(StreamErrorCode.BAD_FRAME, () -> migration.onControl(0, channelEnd(0, sentOnChannel[0] + 1)));
        refused(StreamErrorCode.BAD_FRAME, () -> migration.onControl(1, channelEnd(1, sentOnChannel[1] - 1)));
        migration.onControl(0, channelEnd(0, sentOnChannel[0]));
        refused(StreamErrorCode.BAD_FRAME, () -> migration.onControl(0, channelEnd(0, sentOnChannel[0])));  // twice
        assertEquals(IncomingState.RECEIVING, migration.state());
    }

    @Test
    void allChannelEndsAndTheMatchingDigestAnswerReadyOnChannelZero() throws StreamException {
        FakeSink[] sinks = toReady();
        assertEquals(List.of(Control.BodyCase.HELLO_ACK, Control.BodyCase.READY), sinks[0].kinds());
        assertEquals(List.of(Control.BodyCase.HELLO_ACK), sinks[1].kinds());
        assertEquals(0, activator.calls, "READY holds the guest, it does not run it");
        assertTrue(finished.isEmpty());
        assertMemoryEqualsSource();
    }

    @Test
    void deviceStateFirstThenTheLastChannelEndAnswersReady() throws StreamException {
        FakeSink[] sinks = attachBoth();
        copyRoundZero();
        migration.onControl(1, channelEnd(1, sentOnChannel[1]));
        migration.onControl(0, deviceState(sent.value()));
        assertEquals(IncomingState.RECEIVING, migration.state(), "channel 0 has not ended");
        assertEquals(List.of(Control.BodyCase.HELLO_ACK), sinks[0].kinds());
        migration.onControl(0, channelEnd(0, sentOnChannel[0]));
        assertEquals(IncomingState.READY, migration.state());
        assertEquals(List.of(Control.BodyCase.HELLO_ACK, Control.BodyCase.READY), sinks[0].kinds());
    }

    @Test
    void deviceStateComesOnceOnChannelZero() throws StreamException {
        attachBoth();
        refused(StreamErrorCode.BAD_FRAME, () -> migration.onControl(1, deviceState(sent.value())));
        migration.onControl(0, deviceState(sent.value()));
        refused(StreamErrorCode.BAD_FRAME, () -> migration.onControl(0, deviceState(sent.value())));
    }

    @Test
    void aDigestMismatchIsRefusedAndNotReady() throws StreamException {
        FakeSink[] sinks = attachBoth();
        copyRoundZero();
        endBothChannels();
        StreamException e = refused(StreamErrorCode.DIGEST_MISMATCH, () -> migration.onControl(0, deviceState(sent.value() + 1)));
        assertTrue(e.getMessage().contains("digest"), e.getMessage());
        assertEquals(IncomingState.RECEIVING, migration.state());
        assertEquals(List.of(Control.BodyCase.HELLO_ACK), sinks[0].kinds(), "no READY");
    }

    @Test
    void bytesThatChangedAfterTheSourceHashedThemAreCaught() throws StreamException {
        attachBoth();
        write(7, 0);
        // zero-copy: the frame reads guest memory when it is written, here when it is decoded
        ByteBuf frame = PageFrames.pagesFromMemory(ByteBufAllocator.DEFAULT, 0, new int[] {7}, 1, source, sent);
        write(7, 1);
        PageBatch batch = (PageBatch) decode(frame);
        try {
            migration.applyPages(0, batch);
        } finally {
            batch.release();
        }
        migration.onControl(0, channelEnd(0, 1));
        migration.onControl(1, channelEnd(1, 0));
        refused(StreamErrorCode.DIGEST_MISMATCH, () -> migration.onControl(0, deviceState(sent.value())));
        assertEquals(IncomingState.RECEIVING, migration.state());
    }

    // ---- COMMIT -------------------------------------------------------------------------

    @Test
    void aCommitRightBehindTheDeviceStateActivatesOnceTheMemoryIsVerified() throws StreamException {
        FakeSink[] sinks = attachBoth();
        copyRoundZero();
        migration.onControl(0, channelEnd(0, sentOnChannel[0]));
        migration.onControl(0, deviceState(sent.value()));
        migration.onControl(0, commit());
        assertEquals(IncomingState.RECEIVING, migration.state(), "channel 1 has not ended: nothing verified yet");
        assertEquals(0, activator.calls);
        migration.onControl(1, channelEnd(1, sentOnChannel[1]));
        assertEquals(IncomingState.ACTIVE, migration.state());
        assertEquals(1, activator.calls);
        assertEquals(List.of(Control.BodyCase.HELLO_ACK, Control.BodyCase.READY, Control.BodyCase.ACTIVE), sinks[0].kinds());
        assertMemoryEqualsSource();
        refused(StreamErrorCode.BAD_FRAME, () -> migration.onControl(0, commit()));  // a second COMMIT
        assertEquals(1, activator.calls);
    }

    @Test
    void aSecondCommitBeforeReadyIsABadFrame() throws StreamException {
        attachBoth();
        copyRoundZero();
        migration.onControl(0, commit());
        refused(StreamErrorCode.BAD_FRAME, () -> migration.onControl(0, commit()));
        assertEquals(0, activator.calls);
    }

    @Test
    void aDigestMismatchAfterTheDeviceStateIsToldAsDiscarded() throws StreamException {
        // the source may have sent COMMIT behind the device state: DISCARDED is its licence to resume
        FakeSink[] sinks = attachBoth();
        copyRoundZero();
        endBothChannels();
        StreamException e = refused(StreamErrorCode.DIGEST_MISMATCH, () -> migration.onControl(0, deviceState(sent.value() + 1)));
        migration.fail(0, e);  // what the channel's handler does with it
        refused(StreamErrorCode.BAD_FRAME, () -> migration.onControl(0, commit()));  // the early COMMIT, already on the wire: runs nothing
        assertEquals(IncomingState.DISCARDED, migration.state());
        assertEquals(0, activator.calls);
        assertEquals(1, sinks[0].failures.size());
        StreamException told = sinks[0].failures.getFirst();
        assertEquals(StreamErrorCode.DISCARDED, told.code());
        assertTrue(told.getMessage().contains("DIGEST_MISMATCH"), told.getMessage());
        assertEquals(List.of(Control.BodyCase.HELLO_ACK), sinks[0].kinds(), "no READY");
    }

    @Test
    void anotherChannelFailingAfterAnEarlyCommitTellsChannelZeroDiscarded() throws StreamException {
        FakeSink[] sinks = attachBoth();
        copyRoundZero();
        migration.onControl(0, channelEnd(0, sentOnChannel[0]));
        migration.onControl(0, deviceState(sent.value()));
        migration.onControl(0, commit());
        migration.fail(1, new StreamException(StreamErrorCode.BAD_FRAME, "garbage on channel 1"));
        assertEquals(IncomingState.DISCARDED, migration.state());
        assertEquals(StreamErrorCode.BAD_FRAME, sinks[1].failures.getFirst().code(), "the failing channel hears its own error");
        assertEquals(StreamErrorCode.DISCARDED, sinks[0].failures.getFirst().code(), "the source, waiting on channel 0, hears DISCARDED");
        assertEquals(0, activator.calls);
    }

    @Test
    void aFailureBeforeTheDeviceStateIsToldAsItIsAndThatTheCopyIsGone() throws StreamException {
        FakeSink[] sinks = attachBoth();
        copyRoundZero();
        migration.fail(0, new StreamException(StreamErrorCode.BAD_FRAME, "garbage on channel 0"));
        assertEquals(StreamErrorCode.BAD_FRAME, sinks[0].failures.getFirst().code());
        // a device state and COMMIT may already be on the wire behind the garbage: the source
        // must hear that this copy will never run, or it would have to fence the guest
        assertTrue(sinks[0].failures.getFirst().discarded());
        assertEquals(IncomingState.DISCARDED, migration.state());
        assertEquals(List.of(), sinks[1].failures);
        assertEquals(1, sinks[1].closes);
    }

    @Test
    void aFailureAfterActivationLeavesTheGuestRunning() throws StreamException {
        FakeSink[] sinks = toReady();
        migration.onControl(0, commit());
        migration.fail(0, new StreamException(StreamErrorCode.BAD_FRAME, "late garbage"));
        assertEquals(IncomingState.ACTIVE, migration.state());
        assertEquals(StreamErrorCode.BAD_FRAME, sinks[0].failures.getFirst().code());
        assertFalse(sinks[0].failures.getFirst().discarded(), "the guest runs here: never a licence to resume there");
    }

    @Test
    void commitOnAnotherChannelIsABadFrame() throws StreamException {
        toReady();
        refused(StreamErrorCode.BAD_FRAME, () -> migration.onControl(1, commit()));
        assertEquals(IncomingState.READY, migration.state());
        assertEquals(0, activator.calls);
    }

    @Test
    void commitAfterReadyActivatesTheGuest() throws StreamException {
        FakeSink[] sinks = toReady();
        migration.onControl(0, commit());
        assertEquals(IncomingState.ACTIVE, migration.state());
        assertEquals(1, activator.calls);
        assertEquals(1, activator.loads, "the CPU state was loaded once, at READY");
        assertEquals(VCPUS.size(), activator.vcpuStates.size());
        for (int i = 0; i < VCPUS.size(); i++) {
            assertArrayEquals(VCPUS.get(i), activator.vcpuStates.get(i));
        }
        assertEquals(List.of(Control.BodyCase.HELLO_ACK, Control.BodyCase.READY, Control.BodyCase.ACTIVE), sinks[0].kinds());
        assertEquals(List.of(Control.BodyCase.HELLO_ACK), sinks[1].kinds());
        assertEquals(List.of(migration), finished);
        assertEquals(0, sinks[0].closes + sinks[1].closes);
        refused(StreamErrorCode.BAD_FRAME, () -> migration.onControl(0, commit()));  // a second COMMIT
        assertEquals(1, activator.calls);
    }

    // ---- closing and discarding ---------------------------------------------------------

    @Test
    void aChannelClosingWhileReceivingDiscards() throws StreamException {
        FakeSink[] sinks = attachBoth();
        copyRoundZero();
        migration.channelClosed(1);
        assertEquals(IncomingState.DISCARDED, migration.state());
        assertTrue(migration.discardReason().contains("channel 1 closed before COMMIT"), migration.discardReason());
        assertClosed(destination);
        assertEquals(1, sinks[0].closes);
        assertEquals(1, sinks[1].closes);
        assertEquals(List.of(migration), finished);
        assertEquals(0, activator.calls);
    }

    @Test
    void aChannelClosingWhenReadyDiscards() throws StreamException {
        FakeSink[] sinks = toReady();
        migration.channelClosed(0);
        assertEquals(IncomingState.DISCARDED, migration.state());
        assertTrue(migration.discardReason().contains("channel 0"), migration.discardReason());
        assertClosed(destination);
        assertEquals(1, sinks[0].closes);
        assertEquals(1, sinks[1].closes);
        assertEquals(List.of(migration), finished);
        refused(StreamErrorCode.BAD_FRAME, () -> migration.onControl(0, commit()));
        assertEquals(0, activator.calls, "a COMMIT after the discard runs nothing");
    }

    @Test
    void aChannelClosingAfterActivationChangesNothing() throws StreamException {
        FakeSink[] sinks = toReady();
        migration.onControl(0, commit());
        migration.channelClosed(0);
        migration.channelClosed(1);
        migration.discard("late error");
        assertEquals(IncomingState.ACTIVE, migration.state());
        assertNull(migration.discardReason());
        assertEquals(0, sinks[0].closes + sinks[1].closes);
        assertEquals(1, finished.size());
        destination.writeLong(8, 42);  // the guest keeps its memory
        assertEquals(42, destination.readLong(8));
    }

    @Test
    void discardIsIdempotent() throws StreamException {
        FakeSink[] sinks = attachBoth();
        migration.discard("first");
        migration.discard("second");
        migration.channelClosed(0);
        assertEquals("first", migration.discardReason());
        assertEquals(1, sinks[0].closes);
        assertEquals(1, sinks[1].closes);
        assertEquals(1, finished.size());
        assertClosed(destination);
    }

    @Test
    void discardBeforeAnyChannelFreesTheReservation() {
        migration.discard("no source connected");
        assertEquals(IncomingState.DISCARDED, migration.state());
        assertClosed(destination);
        assertEquals(List.of(migration), finished);
    }

    @Test
    void pagesAfterADiscardAreAborted() throws StreamException {
        attachBoth();
        migration.discard("test");
        refused(StreamErrorCode.ABORTED, () -> applyRaw(0, 0, (byte) 1));
        StreamException e = refused(StreamErrorCode.ABORTED,
                () -> migration.applyZeroPages(1, new ZeroPageBatch(0, new int[] {64})));
        assertTrue(e.getMessage().contains("test"), "says why: " + e.getMessage());
    }

    // ---- Sync ---------------------------------------------------------------------------

    @Test
    void syncIsAnsweredWithTheSameRoundOnTheSameChannel() throws StreamException {
        FakeSink[] sinks = attachBoth();
        migration.onControl(1, Control.newBuilder().setSync(Sync.newBuilder().setRound(7)).build());
        assertEquals(List.of(Control.BodyCase.HELLO_ACK), sinks[0].kinds());
        assertEquals(List.of(Control.BodyCase.HELLO_ACK, Control.BodyCase.SYNC_ACK), sinks[1].kinds());
        assertEquals(7, sinks[1].sent.getLast().getSyncAck().getRound());
        migration.onControl(0, Control.newBuilder().setSync(Sync.newBuilder().setRound(3)).build());
        assertEquals(3, sinks[0].sent.getLast().getSyncAck().getRound());
    }

    @Test
    void unexpectedControlMessagesAreBadFrames() throws StreamException {
        attachBoth();
        refused(StreamErrorCode.BAD_FRAME, () -> migration.onControl(0, Control.newBuilder().setHello(hello(0, 2)).build()));
        refused(StreamErrorCode.BAD_FRAME, () -> migration.onControl(0, Control.getDefaultInstance()));
    }

    // ---- found bugs ---------------------------------------------------------------------

    @Test
    void pagesAfterActivationNeverTouchTheRunningGuest() throws StreamException {
        toReady();
        migration.onControl(0, commit());
        long before = destination.readLong(0);
        refused(StreamErrorCode.BAD_FRAME, () -> applyRaw(0, 0, (byte) 0x5A));
        refused(StreamErrorCode.BAD_FRAME, () -> migration.applyZeroPages(0, new ZeroPageBatch(0, new int[] {1})));
        assertEquals(before, destination.readLong(0), "the running guest's page 0 was overwritten");
        assertEquals(-1, source.page(1).mismatch(destination.page(1)), "the running guest's page 1 was zeroed");
    }

    @Test
    void pagesAfterReadyAreRefusedAndMemoryStaysVerified() throws StreamException {
        toReady();
        refused(StreamErrorCode.BAD_FRAME, () -> applyRaw(1, 64, (byte) 0x5A));
        assertEquals(-1, source.page(64).mismatch(destination.page(64)), "verified page 64 was overwritten before COMMIT");
    }

    @Test
    void aFailedActivationDoesNotLeakTheReservation() throws StreamException {
        toReady();
        activator.failure = new IllegalArgumentException("bad vcpu state");
        assertThrows(Exception.class, () -> migration.onControl(0, commit()));
        assertEquals(List.of(migration), finished, "the reservation must be released");
        assertEquals(IncomingState.DISCARDED, migration.state());
        assertEquals(1, activator.discards, "the standby copy is freed");
    }

    @Test
    void aCpuStateThatDoesNotFitIsRefusedBeforeReady() throws StreamException {
        activator.loadFailure = new IllegalArgumentException("CPU state must be 32 bytes");
        FakeSink[] sinks = attachBoth();
        copyRoundZero();
        endBothChannels();
        StreamException e = refused(StreamErrorCode.BAD_FRAME, () -> migration.onControl(0, deviceState(sent.value())));
        assertTrue(e.getMessage().contains("device state refused"), e.getMessage());
        assertTrue(!sinks[0].kinds().contains(Control.BodyCase.READY), "no READY for a state that cannot run");
        assertEquals(IncomingState.RECEIVING, migration.state(), "the handler discards it on the error");
    }

    @Test
    void aRefusedBatchIsStillTheCallersToRelease() throws StreamException {
        attachBoth();
        PageBatch batch = rawBatch(PAGES, (byte) 1);
        assertThrows(StreamException.class, () -> migration.applyPages(0, batch));
        assertEquals(1, batch.refCnt(), "applyPages does not release: the handler does");
        assertTrue(batch.release());
    }
}
