package dev.ferry.agent.transport;

import dev.ferry.proto.v1.Control;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;

/** Source side: hands the destination's replies and the channel's fate to a {@link PeerChannel}. */
final class OutgoingChannelHandler extends ChannelInboundHandlerAdapter {
    private final PeerChannel peer;

    OutgoingChannelHandler(PeerChannel peer) {
        this.peer = peer;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (msg instanceof Control control) {
                peer.onControl(control);
            } else {
                peer.onClosed("destination sent an unexpected " + msg);
                ctx.close();
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        peer.onWritabilityChanged();
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        peer.onClosed("connection closed by peer");
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        peer.onClosed(cause.toString());
        ctx.close();
    }
}
