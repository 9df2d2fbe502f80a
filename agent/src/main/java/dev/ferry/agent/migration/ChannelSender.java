package dev.ferry.agent.migration;

import dev.ferry.agent.transport.PeerChannel;
import dev.ferry.common.memory.DirtyBitmap;
import dev.ferry.common.memory.GuestMemory;
import dev.ferry.common.memory.PageDigest;
import dev.ferry.common.memory.PageHash;
import dev.ferry.common.memory.ZeroPages;
import dev.ferry.common.wire.PageFrames;
import dev.ferry.proto.v1.ChannelEnd;
import dev.ferry.proto.v1.Control;
import dev.ferry.proto.v1.Sync;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BooleanSupplier;

/**
 * Sends one channel's share of a round: harvests the bitmap words {@link Striping} gives
 * this channel, sends zero pages as indices and the others as 1 MiB batches copied from
 * guest memory, each write waiting for the channel to be writable and for the bandwidth cap.
 */
final class ChannelSender {
    static final int PAGES_PER_FRAME = 256;
    private static final int ZERO_PAGES_PER_FRAME = 4096;

    private final int index;
    private final int channels;
    private final PeerChannel peer;
    private final GuestMemory memory;
    private final MemorySegment segment;
    private final PageDigest sent;
    private final BandwidthLimiter limiter;
    private final Duration writableTimeout;
    private final BooleanSupplier cancelled;
    private final ByteBufAllocator alloc = ByteBufAllocator.DEFAULT;
    private final int[] dataPages = new int[PAGES_PER_FRAME];
    private final int[] zeroPages = new int[ZERO_PAGES_PER_FRAME];
    private int dataCount;
    private int zeroCount;
    private int round;
    private long pagesTotal;

    /** Live totals, read by the progress reporter while the round runs. */
    final LongAdder pagesSent = new LongAdder();
    final LongAdder zerosSent = new LongAdder();
    final LongAdder bytesOnWire = new LongAdder();

    ChannelSender(int index, int channels, PeerChannel peer, GuestMemory memory, PageDigest sent,
                  BandwidthLimiter limiter, Duration writableTimeout, BooleanSupplier cancelled) {
        this.index = index;
        this.channels = channels;
        this.peer = peer;
        this.memory = memory;
        this.segment = memory.segment();
        this.sent = sent;
        this.limiter = limiter;
        this.writableTimeout = writableTimeout;
        this.cancelled = cancelled;
    }

    PeerChannel peer() {
        return peer;
    }

    /**
     * Sends every page of this channel that is dirty now. In round 0 zero pages are
     * skipped: the destination's fresh memory already holds zeroes.
     */
    void sendRound(int round) throws IOException, InterruptedException {
        this.round = round;
        DirtyBitmap bitmap = memory.dirtyBitmap();
        for (int word = index; word < bitmap.wordCount(); word += channels) {
            for (long bits = bitmap.harvest(word); bits != 0; bits &= bits - 1) {
                add((word << 6) + Long.numberOfTrailingZeros(bits), round == 0);
            }
        }
        flushData();
        flushZeros();
    }

    private void add(int page, boolean skipZero) throws IOException, InterruptedException {
        if (!ZeroPages.isZero(segment, (long) page << GuestMemory.PAGE_SHIFT)) {
            dataPages[dataCount++] = page;
            if (dataCount == PAGES_PER_FRAME) {
                flushData();
            }
        } else if (!skipZero) {
            zeroPages[zeroCount++] = page;
            if (zeroCount == ZERO_PAGES_PER_FRAME) {
                flushZeros();
            }
        }
    }

    private void flushData() throws IOException, InterruptedException {
        if (dataCount > 0) {
            ByteBuf frame = PageFrames.pagesFromMemory(alloc, round, dataPages, dataCount, memory, sent);
            pagesSent.add(dataCount);
            send(frame, dataCount);
            dataCount = 0;
        }
    }

    private void flushZeros() throws IOException, InterruptedException {
        if (zeroCount > 0) {
            for (int i = 0; i < zeroCount; i++) {
                sent.record(zeroPages[i], PageHash.ofZeroPage(zeroPages[i]));
            }
            zerosSent.add(zeroCount);
            send(PageFrames.zeroPages(alloc, round, zeroPages, zeroCount), zeroCount);
            zeroCount = 0;
        }
    }

    private void send(ByteBuf frame, int pages) throws IOException, InterruptedException {
        try {
            if (cancelled.getAsBoolean()) {
                throw new CancellationException("migration cancelled");
            }
            limiter.acquire(frame.readableBytes());
            peer.awaitWritable(writableTimeout);
        } catch (IOException | InterruptedException | RuntimeException e) {
            frame.release();
            throw e;
        }
        bytesOnWire.add(frame.readableBytes());
        pagesTotal += pages;
        peer.write(frame);
    }

    /** Ends a pre-copy round: returns once the destination has applied everything sent on this channel. */
    void sync(int round, Duration timeout) throws IOException, InterruptedException {
        peer.write(Control.newBuilder().setSync(Sync.newBuilder().setRound(round)).build());
        Control reply = peer.receive(timeout);
        if (!reply.hasSyncAck() || reply.getSyncAck().getRound() != round) {
            throw new IOException("channel " + index + ": expected the destination's SyncAck for round " + round
                    + ", got " + (reply.hasError() ? reply.getError().getMessage() : reply.getBodyCase()));
        }
    }

    /** Tells the destination this channel is done: every page it will ever get has been sent. */
    void sendEnd() {
        peer.write(Control.newBuilder()
                .setChannelEnd(ChannelEnd.newBuilder().setChannelIndex(index).setPages(pagesTotal)).build());
    }

    long pagesTotal() {
        return pagesTotal;
    }
}
