package dev.ferry.agent.transport;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.util.UncheckedBooleanSupplier;
import java.nio.ByteBuffer;

/**
 * The destination's read allocator. Normally it hands the socket pooled buffers sized by
 * Netty's adaptive allocator. While {@link PlacingFrameDecoder} expects the data of a page
 * run, it hands out a buffer over that run of guest memory instead, so the kernel copies the
 * pages straight to where they belong: no copy out of a socket buffer afterwards. Between
 * runs the decoder caps the read, so that it fetches the next frame's header and not a
 * megabyte of data that would then have to be copied.
 */
final class PlacingReads implements RecvByteBufAllocator {
    private final RecvByteBufAllocator sizing;

    PlacingReads(RecvByteBufAllocator sizing) {
        this.sizing = sizing;
    }

    @Override
    public Handle newHandle() {
        return new PlacingHandle((ExtendedHandle) sizing.newHandle());
    }

    /** One channel's handle; touched only on that channel's event loop. */
    static final class PlacingHandle implements ExtendedHandle, PlacingFrameDecoder.Placer {
        private final ExtendedHandle sizing;
        private ByteBuffer target;
        private int limit;
        private ByteBuf lastPlaced;

        PlacingHandle(ExtendedHandle sizing) {
            this.sizing = sizing;
        }

        @Override
        public void placeNextRead(ByteBuffer target) {
            this.target = target;
            this.limit = 0;
        }

        @Override
        public void limitNextRead(int bytes) {
            this.target = null;
            this.limit = bytes;
        }

        @Override
        public boolean isPlaced(Object message) {
            return message != null && message == lastPlaced;
        }

        @Override
        public ByteBuf allocate(ByteBufAllocator alloc) {
            if (target == null) {
                lastPlaced = null;
                return limit > 0 ? alloc.ioBuffer(limit) : sizing.allocate(alloc);
            }
            // a view, not a copy: the read lands in guest memory; releasing it frees nothing
            // stays the target until the decoder names another: a read that finds no data leaves it as it was
            lastPlaced = Unpooled.wrappedBuffer(target.duplicate()).clear();
            return lastPlaced;
        }

        @Override
        public int guess() {
            return target != null ? target.remaining() : limit > 0 ? limit : sizing.guess();
        }

        @Override
        public void reset(io.netty.channel.ChannelConfig config) {
            sizing.reset(config);
        }

        @Override
        public void incMessagesRead(int numMessages) {
            sizing.incMessagesRead(numMessages);
        }

        @Override
        public void lastBytesRead(int bytes) {
            sizing.lastBytesRead(bytes);
        }

        @Override
        public int lastBytesRead() {
            return sizing.lastBytesRead();
        }

        @Override
        public void attemptedBytesRead(int bytes) {
            sizing.attemptedBytesRead(bytes);
        }

        @Override
        public int attemptedBytesRead() {
            return sizing.attemptedBytesRead();
        }

        @Override
        public boolean continueReading() {
            return sizing.continueReading();
        }

        @Override
        public boolean continueReading(UncheckedBooleanSupplier maybeMoreDataSupplier) {
            return sizing.continueReading(maybeMoreDataSupplier);
        }

        @Override
        public void readComplete() {
            sizing.readComplete();
        }
    }
}
