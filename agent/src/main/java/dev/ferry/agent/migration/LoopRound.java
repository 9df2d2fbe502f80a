package dev.ferry.agent.migration;

import dev.ferry.agent.transport.PeerChannel;
import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;

/**
 * One channel's share of a round, sent by the channel's event loop: it harvests, frames,
 * hashes and writes a frame at a time while the channel is writable and the bandwidth cap
 * allows, and goes on when the channel drains. One thread per channel then does all the
 * source's work for its pages, and the frame it just hashed is still in its cache when its
 * write copies it into the socket. Sending from a thread of its own cost a hand-off per frame
 * (an event-loop wake-up, a futex wait for writability: ~17,000 futex and 4,000 wake-up
 * calls for a 4 GiB guest) and, with the event loop, a third busy thread on two cores; see
 * "Analysis" in BENCHMARKS.md.
 *
 * <p>Everything but {@link #start} and {@link #stop} runs on the event loop.
 */
final class LoopRound implements PeerChannel.Pump {
    /**
     * Frames per turn on the event loop when the socket keeps up: channels of other
     * migrations share the loop (a paused guest's READY and ACTIVE among them), so a round
     * must not hold it for seconds. 8 MiB is a few milliseconds.
     */
    private static final int FRAMES_PER_TURN = 8;

    private final ChannelSender sender;
    private final PeerChannel peer;
    private final int round;
    private final CompletableFuture<Void> done = new CompletableFuture<>();
    private volatile Throwable stopCause;
    /** A pending wake-up: the cap's next slot, or the check that the channel drains in time. */
    private ScheduledFuture<?> wake;
    private boolean pumping;

    LoopRound(ChannelSender sender, int round) {
        this.sender = sender;
        this.peer = sender.peer();
        this.round = round;
    }

    /** Starts the round on the event loop; the future completes when it has sent everything or failed. */
    CompletableFuture<Void> start() {
        sender.beginRound(round);
        peer.startPump(this);
        return done;
    }

    /** Ends the round early (another channel failed, the migration is cancelled); from any thread. */
    void stop(Throwable cause) {
        stopCause = cause;  // first: a pump that still runs (a loop shutting down drains its queue) stops at its next frame
        try {
            peer.execute(this::pump);
        } catch (RejectedExecutionException e) {
            done.completeExceptionally(cause);  // the loop takes no more tasks: none of ours will start
        }
    }

    @Override
    public void pump() {
        if (pumping || done.isDone()) {
            return;  // re-entered by a writability event inside our own write: the loop below goes on
        }
        pumping = true;
        cancelWake();
        try {
            for (int frames = 0; !done.isDone(); frames++) {
                if (stopCause != null) {
                    finish(stopCause);
                } else if (sender.isCancelled()) {
                    finish(ChannelSender.cancellation());
                } else if (peer.closeReason() != null) {
                    closed(peer.closeReason());
                } else if (!peer.isWritable()) {
                    watchDrain();
                    return;
                } else if (frames == FRAMES_PER_TURN) {
                    peer.execute(this::pump);  // the socket keeps up: let the loop's other channels have a turn
                    return;
                } else {
                    long wait = sender.nanosUntilFree(System.nanoTime());
                    if (wait > 0) {
                        wake = peer.schedule(this::pump, wait);
                        return;
                    }
                    if (!sender.sendNextFrame()) {
                        finish(null);
                    }
                }
            }
        } catch (Throwable e) {  // an Error too: Netty would log and drop it, and the round would never end
            finish(e);
        } finally {
            pumping = false;
        }
    }

    /** Fails the round if the channel stays full for the writable timeout, as a blocked writer would. */
    private void watchDrain() {
        wake = peer.schedule(() -> {
            if (done.isDone()) {
                return;
            }
            if (peer.isWritable()) {
                pump();
            } else {
                finish(new IOException("channel " + sender.index() + " to the destination not writable for "
                        + sender.writableTimeout() + ": the destination stopped reading"));
            }
        }, sender.writableTimeout().toNanos());  // pump() and finish() catch everything: nothing escapes to Netty
    }

    @Override
    public void closed(String reason) {
        finish(new IOException("channel " + sender.index() + " to the destination closed: " + reason));
    }

    private void finish(Throwable failure) {
        if (done.isDone()) {
            return;
        }
        cancelWake();
        peer.startPump(null);
        if (failure == null) {
            done.complete(null);
        } else {
            done.completeExceptionally(failure);
        }
    }

    private void cancelWake() {
        if (wake != null) {
            wake.cancel(false);
            wake = null;
        }
    }
}
