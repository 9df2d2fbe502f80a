package dev.ferry.common.wire;

import dev.ferry.common.memory.GuestMemory;
import dev.ferry.common.memory.PageHash;
import dev.ferry.common.memory.PageDigest;
import dev.ferry.proto.v1.Control;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufOutputStream;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;

/** Builds whole frames, length prefix included, ready to write to a channel. */
public final class PageFrames {
    private PageFrames() {}

    public static ByteBuf control(ByteBufAllocator alloc, Control msg) {
        int size = msg.getSerializedSize();
        ByteBuf buf = alloc.buffer(PageStreamFormat.LENGTH_FIELD + PageStreamFormat.TYPE_FIELD + size);
        buf.writeInt(PageStreamFormat.TYPE_FIELD + size).writeByte(PageStreamFormat.CONTROL);
        try (ByteBufOutputStream out = new ByteBufOutputStream(buf)) {
            msg.writeTo(out);
        } catch (IOException e) {
            buf.release();
            throw new UncheckedIOException(e);
        }
        return buf;
    }

    public static ByteBuf zeroPages(ByteBufAllocator alloc, int round, int[] pages, int count) {
        checkCount(pages, count, PageStreamFormat.MAX_ZERO_PAGES_PER_FRAME);
        int body = PageStreamFormat.zeroPagesBody(count);
        ByteBuf buf = alloc.buffer(PageStreamFormat.LENGTH_FIELD + body);
        buf.writeInt(body).writeByte(PageStreamFormat.ZERO_PAGES).writeInt(round).writeInt(count);
        for (int i = 0; i < count; i++) {
            buf.writeInt(pages[i]);
        }
        return buf;
    }

    /**
     * A PAGES frame whose page data is guest memory itself, read by the socket when the
     * frame is written: no copy. The hash recorded is of memory as it is now; a page that
     * changes before the socket reads it is dirty again and will be sent (and hashed) again,
     * and the last round runs with the guest paused, so the final digest describes exactly
     * the bytes that arrived. The memory must outlive the write.
     */
    public static ByteBuf pagesFromMemory(ByteBufAllocator alloc, int round, int[] pages, int count,
                                          GuestMemory guest, PageDigest sent) {
        MemorySegment memory = guest.segment();
        checkCount(pages, count, PageStreamFormat.MAX_PAGES_PER_FRAME);
        checkPages(pages, count, memory);
        int body = PageStreamFormat.pagesBody(count);
        ByteBuf header = alloc.directBuffer(PageStreamFormat.LENGTH_FIELD + PageStreamFormat.TYPE_FIELD
                + PageStreamFormat.BATCH_HEADER + count * PageStreamFormat.INDEX_SIZE);
        header.writeInt(body).writeByte(PageStreamFormat.PAGES).writeInt(round).writeInt(count);
        for (int i = 0; i < count; i++) {
            header.writeInt(pages[i]);
        }
        CompositeByteBuf frame = alloc.compositeDirectBuffer(count + 1).addComponent(true, header);
        long digestChange = 0;
        try {
            int runStart = 0;
            for (int i = 0; i < count; i++) {
                long offset = (long) pages[i] << GuestMemory.PAGE_SHIFT;
                digestChange += sent.replace(pages[i], PageHash.of(memory, offset, pages[i]));
                if (i + 1 == count || !continuesRun(pages[i], pages[i + 1])) {
                    long from = (long) pages[runStart] << GuestMemory.PAGE_SHIFT;
                    int bytes = (i + 1 - runStart) << GuestMemory.PAGE_SHIFT;
                    frame.addComponent(true, Unpooled.wrappedBuffer(guest.view(from, bytes)));
                    runStart = i + 1;
                }
            }
        } catch (RuntimeException e) {
            frame.release();
            throw e;
        } finally {
            sent.add(digestChange);  // one atomic add per frame; the pages hashed before any failure count
        }
        return frame;
    }

    /** The next page extends the run: adjacent, and in the same 1 GiB window of guest memory. */
    private static boolean continuesRun(int page, int next) {
        return next == page + 1 && next % GuestMemory.PAGES_PER_WINDOW != 0;
    }

    /** Checked before allocating, so a bad call neither leaks a buffer nor records a hash. */
    private static void checkCount(int[] pages, int count, int max) {
        if (count < 0 || count > pages.length || count > max) {
            throw new IndexOutOfBoundsException("page count " + count + " outside 0.." + Math.min(pages.length, max));
        }
    }

    private static void checkPages(int[] pages, int count, MemorySegment memory) {
        long memoryPages = memory.byteSize() >>> GuestMemory.PAGE_SHIFT;
        for (int i = 0; i < count; i++) {
            if (pages[i] < 0 || pages[i] >= memoryPages) {
                throw new IndexOutOfBoundsException("page " + pages[i] + " outside memory of " + memoryPages + " pages");
            }
        }
    }
}
