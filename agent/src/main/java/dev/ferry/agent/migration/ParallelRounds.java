package dev.ferry.agent.migration;

import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Runs a round on every channel at once, each on its channel's event loop ({@link LoopRound}),
 * and reports progress while waiting. When one fails, the others are stopped and waited for
 * before the failure propagates: a channel still harvesting after the rollback re-marked the
 * bitmap would clear bits of pages it then never sends.
 */
final class ParallelRounds {
    private static final long PROGRESS_INTERVAL_MILLIS = 200;
    private static final long STOP_WAIT_MILLIS = 10_000;

    private ParallelRounds() {}

    /**
     * Runs {@code round} on every sender's channel and returns when all have sent everything;
     * {@code onTick} runs every 200 ms meanwhile. A cancelled migration stops the rounds at
     * the next tick, even ones waiting for a channel that does not drain.
     */
    static void run(List<ChannelSender> senders, int round, Runnable onTick) throws Exception {
        List<LoopRound> rounds = senders.stream().map(sender -> new LoopRound(sender, round)).toList();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        CompletableFuture<?>[] running = new CompletableFuture<?>[rounds.size()];
        for (int i = 0; i < rounds.size(); i++) {
            try {
                running[i] = rounds.get(i).start().whenComplete((ignored, e) -> {
                    if (e != null && failure.compareAndSet(null, e)) {
                        rounds.forEach(other -> other.stop(e));
                    }
                });
            } catch (RuntimeException e) {  // the event loops are shutting down: stop the rounds already started
                rounds.subList(0, i).forEach(started -> started.stop(e));
                awaitStopped(CompletableFuture.allOf(Arrays.copyOf(running, i)));
                throw thrown(failure.get() != null ? failure.get() : e);  // a round's own failure says more
            }
        }
        CompletableFuture<Void> all = CompletableFuture.allOf(running);
        try {
            while (!all.isDone()) {
                try {
                    all.get(PROGRESS_INTERVAL_MILLIS, TimeUnit.MILLISECONDS);
                } catch (TimeoutException e) {
                    onTick.run();
                    if (senders.getFirst().isCancelled()) {
                        rounds.forEach(r -> r.stop(ChannelSender.cancellation()));
                    }
                }
            }
        } catch (InterruptedException e) {
            rounds.forEach(r -> r.stop(new CancellationException("migration thread interrupted")));
            awaitStopped(all);
            throw e;
        } catch (ExecutionException e) {
            // allOf completes once every round has: none is still sending
        }
        if (failure.get() != null) {
            throw thrown(failure.get());
        }
    }

    /** The failure as an exception to throw; an Error is thrown from here as it is. */
    private static Exception thrown(Throwable failure) {
        if (failure instanceof Exception exception) {
            return exception;
        }
        throw (Error) failure;
    }

    private static void awaitStopped(CompletableFuture<Void> all) {
        try {
            all.get(STOP_WAIT_MILLIS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            // stopped (with the stop's cause), or stuck: the caller's interrupt is what matters now
        }
    }
}
