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
 * this channel, sends zero pages as indices and the others as 1 MiB batches of guest memory
 * (hashed as they are framed), each write after the channel is writable and within the
 * bandwidth cap. Pre-copy rounds run on the channel's event loop ({@link LoopRound}); a small
 * last round runs on the migration thread.
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
    /** Harvest position: the next bitmap word of this channel, and what is left of the current one. */
    private int nextWord;
    private int word;
    private long bits;
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

    int index() {
        return index;
    }

    boolean isCancelled() {
        return cancelled.getAsBoolean();
    }

    /** How long until the bandwidth cap lets the next frame go; {@code <= 0} now. */
    long nanosUntilFree(long now) {
        return limiter.nanosUntilFree(now);
    }

    static CancellationException cancellation() {
        return new CancellationException("migration cancelled");
    }

    Duration writableTimeout() {
        return writableTimeout;
    }

    PeerChannel peer() {
        return peer;
    }

    /**
     * Sends every page of this channel that is dirty now, from the calling thread, waiting
     * for writability and the bandwidth cap before each frame. In round 0 zero pages are
     * skipped: the destination's fresh memory already holds zeroes.
     */
    void sendRound(int round) throws IOException, InterruptedException {
        beginRound(round);
        while (sendNextFrame()) {
            // each call harvests until a frame leaves
        }
    }

    /** Starts a round that {@link #sendNextFrame} then sends a frame at a time. */
    void beginRound(int round) {
        this.round = round;
        this.nextWord = index;
        this.bits = 0;
    }

    /**
     * Harvests this channel's dirty pages until a frame has been written (true), or until
     * none are left (false: the last partial frames written, the round's pages all sent).
     * On the event loop ({@link LoopRound}) the caller checks writability and the cap before
     * each call; from another thread {@link #send} waits for them.
     */
    boolean sendNextFrame() throws IOException, InterruptedException {
        DirtyBitmap bitmap = memory.dirtyBitmap();
        while (true) {
            while (bits == 0) {
                if (nextWord >= bitmap.wordCount()) {
                    flushData();
                    flushZeros();
                    return false;
                }
                word = nextWord;
                bits = bitmap.harvest(word);
                nextWord += channels;
            }
            int page = (word << 6) + Long.numberOfTrailingZeros(bits);
            bits &= bits - 1;
            if (add(page, round == 0)) {
                return true;
            }
        }
    }

    /** True if the page completed a frame, which was sent. */
    private boolean add(int page, boolean skipZero) throws IOException, InterruptedException {
        if (!ZeroPages.isZero(segment, (long) page << GuestMemory.PAGE_SHIFT)) {
            dataPages[dataCount++] = page;
            if (dataCount == PAGES_PER_FRAME) {
                flushData();
                return true;
            }
        } else if (!skipZero) {
            zeroPages[zeroCount++] = page;
            if (zeroCount == ZERO_PAGES_PER_FRAME) {
                flushZeros();
                return true;
            }
        }
        return false;
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
            long digestChange = 0;
            for (int i = 0; i < zeroCount; i++) {
                digestChange += sent.replace(zeroPages[i], PageHash.ofZeroPage(zeroPages[i]));
            }
            sent.add(digestChange);
            zerosSent.add(zeroCount);
            send(PageFrames.zeroPages(alloc, round, zeroPages, zeroCount), zeroCount);
            zeroCount = 0;
        }
    }

    private void send(ByteBuf frame, int pages) throws IOException, InterruptedException {
        if (peer.inEventLoop()) {
            limiter.book(frame.readableBytes(), System.nanoTime());  // the pump checked the cap, writability and cancellation
        } else {
            try {
                if (cancelled.getAsBoolean()) {
                    throw cancellation();
                }
                limiter.acquire(frame.readableBytes());
                peer.awaitWritable(writableTimeout);
            } catch (IOException | InterruptedException | RuntimeException e) {
                frame.release();
                throw e;
            }
        }
        bytesOnWire.add(frame.readableBytes());
        pagesTotal += pages;
        peer.write(frame);
    }

    /** Ends a pre-copy round: asks the destination to say when it has applied everything sent on this channel. */
    void requestSync(int round) {
        peer.write(Control.newBuilder().setSync(Sync.newBuilder().setRound(round)).build());
    }

    /** Returns once the destination has answered {@link #requestSync}. */
    void awaitSync(int round, Duration timeout) throws IOException, InterruptedException {
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
