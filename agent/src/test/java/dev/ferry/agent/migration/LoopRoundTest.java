package dev.ferry.agent.migration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ferry.agent.transport.PeerChannel;
import dev.ferry.common.memory.GuestMemory;
import dev.ferry.common.memory.PageDigest;
import dev.ferry.common.wire.PageStreamFormat;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A round sent by the channel's event loop, on an EmbeddedChannel whose "socket" can be
 * stopped: a gate in front of it holds back flushes, so written frames stay queued and the
 * channel turns unwritable, as when the destination stops reading. Time is Netty's fake time.
 */
@Timeout(30)
class LoopRoundTest {
    private static final int PAGES = 1024;  // 4 MiB: four full frames
    private static final Duration WRITABLE_TIMEOUT = Duration.ofSeconds(10);

    private final GuestMemory memory = GuestMemory.allocate((long) PAGES * GuestMemory.PAGE_SIZE);
    private final PageDigest sent = PageDigest.ofZeroMemory(PAGES);
    private final FlushGate gate = new FlushGate();
    private final EmbeddedChannel channel = new EmbeddedChannel();
    private PeerChannel peer;

    /** Holds flushes while closed, as a socket whose peer does not read; opening flushes what it held. */
    private static final class FlushGate extends ChannelOutboundHandlerAdapter {
        private boolean open = true;
        private ChannelHandlerContext context;

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            context = ctx;
        }

        @Override
        public void flush(ChannelHandlerContext ctx) {
            if (open) {
                ctx.flush();
            }
        }

        void open() {
            open = true;
            context.flush();
        }
    }

    private void setUp(boolean gateOpen) {
        gate.open = gateOpen;
        channel.config().setWriteBufferWaterMark(new WriteBufferWaterMark(1 << 20, 2 << 20));
        channel.pipeline().addLast(gate);
        peer = PeerChannel.attach(channel);
        channel.freezeTime();
        for (int page = 0; page < PAGES; page++) {
            memory.fillPage(page, page + 1, 7);  // not zero: every page goes as data
        }
    }

    @AfterEach
    void tearDown() {
        channel.finishAndReleaseAll();
        memory.close();
    }

    private ChannelSender sender(BooleanSupplier cancelled) {
        return new ChannelSender(0, 1, peer, memory, sent, new BandwidthLimiter(0), WRITABLE_TIMEOUT, cancelled);
    }

    /** Pages in the data frames the channel let out (each released). */
    private int pagesWritten() {
        int pages = 0;
        for (ByteBuf frame = channel.readOutbound(); frame != null; frame = channel.readOutbound()) {
            try {
                assertEquals(PageStreamFormat.PAGES, frame.getByte(PageStreamFormat.LENGTH_FIELD));
                pages += frame.getInt(PageStreamFormat.LENGTH_FIELD + PageStreamFormat.TYPE_FIELD + 4);
            } finally {
                frame.release();
            }
        }
        return pages;
    }

    private static Throwable failure(CompletableFuture<Void> round) {
        assertTrue(round.isCompletedExceptionally(), "the round failed");
        return round.handle((ignored, cause) -> cause).join();
    }

    @Test
    void aWritableChannelTakesTheWholeRoundAndTheDigestCoversEveryPage() throws Exception {
        setUp(true);
        CompletableFuture<Void> round = new LoopRound(sender(() -> false), 0).start();
        channel.runPendingTasks();
        round.get(0, TimeUnit.SECONDS);
        assertEquals(PAGES, pagesWritten());
        assertEquals(PageDigest.of(memory.segment()), sent.value(), "every page's hash recorded once");
        assertEquals(0, memory.dirtyBitmap().dirtyPages());
    }

    @Test
    void aFullChannelPausesTheRoundWhichGoesOnWhenItDrains() throws Exception {
        setUp(false);
        CompletableFuture<Void> round = new LoopRound(sender(() -> false), 0).start();
        channel.runPendingTasks();
        assertFalse(round.isDone(), "stopped at the high-water mark");
        assertFalse(channel.isWritable());
        assertTrue(memory.dirtyBitmap().dirtyPages() > 0, "pages not yet framed stay dirty: " + memory.dirtyBitmap().dirtyPages());

        gate.open();  // the destination reads again: the queue drains, writability returns, the pump goes on
        channel.runPendingTasks();
        round.get(0, TimeUnit.SECONDS);
        assertEquals(PAGES, pagesWritten());
    }

    @Test
    void aChannelThatNeverDrainsFailsTheRoundAfterTheWritableTimeout() {
        setUp(false);
        CompletableFuture<Void> round = new LoopRound(sender(() -> false), 0).start();
        channel.runPendingTasks();
        channel.advanceTimeBy(WRITABLE_TIMEOUT.toSeconds() - 1, TimeUnit.SECONDS);
        channel.runScheduledPendingTasks();
        assertFalse(round.isDone(), "still within the timeout");
        channel.advanceTimeBy(1, TimeUnit.SECONDS);
        channel.runScheduledPendingTasks();
        Throwable cause = failure(round);
        assertInstanceOf(IOException.class, cause);
        assertTrue(cause.getMessage().contains("channel 0 to the destination not writable for PT10S"), cause.getMessage());
    }

    @Test
    void aClosedChannelFailsTheRoundAndSaysWhy() {
        setUp(false);
        CompletableFuture<Void> round = new LoopRound(sender(() -> false), 0).start();
        channel.runPendingTasks();
        channel.close();
        Throwable cause = failure(round);
        assertInstanceOf(IOException.class, cause);
        assertTrue(cause.getMessage().startsWith("channel 0 to the destination closed: connection closed by peer"),
                cause.getMessage());
    }

    @Test
    void aChannelClosedBeforeTheRoundStartsFailsItAtOnce() {
        setUp(true);
        channel.close();
        CompletableFuture<Void> round = new LoopRound(sender(() -> false), 0).start();
        channel.runPendingTasks();
        assertInstanceOf(IOException.class, failure(round));
        assertEquals(PAGES, memory.dirtyBitmap().dirtyPages(), "nothing harvested");
    }

    @Test
    void cancellingOrStoppingEndsTheRoundBeforeTheNextFrame() {
        setUp(false);
        AtomicBoolean cancelled = new AtomicBoolean();
        CompletableFuture<Void> round = new LoopRound(sender(cancelled::get), 0).start();
        channel.runPendingTasks();
        long dirty = memory.dirtyBitmap().dirtyPages();
        cancelled.set(true);
        gate.open();  // writable again: the pump runs, and stops before harvesting more
        channel.runPendingTasks();
        assertInstanceOf(CancellationException.class, failure(round));
        assertEquals(dirty, memory.dirtyBitmap().dirtyPages(), "no page harvested after the cancellation");

        LoopRound stopped = new LoopRound(sender(() -> false), 1);
        CompletableFuture<Void> second = stopped.start();
        IOException cause = new IOException("channel 1 failed");
        stopped.stop(cause);  // before the event loop ran it: it never harvests
        channel.runPendingTasks();
        assertEquals(cause, failure(second));
        assertEquals(dirty, memory.dirtyBitmap().dirtyPages());
    }

    @Test
    void anErrorInsideTheRoundEndsItInsteadOfLeavingItHanging() {
        setUp(true);
        CompletableFuture<Void> round = new LoopRound(sender(() -> {
            throw new OutOfMemoryError("direct buffer memory");
        }), 0).start();
        channel.runPendingTasks();
        assertInstanceOf(OutOfMemoryError.class, failure(round));
    }
}
