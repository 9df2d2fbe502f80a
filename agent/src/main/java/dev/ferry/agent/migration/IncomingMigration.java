package dev.ferry.agent.migration;

import com.google.protobuf.ByteString;
import dev.ferry.common.lifecycle.Lifecycle;
import dev.ferry.common.memory.GuestMemory;
import dev.ferry.common.memory.PageDigest;
import dev.ferry.common.memory.PageHash;
import dev.ferry.common.wire.PageBatch;
import dev.ferry.common.wire.ZeroPageBatch;
import dev.ferry.proto.v1.Active;
import dev.ferry.proto.v1.Control;
import dev.ferry.proto.v1.DeviceState;
import dev.ferry.proto.v1.GuestSpec;
import dev.ferry.proto.v1.Hello;
import dev.ferry.proto.v1.HelloAck;
import dev.ferry.proto.v1.Ready;
import dev.ferry.proto.v1.StreamErrorCode;
import dev.ferry.proto.v1.SyncAck;
import java.lang.foreign.MemorySegment;
import java.security.MessageDigest;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The destination side of one migration: checks each channel's ticket, writes received
 * pages straight into the reserved memory, and on the source's final word checks the
 * digest, answers READY, and activates the guest on COMMIT. Plain logic: the Netty handler
 * only forwards decoded frames here.
 *
 * <p>Pages of one channel arrive on one thread and channels own disjoint pages, so page
 * writes need no lock; control events are synchronized, which also publishes each
 * channel's page writes before its {@code ChannelEnd} is counted.
 */
public final class IncomingMigration {
    private static final Logger log = LoggerFactory.getLogger(IncomingMigration.class);

    private final String id;
    private final byte[] ticket;
    private final GuestSpec spec;
    private final GuestMemory memory;
    private final MemorySegment segment;
    private final PageDigest received;
    private final IncomingGuest guest;
    private final Consumer<IncomingMigration> onFinished;
    private final Lifecycle<IncomingState> lifecycle;
    private volatile boolean discarded;
    /** Pages are taken only while RECEIVING: never after the digest was checked. */
    private volatile boolean acceptingPages = true;
    private int channelCount;
    private ControlSink[] sinks;
    private boolean[] ended;
    private long[] pagesReceived;
    private DeviceState deviceState;
    private String discardReason;
    private long deviceStateNanos;
    /**
     * COMMIT came before the memory was verified (the source sends it right behind the device
     * state when nothing stands in its way): activate the moment READY is reached. From then
     * on the source waits for ACTIVE or DISCARDED, so every way this copy ends says which.
     */
    private boolean commitPending;

    /** {@code guest} owns {@code memory}; pages are written into it here until READY. */
    public IncomingMigration(String id, String ticket, GuestSpec spec, GuestMemory memory,
                             IncomingGuest guest, Consumer<IncomingMigration> onFinished) {
        this.id = id;
        this.ticket = ticket.getBytes(StandardCharsets.UTF_8);
        this.spec = spec;
        this.memory = memory;
        this.segment = memory.segment();
        this.received = PageDigest.ofZeroMemory(memory.pageCount());
        this.guest = guest;
        this.onFinished = onFinished;
        this.lifecycle = IncomingState.lifecycle(id);
    }

    public String id() {
        return id;
    }

    public String ticket() {
        return new String(ticket, StandardCharsets.UTF_8);
    }

    public GuestSpec spec() {
        return spec;
    }

    public IncomingState state() {
        return lifecycle.current();
    }

    public synchronized String discardReason() {
        return discardReason;
    }

    /** A channel presents its Hello; returns the channel's index once accepted. */
    public synchronized int attach(Hello hello, ControlSink sink) throws StreamException {
        checkHello(hello);
        if (sinks == null) {
            channelCount = hello.getChannelCount();
            sinks = new ControlSink[channelCount];
            ended = new boolean[channelCount];
            pagesReceived = new long[channelCount];
            lifecycle.transition(IncomingState.RECEIVING);
        }
        int index = hello.getChannelIndex();
        sinks[index] = sink;
        sink.send(Control.newBuilder().setHelloAck(HelloAck.getDefaultInstance()).build());
        return index;
    }

