package dev.ferry.agent.migration;

import dev.ferry.agent.transport.PeerChannel;
import java.io.IOException;
import java.util.concurrent.CancellationException;
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
 * BENCHMARKS.md.
 *
 * <p>Everything but {@link #start} and {@link #stop} runs on the event loop.
 */
final class LoopRound implements PeerChannel.Pump {
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
        stopCause = cause;
        try {
            peer.execute(this::pump);
        } catch (RejectedExecutionException e) {
            done.completeExceptionally(cause);  // the event loop is gone: nothing of this round runs any more
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
            while (!done.isDone()) {
                if (stopCause != null) {
                    finish(stopCause);
                } else if (sender.cancelled().getAsBoolean()) {
                    finish(new CancellationException("migration cancelled"));
                } else if (peer.closeReason() != null) {
                    closed(peer.closeReason());
                } else if (!peer.isWritable()) {
                    watchDrain();
                    return;
                } else {
                    long wait = sender.limiter().nanosUntilFree(System.nanoTime());
                    if (wait > 0) {
                        wake = peer.schedule(this::pump, wait);
                        return;
                    }
                    if (!sender.sendNextFrame()) {
                        finish(null);
                    }
                }
            }
        } catch (Exception e) {
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
        }, sender.writableTimeout().toNanos());
    }

    @Override
    public void closed(String reason) {
        finish(new IOException("channel to the destination closed: " + reason));
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
