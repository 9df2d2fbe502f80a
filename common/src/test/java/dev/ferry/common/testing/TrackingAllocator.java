package dev.ferry.common.testing;

import static org.junit.jupiter.api.Assertions.fail;

import io.netty.buffer.AbstractByteBufAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledDirectByteBuf;
import io.netty.buffer.UnpooledHeapByteBuf;
import java.util.ArrayList;
import java.util.List;

/**
 * An unpooled allocator that remembers every buffer it hands out, so a test can check that
 * all of them were released: give it to a channel ({@code channel.config().setAllocator})
 * and to the code under test, run, then {@link #assertAllReleased()}. Unpooled buffers are
 * never recycled, so a {@code refCnt()} of 0 really means released.
 */
public final class TrackingAllocator extends AbstractByteBufAllocator {
    private final List<ByteBuf> allocated = new ArrayList<>();

    public TrackingAllocator() {
        super(false);
    }

    @Override
    public boolean isDirectBufferPooled() {
        return false;
    }

    @Override
    protected ByteBuf newHeapBuffer(int initialCapacity, int maxCapacity) {
        return track(new UnpooledHeapByteBuf(this, initialCapacity, maxCapacity));
    }

    @Override
    protected ByteBuf newDirectBuffer(int initialCapacity, int maxCapacity) {
        return track(new UnpooledDirectByteBuf(this, initialCapacity, maxCapacity));
    }

    private synchronized ByteBuf track(ByteBuf buf) {
        allocated.add(buf);
        return buf;
    }

    public synchronized int allocatedCount() {
        return allocated.size();
    }

    /** Buffers handed out so far that are still referenced. */
    public synchronized List<ByteBuf> unreleased() {
        List<ByteBuf> live = new ArrayList<>();
        for (ByteBuf buf : allocated) {
            if (buf.refCnt() != 0) {
                live.add(buf);
            }
        }
        return live;
    }

    public void assertAllReleased() {
        List<ByteBuf> live = unreleased();
        if (!live.isEmpty()) {
            fail(live.size() + " of " + allocatedCount() + " buffers not released: " + live);
        }
    }
}