    private void checkHello(Hello hello) throws StreamException {
        if (!MessageDigest.isEqual(ticket, hello.getTicket().getBytes(StandardCharsets.UTF_8))) {
            throw new StreamException(StreamErrorCode.BAD_TICKET, "wrong ticket for migration " + id);
        }
        IncomingState state = lifecycle.current();
        if (state != IncomingState.RESERVED && state != IncomingState.RECEIVING) {
            throw new StreamException(StreamErrorCode.BAD_TICKET, "migration " + id + " is " + state + ": its ticket is spent");
        }
        if (hello.getMemoryBytes() != memory.byteSize()) {
            throw new StreamException(StreamErrorCode.BAD_FRAME, "source guest has " + hello.getMemoryBytes()
                    + " bytes of memory, " + memory.byteSize() + " were reserved");
        }
        int count = hello.getChannelCount();
        if (count < 1 || count > MigrationSettings.MAX_CHANNELS || (sinks != null && count != channelCount)) {
            throw new StreamException(StreamErrorCode.BAD_FRAME, "bad channel count " + count);
        }
        int index = hello.getChannelIndex();
        if (index < 0 || index >= count || (sinks != null && sinks[index] != null)) {
            throw new StreamException(StreamErrorCode.BAD_FRAME, "bad or duplicate channel index " + index);
        }
    }

    /** Copies each page from the received buffers into guest memory (one copy, no allocation per page), then hashes it there. */
    public void applyPages(int channel, PageBatch batch) throws StreamException {
        checkReceiving(channel);
        ReceivedData data = new ReceivedData(batch.content().nioBuffers(batch.dataOffset(0),
                batch.count() * GuestMemory.PAGE_SIZE));
        long digestChange = 0;
        try {
            for (int i = 0; i < batch.count(); i++) {
                int page = checkPage(channel, batch.pageIndex(i));
                data.copyNextPage(memory, (long) page << GuestMemory.PAGE_SHIFT);
                digestChange += landed(page);
                memory.dirtyBitmap().mark(page);  // holds data: the next migration from here must send it
            }
        } finally {
            received.add(digestChange);  // one atomic add per frame, for the pages hashed before any refusal
        }
        pagesReceived[channel] += batch.count();
    }

    /**
     * The memory a PAGES frame of {@code pages} on {@code channel} may be read straight into,
     * or null if it must not be: then it is copied the ordinary way, which refuses it with
     * the reason. Checked before a byte of it lands: pages in range, on their own channel,
     * while the migration still takes pages.
     */
    public GuestMemory placementFor(int channel, int[] pages) {
        if (discarded || !acceptingPages || ended[channel]) {
            return null;
        }
        for (int page : pages) {
            if (!inRange(page) || Striping.channelOf(page, channelCount) != channel) {
                return null;
            }
        }
        return memory;
    }

    /** A frame whose data the socket already wrote into guest memory: hash and count it. */
    public void applyPlaced(int channel, PlacedPages placed) throws StreamException {
        checkReceiving(channel);
        for (int page : placed.pages()) {
            checkPage(channel, page);
        }
        long digestChange = 0;
        for (int page : placed.pages()) {
            digestChange += landed(page);
        }
        received.add(digestChange);  // one atomic add per frame, not one per page
        memory.dirtyBitmap().markPages(placed.pages());  // hold data: the next migration from here must send them
        pagesReceived[channel] += placed.pages().length;
    }

    /** A page's data is whole in guest memory: hash it there (still in cache); returns the digest's change. */
    private long landed(int page) {
        return received.replace(page, PageHash.of(segment, (long) page << GuestMemory.PAGE_SHIFT, page));
    }

    public void applyZeroPages(int channel, ZeroPageBatch batch) throws StreamException {
        checkReceiving(channel);
        for (int page : batch.pages()) {
            checkPage(channel, page);
        }
        long digestChange = 0;
        for (int page : batch.pages()) {
            segment.asSlice((long) page << GuestMemory.PAGE_SHIFT, GuestMemory.PAGE_SIZE).fill((byte) 0);
            digestChange += received.replace(page, PageHash.ofZeroPage(page));
        }
        received.add(digestChange);
        pagesReceived[channel] += batch.pages().length;
    }

