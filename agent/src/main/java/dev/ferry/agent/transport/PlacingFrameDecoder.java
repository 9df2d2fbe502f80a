package dev.ferry.agent.transport;

import dev.ferry.agent.migration.PlacedPages;
import dev.ferry.common.memory.GuestMemory;
import dev.ferry.common.wire.PageStreamFormat;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.TooLongFrameException;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * The destination's framing. Cuts the stream into frame bodies for {@code PageStreamDecoder}
 * as {@code PageStreamFraming} does, except for PAGES frames once a migration has accepted
 * the channel: their data goes straight into guest memory. The header and page indices are
 * read first; then whatever data came with them is copied to its pages, and the rest of each
 * page run is read by the socket into guest memory itself ({@link Placer}). The frame then
 * leaves as {@link PlacedPages}, to be hashed and counted. A frame the migration will not
 * place (bad indices, migration over) takes the ordinary path, where it is refused.
 */
final class PlacingFrameDecoder extends ByteToMessageDecoder {
    /** Runs shorter than this are not worth a read of their own; their bytes are copied. */
    static final int MIN_PLACED_READ = 64 << 10;
    /**
     * A read between placed runs: enough for a frame header with the indices of a full frame
     * of the sender's size, little enough that the data it brings along (copied) stays small.
     */
    static final int HEADER_READ = 8 << 10;
    private static final int PAGES_HEADER = PageStreamFormat.TYPE_FIELD + PageStreamFormat.BATCH_HEADER;

    /** Where the next socket read should land; the Netty side is {@link PlacingReads}. */
    interface Placer {
        /** The next read lands in {@code target}, a view of guest memory. */
        void placeNextRead(ByteBuffer target);

        /** The next read takes at most {@code bytes} into an ordinary buffer; 0 lifts the cap. */
        void limitNextRead(int bytes);

        /** Whether {@code message} is the buffer of a read placed in guest memory. */
        boolean isPlaced(Object message);
    }

    /** Guest memory that a channel's PAGES frame may be written into, or null. */
    @FunctionalInterface
    interface Placement {
        GuestMemory memoryFor(int[] pages);
    }

    private final Placer placer;
    private Placement placement;
    private PlacedFrame frame;

    PlacingFrameDecoder(Placer placer) {
        this.placer = placer;
    }

    /** From now on PAGES frames may be placed, in the memory {@code placement} names. */
    void placeInto(Placement placement) {
        this.placement = placement;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        if (frame != null && placer.isPlaced(msg)) {
            ByteBuf read = (ByteBuf) msg;
            int bytes = read.readableBytes();
            read.release();  // a view of guest memory: nothing to free
            frame.advance(bytes);
            if (frame.complete()) {
                placer.limitNextRead(HEADER_READ);
                PlacedPages done = frame.done();
                frame = null;
                ctx.fireChannelRead(done);
            } else {
                placeRest();
            }
            return;
        }
        super.channelRead(ctx, msg);
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        while (true) {
            if (frame != null) {
                frame.copyFrom(in);
                if (!frame.complete()) {
                    placeRest();
                    return;
                }
                out.add(frame.done());
                frame = null;
                return;  // one message per call: see below
            }
            if (placement != null) {
                placer.limitNextRead(HEADER_READ);  // until a frame says otherwise
            }
            if (in.readableBytes() < PageStreamFormat.LENGTH_FIELD) {
                return;
            }
            int start = in.readerIndex();
            int length = in.getInt(start);
            if (length < 1 || length > PageStreamFormat.MAX_FRAME_BODY) {
                throw corrupt(in, new TooLongFrameException("frame length " + length + " outside 1.." + PageStreamFormat.MAX_FRAME_BODY));
            }
            if (placement != null && in.readableBytes() >= PageStreamFormat.LENGTH_FIELD + PAGES_HEADER
                    && in.getByte(start + PageStreamFormat.LENGTH_FIELD) == PageStreamFormat.PAGES) {
                int count = in.getInt(start + PageStreamFormat.LENGTH_FIELD + PageStreamFormat.TYPE_FIELD + 4);
                String problem = PageStreamFormat.pagesFrameProblem(count, length);
                if (problem != null) {
                    throw corrupt(in, new CorruptedFrameException(problem));
                }
                int headerBytes = PageStreamFormat.LENGTH_FIELD + PAGES_HEADER + count * PageStreamFormat.INDEX_SIZE;
                if (in.readableBytes() < headerBytes) {
                    return;  // wait for the indices
                }
                int round = in.getInt(start + PageStreamFormat.LENGTH_FIELD + PageStreamFormat.TYPE_FIELD);
                int[] pages = new int[count];
                for (int i = 0; i < count; i++) {
                    pages[i] = in.getInt(start + PageStreamFormat.LENGTH_FIELD + PAGES_HEADER + i * PageStreamFormat.INDEX_SIZE);
                }
                GuestMemory memory = placement.memoryFor(pages);
                if (memory != null) {
                    in.skipBytes(headerBytes);
                    frame = new PlacedFrame(round, pages, memory);
                    continue;
                }
            }
            if (in.readableBytes() < PageStreamFormat.LENGTH_FIELD + length) {
                return;
            }
            in.skipBytes(PageStreamFormat.LENGTH_FIELD);
            out.add(in.readRetainedSlice(length));
            // One message per call: ByteToMessageDecoder hands it on (a CHANNEL_END is acted on)
            // before the next frame is looked at, so no PAGES frame behind it is placed into
            // memory that its channel's end has already closed to pages.
            return;
        }
    }

