package dev.ferry.common.wire;

import dev.ferry.proto.v1.Control;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToMessageEncoder;
import java.util.List;

/**
 * Frames outbound {@link Control} messages. Page frames are built ready-framed by
 * {@link PageFrames} straight from guest memory and pass through untouched.
 */
@ChannelHandler.Sharable
public final class ControlEncoder extends MessageToMessageEncoder<Control> {
    public ControlEncoder() {
        super(Control.class);
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, Control msg, List<Object> out) {
        out.add(PageFrames.control(ctx.alloc(), msg));
    }
}
