package dev.ferry.agent.migration;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs one task per channel sender in parallel, one thread each, and reports progress
 * while waiting for them. A failure of any sender fails the round and interrupts the rest.
 */
final class ParallelRounds implements AutoCloseable {
    interface SenderTask {
        void run(ChannelSender sender) throws Exception;
    }

    private static final long PROGRESS_INTERVAL_MILLIS = 200;

    private final ExecutorService pool;

    ParallelRounds(String migrationId, int threads) {
        this.pool = Executors.newFixedThreadPool(threads, Thread.ofPlatform().name("send-" + migrationId + "-", 0).daemon().factory());
    }

    void run(List<ChannelSender> senders, SenderTask task, Runnable onTick) throws Exception {
        List<Future<?>> futures = new ArrayList<>();
        for (ChannelSender sender : senders) {
            futures.add(pool.submit(() -> {
                task.run(sender);
                return null;
            }));
        }
        try {
            for (Future<?> future : futures) {
                awaitWithTicks(future, onTick);
            }
        } catch (ExecutionException e) {
            cancelAll(futures);
            throw e.getCause() instanceof Exception cause ? cause : e;
        } catch (InterruptedException e) {
            cancelAll(futures);
            throw e;
        }
    }

    private static void awaitWithTicks(Future<?> future, Runnable onTick) throws ExecutionException, InterruptedException {
        while (true) {
            try {
                future.get(PROGRESS_INTERVAL_MILLIS, TimeUnit.MILLISECONDS);
                return;
            } catch (TimeoutException e) {
                onTick.run();
            }
        }
    }

    private static void cancelAll(List<Future<?>> futures) {
        futures.forEach(f -> f.cancel(true));
    }

    @Override
    public void close() {
        pool.shutdownNow();
    }
}
