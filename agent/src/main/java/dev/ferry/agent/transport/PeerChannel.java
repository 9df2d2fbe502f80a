package dev.ferry.agent.transport;

import dev.ferry.proto.v1.Control;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
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
    private final BlockingQueue<Control> inbox = new LinkedBlockingQueue<>(INBOX_LIMIT + 1);
    private final Object writable = new Object();
    private volatile String closeReason;

    PeerChannel(Channel channel) {
        this.channel = channel;
    }

    // ---- called from the event loop (OutgoingChannelHandler)

    void onControl(Control message) {
        if (inbox.size() >= INBOX_LIMIT || !inbox.offer(message)) {
            onClosed("destination flooded this channel with control messages");
            channel.close();
        }
    }

    void onWritabilityChanged() {
        synchronized (writable) {
            writable.notifyAll();
        }
    }

    void onClosed(String reason) {
        if (closeReason == null) {
            closeReason = reason;
        }
        inbox.offer(CLOSED);  // a full inbox still ends with the close: receive() checks closeReason too
        onWritabilityChanged();
    }

    // ---- called from the migration's threads

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

    /** The next control message from the destination; fails if the channel closes or time runs out. */
    public Control receive(Duration timeout) throws IOException, InterruptedException {
        Control message = inbox.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
        if (message == null && closeReason != null) {
            message = CLOSED;
        }
        if (message == null) {
            throw new IOException("no answer from " + channel.remoteAddress() + " within " + timeout);
        }
        if (message == CLOSED) {
            inbox.offer(CLOSED);
            throw new IOException("channel to " + channel.remoteAddress() + " closed: " + closeReason);
        }
        return message;
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
