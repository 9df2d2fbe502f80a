package dev.ferry.agent.transport;

import dev.ferry.agent.migration.IncomingMigration;
import dev.ferry.agent.migration.IncomingMigrations;
import dev.ferry.agent.migration.IncomingState;
import dev.ferry.agent.migration.PlacedPages;
import dev.ferry.agent.migration.StreamException;
import dev.ferry.common.wire.PageBatch;
import dev.ferry.common.wire.ZeroPageBatch;
import dev.ferry.proto.v1.Control;
import dev.ferry.proto.v1.StreamErrorCode;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Destination side of one channel: the first frame must be a Hello with a valid ticket;
 * after that, frames go to the {@link IncomingMigration}. Any protocol error answers with
 * a StreamError, closes this channel and discards the migration; it never touches a
 * running guest.
 */
final class IncomingChannelHandler extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(IncomingChannelHandler.class);
    /** How often a silent channel is looked at. */
    static final int IDLE_CHECK_SECONDS = 30;
    /**
     * Silent checks tolerated while receiving: a channel with no dirty pages waits for the
     * next round, which a low bandwidth cap can make long; a source that vanished without a
     * FIN still gives the memory back within 10 minutes. At READY the source answers at once,
     * so one silent check is enough.
     */
    private static final int IDLE_CHECKS_RECEIVING = 20;

    private final IncomingMigrations incoming;
    private IncomingMigration migration;
    private int channelIndex = -1;
    private int silentChecks;
    private String failure;

    IncomingChannelHandler(IncomingMigrations incoming) {
        this.incoming = incoming;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        silentChecks = 0;
        try {
            if (migration == null) {
                hello(ctx, msg);
            } else {
                dispatch(msg);
            }
        } catch (StreamException e) {
            fail(ctx, e);
        } catch (RuntimeException e) {
            fail(ctx, new StreamException(StreamErrorCode.INTERNAL, e.toString()));
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    private void hello(ChannelHandlerContext ctx, Object msg) throws StreamException {
        if (!(msg instanceof Control control) || !control.hasHello()) {
            throw new StreamException(StreamErrorCode.BAD_FRAME, "the first frame must be a Hello, got " + msg);
        }
        var hello = control.getHello();
        if (hello.getProtocolVersion() != dev.ferry.common.wire.PageStreamFormat.PROTOCOL_VERSION) {
            throw new StreamException(StreamErrorCode.BAD_VERSION, "protocol version " + hello.getProtocolVersion()
                    + " not supported; this agent speaks " + dev.ferry.common.wire.PageStreamFormat.PROTOCOL_VERSION);
        }
        IncomingMigration candidate = incoming.forHello(hello);
        channelIndex = candidate.attach(hello, new NettyControlSink(ctx.channel()));
        migration = candidate;
        PlacingFrameDecoder framing = ctx.pipeline().get(PlacingFrameDecoder.class);
        if (framing != null) {
            int channel = channelIndex;
            framing.placeInto(pages -> candidate.placementFor(channel, pages));
        }
    }

    private void dispatch(Object msg) throws StreamException {
        switch (msg) {
            case PlacedPages placed -> migration.applyPlaced(channelIndex, placed);
            case PageBatch batch -> migration.applyPages(channelIndex, batch);
            case ZeroPageBatch zeros -> migration.applyZeroPages(channelIndex, zeros);
            case Control control -> migration.onControl(channelIndex, control);
            default -> throw new StreamException(StreamErrorCode.BAD_FRAME, "unexpected message " + msg);
        }
    }

    private void fail(ChannelHandlerContext ctx, StreamException e) {
        log.warn("page stream from {}: {} {}", ctx.channel().remoteAddress(), e.code(), e.getMessage());
        failure = e.code() + ": " + e.getMessage();  // the close that follows the error must not hide why
        if (migration != null) {
            migration.fail(channelIndex, e);  // says the error on this channel and discards, in one step
        } else {
            new NettyControlSink(ctx.channel()).fail(e);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        StreamErrorCode code = cause instanceof DecoderException ? StreamErrorCode.BAD_FRAME : StreamErrorCode.INTERNAL;
        fail(ctx, new StreamException(code, cause.getMessage() == null ? cause.toString() : cause.getMessage()));
    }

    /** A source that vanished without closing (power loss, partition) must not hold the reservation forever. */
    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
        if (!(event instanceof IdleStateEvent)) {
            ctx.fireUserEventTriggered(event);
            return;
        }
        silentChecks++;
        IncomingState state = migration == null ? IncomingState.RESERVED : migration.state();
        boolean waitingForCommit = state == IncomingState.READY;
        if (state == IncomingState.ACTIVE || (!waitingForCommit && silentChecks < IDLE_CHECKS_RECEIVING)) {
            return;
        }
        fail(ctx, new StreamException(StreamErrorCode.ABORTED, "nothing from the source for "
                + silentChecks * IDLE_CHECK_SECONDS + " s " + (waitingForCommit ? "while READY" : "while receiving")
                + "; this copy is discarded"));
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (migration != null && failure != null) {
            migration.discard(failure);
        } else if (migration != null) {
            migration.channelClosed(channelIndex);
        }
    }
}
