package dev.ferry.agent.transport;

import dev.ferry.agent.migration.ControlSink;
import dev.ferry.agent.migration.StreamException;
import dev.ferry.proto.v1.Control;
import dev.ferry.proto.v1.StreamError;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;

/** Sends the destination's control replies on a Netty channel. */
final class NettyControlSink implements ControlSink {
    private final Channel channel;

    NettyControlSink(Channel channel) {
        this.channel = channel;
    }

    @Override
    public void send(Control message) {
        channel.writeAndFlush(message).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
    }

    @Override
    public void fail(StreamException error) {
        Control message = Control.newBuilder()
                .setError(StreamError.newBuilder().setCode(error.code()).setMessage(error.getMessage())
                        .setDiscarded(error.discarded()))
                .build();
        channel.writeAndFlush(message).addListener(ChannelFutureListener.CLOSE);
    }

    @Override
    public void close() {
        channel.close();
    }
}
