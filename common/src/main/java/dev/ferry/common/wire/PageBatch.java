package dev.ferry.common.wire;

import dev.ferry.common.memory.GuestMemory;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.DefaultByteBufHolder;

/**
 * A decoded PAGES frame: {@code count} page indices followed by their data. Holds a slice of
 * the received buffer; whoever consumes it releases it.
 */
public final class PageBatch extends DefaultByteBufHolder {
    private final int round;
    private final int count;

    /** {@code body} starts at the first page index. */
    public PageBatch(int round, int count, ByteBuf body) {
        super(body);
        this.round = round;
        this.count = count;
    }

    public int round() {
        return round;
    }

    public int count() {
        return count;
    }

    public int pageIndex(int i) {
        return content().getInt(content().readerIndex() + i * PageStreamFormat.INDEX_SIZE);
    }

    /** Offset in {@link #content()} of the i-th page's data. */
    public int dataOffset(int i) {
        return content().readerIndex() + count * PageStreamFormat.INDEX_SIZE + i * GuestMemory.PAGE_SIZE;
    }

    @Override
    public String toString() {
        return "PageBatch[round=" + round + ", count=" + count + "]";
    }
}
