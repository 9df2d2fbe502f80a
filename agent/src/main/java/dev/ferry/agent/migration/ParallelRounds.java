package dev.ferry.agent.migration;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Runs one task per channel sender, each on its own thread, and reports progress while
 * waiting. When one fails, the others are interrupted and waited for before the failure
 * propagates: a sender still harvesting after the rollback re-marked the bitmap would
 * clear bits of pages it then never sends.
 */
final class ParallelRounds {
    interface SenderTask {
        void run(ChannelSender sender) throws Exception;
    }

    private static final long PROGRESS_INTERVAL_MILLIS = 200;
    private static final long STOP_WAIT_MILLIS = 10_000;

    private final String migrationId;

    ParallelRounds(String migrationId) {
        this.migrationId = migrationId;
    }

    void run(List<ChannelSender> senders, SenderTask task, Runnable onTick) throws Exception {
        run(senders, task, onTick, false);
    }

    /**
     * As {@link #run(List, SenderTask, Runnable)}; with {@code inline} the tasks run one after
     * the other on the calling thread. For a last round of a few pages: starting and joining
     * threads costs more than the sending, and on a busy host every hand-off between threads
     * waits for a CPU inside the downtime.
     */
    void run(List<ChannelSender> senders, SenderTask task, Runnable onTick, boolean inline) throws Exception {
        if (inline) {
            for (ChannelSender sender : senders) {
                task.run(sender);
            }
            return;
        }
        AtomicReference<Exception> failure = new AtomicReference<>();
        List<Thread> threads = new CopyOnWriteArrayList<>();
        for (int i = 0; i < senders.size(); i++) {
            ChannelSender sender = senders.get(i);
            threads.add(Thread.ofPlatform().name("send-" + migrationId + "-" + i).daemon().start(() -> {
                try {
                    task.run(sender);
                } catch (Exception e) {
                    if (failure.compareAndSet(null, e)) {
                        threads.forEach(Thread::interrupt);
                    }
                }
            }));
        }
        if (failure.get() != null) {
            threads.forEach(Thread::interrupt);  // a sender failed before the last one started
        }
        try {
            for (Thread thread : threads) {
                while (!thread.join(java.time.Duration.ofMillis(PROGRESS_INTERVAL_MILLIS))) {
                    onTick.run();
                }
            }
        } catch (InterruptedException e) {
            stopAll(threads);
            throw e;
        }
        if (failure.get() != null) {
            throw failure.get();
        }
    }

    private static void stopAll(List<Thread> threads) {
        threads.forEach(Thread::interrupt);
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(STOP_WAIT_MILLIS);
        for (Thread thread : threads) {
            try {
                thread.join(java.time.Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
