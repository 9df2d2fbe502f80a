package dev.ferry.agent.transport;

import dev.ferry.proto.v1.Control;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The source's end of one page-stream channel, as the migration thread sees it: write
 * when the channel is writable, wait for the destination's control replies, learn that
 * the channel died. Writes from this thread are handed to the channel's event loop.
 */
public final class PeerChannel implements AutoCloseable {
    private static final Control CLOSED = Control.getDefaultInstance();
    /** The destination answers a handful of messages per migration; more is a broken or hostile peer. */
    private static final int INBOX_LIMIT = 64;

    private final Channel channel;
    private final BlockingQueue<Arrival> inbox = new LinkedBlockingQueue<>(INBOX_LIMIT + 1);
    private final Object writable = new Object();
    private volatile String closeReason;
    private volatile ReadyReply onReady;
    private volatile Runnable onActive;
    private volatile Pump pump;
    private long lastArrivalNanos;

    private record Arrival(Control message, long nanos) {}

    /**
     * What to send the moment READY arrives, decided on the event loop: the answer goes out
     * without waking the migration thread and waiting for it (each wake-up costs a
     * millisecond or more on a busy host, inside the downtime).
     */
    @FunctionalInterface
    public interface ReadyReply {
        /** The message to send at once, or null to leave the answer to the migration thread. */
        Control answer();
    }

    /**
     * A writer that runs on the channel's event loop: it writes while the channel is
     * writable, returns when it is not, and is called again as it becomes writable. So the
     * thread that builds a frame is the one whose syscall copies it into the socket, while
     * the frame is still in its cache, with no hand-off between threads per frame.
     */
    public interface Pump {
        /** Writes what it can; on the event loop. */
        void pump();

        /** The channel closed ({@code reason}); on the event loop. */
        void closed(String reason);
    }

    PeerChannel(Channel channel) {
        this.channel = channel;
    }

    /**
     * The source's end of {@code channel}, whose pipeline already decodes the destination's
     * replies (frames to {@link Control} messages): adds the handler that feeds them, its
     * writability and its closing to the returned PeerChannel.
     */
    public static PeerChannel attach(Channel channel) {
        PeerChannel peer = new PeerChannel(channel);
        channel.pipeline().addLast(new OutgoingChannelHandler(peer));
        return peer;
    }

    // ---- called from the event loop (OutgoingChannelHandler)

    void onControl(Control message) {
        long now = System.nanoTime();
        ReadyReply ready = onReady;
        if (ready != null && message.hasReady()) {
            onReady = null;
            Control answer = ready.answer();
            if (answer != null) {
                write(answer);
            }
        }
        Runnable active = onActive;
        if (active != null && message.hasActive()) {
            onActive = null;
            active.run();
        }
        if (inbox.size() >= INBOX_LIMIT || !inbox.offer(new Arrival(message, now))) {
            onClosed("destination flooded this channel with control messages");
            channel.close();
        }
    }

    void onWritabilityChanged() {
        wakeWriters();
        Pump running = pump;
        if (running != null && channel.isWritable()) {
            running.pump();
        }
    }

    void onClosed(String reason) {
        if (closeReason == null) {
            closeReason = reason;
        }
        inbox.offer(new Arrival(CLOSED, System.nanoTime()));  // a full inbox still ends with the close: receive() checks closeReason too
        wakeWriters();
        Pump running = pump;
        if (running != null) {
            running.closed(closeReason);
        }
    }

    /** Wakes a thread in {@link #awaitWritable} to look again (writable now, or closed). */
    private void wakeWriters() {
        synchronized (writable) {
            writable.notifyAll();
        }
    }

    // ---- called from the event loop by a Pump

    /** Whether the caller runs on this channel's event loop. */
    public boolean inEventLoop() {
        return channel.eventLoop().inEventLoop();
    }

    /** Whether the channel takes more without queueing past its high-water mark. */
    public boolean isWritable() {
        return channel.isWritable();
    }

    /** Runs {@code task} on this channel's event loop after {@code delayNanos}. */
    public ScheduledFuture<?> schedule(Runnable task, long delayNanos) {
        return channel.eventLoop().schedule(task, delayNanos, TimeUnit.NANOSECONDS);
    }

    /** Why the channel closed, or null while it is open. */
    public String closeReason() {
        return closeReason;
    }

    // ---- called from the migration's threads

    /**
     * Makes {@code writer} this channel's {@link Pump} (null: none) and, if not null, starts
     * it on the event loop. Set only while no other pump runs.
     */
    public void startPump(Pump writer) {
        this.pump = writer;
        if (writer != null) {
            channel.eventLoop().execute(() -> {
                if (closeReason != null) {
                    writer.closed(closeReason);  // closed before the pump was set: it would never hear of it
                } else {
                    writer.pump();
                }
            });
        }
    }

    /** Runs {@code task} on this channel's event loop. */
    public void execute(Runnable task) {
        channel.eventLoop().execute(task);
    }

    /** Blocks until the channel can take more without queueing past its high-water mark. */
    public void awaitWritable(Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (writable) {
            while (!channel.isWritable()) {
                checkOpen();
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new IOException("channel to " + channel.remoteAddress() + " not writable for " + timeout);
                }
                TimeUnit.NANOSECONDS.timedWait(writable, Math.min(left, TimeUnit.MILLISECONDS.toNanos(100)));
            }
        }
        checkOpen();
    }

    /** Writes and flushes; a failed write closes the channel so every waiter learns of it. */
    public ChannelFuture write(Object message) {
        return channel.writeAndFlush(message).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
    }

    /** Sets (or clears, with null) what to answer when READY arrives; see {@link ReadyReply}. */
    public void onReady(ReadyReply reply) {
        this.onReady = reply;
    }

    /** Runs {@code action} on the event loop as ACTIVE arrives, before the migration thread hears of it. */
    public void onActive(Runnable action) {
        this.onActive = action;
    }

    /** The next control message from the destination; fails if the channel closes or time runs out. */
    public Control receive(Duration timeout) throws IOException, InterruptedException {
        Arrival arrival = inbox.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
        if (arrival == null && closeReason != null) {
            arrival = new Arrival(CLOSED, System.nanoTime());
        }
        if (arrival == null) {
            throw new IOException("no answer from " + channel.remoteAddress() + " within " + timeout);
        }
        if (arrival.message() == CLOSED) {
            inbox.offer(arrival);
            throw new IOException("channel to " + channel.remoteAddress() + " closed: " + closeReason);
        }
        lastArrivalNanos = arrival.nanos();
        return arrival.message();
    }

    /** When the message {@link #receive} last returned came off the wire (System.nanoTime). */
    public long lastArrivalNanos() {
        return lastArrivalNanos;
    }

    private void checkOpen() throws IOException {
        if (closeReason != null) {
            throw new IOException("channel to " + channel.remoteAddress() + " closed: " + closeReason);
        }
    }

    @Override
    public void close() {
        channel.close().syncUninterruptibly();
    }
}