    /** A stream that lost its framing cannot find it again: what is left of it is dropped. */
    private static RuntimeException corrupt(ByteBuf in, RuntimeException e) {
        in.skipBytes(in.readableBytes());
        return e;
    }

    /**
     * Asks for the rest of the current run to be read in place, if it is worth a read; else
     * for the rest of the frame (pages scattered in short runs come in one read and are
     * copied) and the next header.
     */
    private void placeRest() {
        ByteBuffer rest = frame.restOfRun();
        if (rest.remaining() >= MIN_PLACED_READ) {
            placer.placeNextRead(rest);
        } else {
            placer.limitNextRead(frame.left() + HEADER_READ);
        }
    }

    @Override
    protected void handlerRemoved0(ChannelHandlerContext ctx) {
        frame = null;
        placer.limitNextRead(0);
    }

    /** The data part of one PAGES frame being filled in guest memory, run by run. */
    private static final class PlacedFrame {
        private final int round;
        private final int[] pages;
        private final GuestMemory memory;
        private final int total;
        private int filled;

        PlacedFrame(int round, int[] pages, GuestMemory memory) {
            this.round = round;
            this.pages = pages;
            this.memory = memory;
            this.total = pages.length * GuestMemory.PAGE_SIZE;
        }

        boolean complete() {
            return filled == total;
        }

        int left() {
            return total - filled;
        }

        void advance(int bytes) {
            filled += bytes;
        }

        /** Copies what {@code in} holds of this frame's data to its pages. */
        void copyFrom(ByteBuf in) {
            while (!complete() && in.isReadable()) {
                ByteBuffer rest = restOfRun();
                int n = Math.min(rest.remaining(), in.readableBytes());
                in.readBytes(rest.limit(rest.position() + n));
                filled += n;
            }
        }

        /**
         * Guest memory from the next byte to fill to the end of its run: adjacent pages of
         * the frame, not crossing a 1 GiB window of guest memory.
         */
        ByteBuffer restOfRun() {
            int page = filled >>> GuestMemory.PAGE_SHIFT;
            int within = filled & (GuestMemory.PAGE_SIZE - 1);
            int end = page + 1;
            while (end < pages.length && pages[end] == pages[end - 1] + 1 && pages[end] % GuestMemory.PAGES_PER_WINDOW != 0) {
                end++;
            }
            long from = ((long) pages[page] << GuestMemory.PAGE_SHIFT) + within;
            return memory.view(from, ((end - page) << GuestMemory.PAGE_SHIFT) - within);
        }

        PlacedPages done() {
            return new PlacedPages(round, pages);
        }
    }
}