    private void checkReceiving(int channel) throws StreamException {
        if (discarded) {
            throw new StreamException(StreamErrorCode.ABORTED, "migration " + id + " was discarded: " + discardReason());
        }
        if (!acceptingPages || ended[channel]) {
            throw new StreamException(StreamErrorCode.BAD_FRAME, "pages on channel " + channel
                    + " after its end or after the memory was verified");
        }
    }

    private int checkPage(int channel, int page) throws StreamException {
        if (!inRange(page)) {
            throw new StreamException(StreamErrorCode.BAD_FRAME, "page index " + page
                    + " out of range 0.." + (memory.pageCount() - 1));
        }
        if (Striping.channelOf(page, channelCount) != channel) {
            throw new StreamException(StreamErrorCode.BAD_FRAME, "page " + page + " arrived on channel "
                    + channel + ", it belongs to channel " + Striping.channelOf(page, channelCount));
        }
        return page;
    }

    private boolean inRange(int page) {
        return page >= 0 && page < memory.pageCount();
    }

    /** A control message after the Hello. */
    public synchronized void onControl(int channel, Control message) throws StreamException {
        switch (message.getBodyCase()) {
            case CHANNEL_END -> channelEnded(channel, message.getChannelEnd().getPages());
            case DEVICE_STATE -> deviceState(channel, message.getDeviceState());
            case COMMIT -> commitRequested(channel);
            case SYNC -> sinks[channel].send(Control.newBuilder()
                    .setSyncAck(SyncAck.newBuilder().setRound(message.getSync().getRound())).build());
            default -> throw new StreamException(StreamErrorCode.BAD_FRAME,
                    "unexpected " + message.getBodyCase() + " on channel " + channel + " in state " + lifecycle.current());
        }
    }

    private void channelEnded(int channel, long pagesSent) throws StreamException {
        if (ended[channel] || pagesSent != pagesReceived[channel]) {
            throw new StreamException(StreamErrorCode.BAD_FRAME, "channel " + channel + " ended with "
                    + pagesReceived[channel] + " pages received, source sent " + pagesSent);
        }
        ended[channel] = true;
        readyIfComplete();
    }

    private void deviceState(int channel, DeviceState state) throws StreamException {
        deviceStateNanos = System.nanoTime();
        if (channel != 0 || deviceState != null) {
            throw new StreamException(StreamErrorCode.BAD_FRAME, "device state must come once, on channel 0");
        }
        deviceState = state;
        readyIfComplete();
    }

    private void readyIfComplete() throws StreamException {
        if (deviceState == null || lifecycle.current() != IncomingState.RECEIVING) {
            return;
        }
        for (boolean channelEnded : ended) {
            if (!channelEnded) {
                return;
            }
        }
        acceptingPages = false;
        if (received.value() != deviceState.getMemoryDigest()) {
            throw new StreamException(StreamErrorCode.DIGEST_MISMATCH, "memory digest mismatch: received "
                    + Long.toHexString(received.value()) + ", source sent " + Long.toHexString(deviceState.getMemoryDigest()));
        }
        loadCpuStates();
        lifecycle.transition(IncomingState.READY);
        sinks[0].send(Control.newBuilder().setReady(Ready.getDefaultInstance()).build());
        if (commitPending) {
            commit(0);
        }
        // logged once READY (and ACTIVE) are on their way: a log line is a write to a file, in the guest's downtime
        log.info("migration {}: memory verified ({} pages received), CPU state loaded, READY {} us after the device state",
                id, deviceState.getPagesTotal(), (System.nanoTime() - deviceStateNanos) / 1000);
    }

    private void loadCpuStates() throws StreamException {
        List<byte[]> states = new ArrayList<>(deviceState.getVcpuStateCount());
        for (ByteString state : deviceState.getVcpuStateList()) {
            states.add(state.toByteArray());
        }
        try {
            guest.load(states, deviceState.getVnic());
        } catch (RuntimeException e) {
            throw new StreamException(StreamErrorCode.BAD_FRAME, "device state refused: " + e.getMessage());
        }
    }

    private void commitRequested(int channel) throws StreamException {
        if (channel == 0 && lifecycle.current() == IncomingState.RECEIVING && !commitPending) {
            commitPending = true;
            return;
        }
        commit(channel);
    }

