package dev.ferry.common.net;

import dev.ferry.proto.v1.SwitchMessage;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.codec.LengthFieldPrepender;
import io.netty.handler.codec.protobuf.ProtobufDecoder;
import io.netty.handler.codec.protobuf.ProtobufEncoder;

/**
 * The switch-port wire format, for agents and clients alike: a 4-byte length, then one
 * {@link SwitchMessage}. A length above {@link #MAX_MESSAGE} fails the channel (a frame's
 * payload is at most 4 KiB, so anything near the limit is garbage, not traffic).
 */
public final class SwitchCodec {
    public static final int MAX_MESSAGE = 64 << 10;
    private static final ProtobufEncoder ENCODER = new ProtobufEncoder();
    private static final LengthFieldPrepender PREPENDER = new LengthFieldPrepender(4);

    private SwitchCodec() {}

    public static ChannelPipeline install(ChannelPipeline pipeline) {
        return pipeline.addLast(new LengthFieldBasedFrameDecoder(MAX_MESSAGE, 0, 4, 0, 4), PREPENDER,
                new ProtobufDecoder(SwitchMessage.getDefaultInstance()), ENCODER);
    }
}
