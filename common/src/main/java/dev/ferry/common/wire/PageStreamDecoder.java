package dev.ferry.common.wire;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.ferry.proto.v1.Control;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufInputStream;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.MessageToMessageDecoder;
import java.io.IOException;
import java.util.List;

/**
 * Turns one whole frame body (after {@link PageStreamFraming} has cut it and dropped the
 * length) into a {@link Control}, a {@link PageBatch} or a {@link ZeroPageBatch}. Any frame
 * whose declared counts disagree with its length, or whose type is unknown, is corrupt.
 */
public final class PageStreamDecoder extends MessageToMessageDecoder<ByteBuf> {

    public PageStreamDecoder() {
        super(ByteBuf.class);
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf frame, List<Object> out) throws IOException {
        if (!frame.isReadable()) {
            throw new CorruptedFrameException("empty frame: no type byte");
        }
        byte type = frame.readByte();
        switch (type) {
            case PageStreamFormat.CONTROL -> out.add(control(frame));
            case PageStreamFormat.PAGES -> out.add(pages(frame));
            case PageStreamFormat.ZERO_PAGES -> out.add(zeroPages(frame));
            default -> throw new CorruptedFrameException("unknown frame type " + type);
        }
    }

    private static Control control(ByteBuf frame) throws IOException {
        if (frame.readableBytes() > PageStreamFormat.MAX_CONTROL_BYTES) {
            throw new CorruptedFrameException("control frame of " + frame.readableBytes() + " bytes is too large");
        }
        try (ByteBufInputStream in = new ByteBufInputStream(frame)) {
            return Control.parseFrom(in);
        } catch (InvalidProtocolBufferException e) {
            throw new CorruptedFrameException("control frame is not a valid ferry.v1.Control: " + e.getMessage());
        }
    }

    private static PageBatch pages(ByteBuf frame) {
        int round = readRound(frame);
        int count = frame.readInt();
        String problem = PageStreamFormat.pagesFrameProblem(count,
                frame.readableBytes() + PageStreamFormat.TYPE_FIELD + PageStreamFormat.BATCH_HEADER);
        if (problem != null) {
            throw new CorruptedFrameException(problem);
        }
        return new PageBatch(round, count, frame.readRetainedSlice(frame.readableBytes()));
    }

    private static ZeroPageBatch zeroPages(ByteBuf frame) {
        int round = readRound(frame);
        int count = readCount(frame, PageStreamFormat.MAX_ZERO_PAGES_PER_FRAME);
        expectBody(frame, PageStreamFormat.zeroPagesBody(count), "ZERO_PAGES", count);
        int[] pages = new int[count];
        for (int i = 0; i < count; i++) {
            pages[i] = frame.readInt();
        }
        return new ZeroPageBatch(round, pages);
    }

    private static int readRound(ByteBuf frame) {
        if (frame.readableBytes() < PageStreamFormat.BATCH_HEADER) {
            throw new CorruptedFrameException("batch frame too short for its header: " + frame.readableBytes() + " bytes");
        }
        return frame.readInt();
    }

    private static int readCount(ByteBuf frame, int max) {
        int count = frame.readInt();
        if (count < 0 || count > max) {
            throw new CorruptedFrameException("batch page count " + count + " outside 0.." + max);
        }
        return count;
    }

    private static void expectBody(ByteBuf frame, int expectedBody, String kind, int count) {
        int actual = frame.readableBytes() + PageStreamFormat.TYPE_FIELD + PageStreamFormat.BATCH_HEADER;
        if (actual != expectedBody) {
            throw new CorruptedFrameException(kind + " frame of " + count + " pages must be "
                    + expectedBody + " bytes, got " + actual);
        }
    }
}