    private void commit(int channel) throws StreamException {
        if (channel != 0 || lifecycle.current() != IncomingState.READY) {
            throw new StreamException(StreamErrorCode.BAD_FRAME, "COMMIT on channel " + channel + " in state " + lifecycle.current());
        }
        long start = System.nanoTime();
        try {
            guest.activate();
        } catch (RuntimeException e) {
            log.error("migration {}: activation failed after COMMIT; discarding this copy", id, e);
            StreamException discarded = new StreamException(StreamErrorCode.DISCARDED,
                    "activation failed, this copy was discarded: " + e);
            discard("activation failed: " + e, 0, discarded);  // the source's one licence to resume, before the close
            throw discarded;
        }
        lifecycle.transition(IncomingState.ACTIVE);
        sinks[0].send(Control.newBuilder().setActive(Active.getDefaultInstance()).build());
        onFinished.accept(this);
        log.info("migration {}: committed, guest {} ACTIVE here, its disk locked here if it has one (activated in {} us)", id, spec.getName(),
                (System.nanoTime() - start) / 1000);
    }

    /** A channel went away. Before COMMIT that ends the migration here. */
    public synchronized void channelClosed(int channel) {
        if (lifecycle.current() != IncomingState.ACTIVE) {
            discard("channel " + channel + " closed before COMMIT");
        }
    }

    /** The reservation timer's discard: only if no source has connected, checked in the same step. */
    public synchronized void discardIfStillReserved(String reason) {
        if (lifecycle.current() == IncomingState.RESERVED) {
            discard(reason);
        }
    }

    /**
     * Channel {@code channel} failed with {@code error}: tells the source on that channel and
     * drops this copy unless the guest already runs here. In one step, so that what the source
     * hears is true: DISCARDED (its licence to resume after a COMMIT) only once this copy can
     * no longer be activated.
     */
    public synchronized void fail(int channel, StreamException error) {
        IncomingState state = lifecycle.current();
        if (state == IncomingState.ACTIVE || state == IncomingState.DISCARDED) {
            sinks[channel].fail(state == IncomingState.DISCARDED ? error.asDiscarded() : error);
            return;
        }
        StreamException told = channel == 0 && commitMayBeOnItsWay() ? discardedAfterCommit(error.code() + ": " + error.getMessage()) : error;
        discard(error.code() + ": " + error.getMessage(), channel, told);
    }

    /**
     * Whether the source may have sent COMMIT: it does so right behind the device state. Such
     * a source waits for ACTIVE and resumes only on DISCARDED, so that is what it must hear.
     */
    private boolean commitMayBeOnItsWay() {
        return commitPending || deviceState != null;
    }

    private static StreamException discardedAfterCommit(String reason) {
        return new StreamException(StreamErrorCode.DISCARDED, reason + "; this copy was discarded and will never run");
    }

    /** Drops the reservation unless the guest was activated. Idempotent. */
    public synchronized void discard(String reason) {
        discard(reason, -1, null);
    }

    /** As {@link #discard(String)}; channel {@code failed} (if any) is told {@code told} instead of just closed. */
    private void discard(String reason, int failed, StreamException told) {
        if (!lifecycle.tryTransition(IncomingState.DISCARDED)) {
            return;
        }
        discarded = true;
        discardReason = reason;
        log.warn("migration {}: discarded: {}", id, reason);
        if (sinks != null) {
            for (int i = 0; i < sinks.length; i++) {
                if (sinks[i] == null) {
                    continue;
                }
                if (i == failed) {
                    // its own code, and that this copy is gone: a source whose COMMIT crossed
                    // the failure (the device state not read here yet) may still resume
                    sinks[i].fail(told.asDiscarded());
                } else if (i == 0) {
                    // always true once this runs, and the one word that lets a source that already
                    // sent COMMIT (behind a device state still in flight) resume; before COMMIT any
                    // error rolls the source back anyway
                    sinks[0].fail(discardedAfterCommit(reason));
                } else {
                    sinks[i].close();
                }
            }
        }
        guest.discard();
        onFinished.accept(this);
    }

    public long reservedBytes() {
        return memory.byteSize();
    }

}
