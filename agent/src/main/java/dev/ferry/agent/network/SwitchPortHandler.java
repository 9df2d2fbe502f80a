package dev.ferry.agent.network;

import dev.ferry.proto.v1.Notice;
import dev.ferry.proto.v1.NoticeCode;
import dev.ferry.proto.v1.SwitchMessage;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One connection to this host's switch port. Its first message says what it is: a client
 * (Attach) or a peer's trunk (PeerHello); after that it may only send what that kind sends.
 * Anything else gets a BAD_MESSAGE notice and the connection is closed; the switch and
 * every guest carry on.
 */
final class SwitchPortHandler extends SimpleChannelInboundHandler<SwitchMessage> {
    private static final Logger log = LoggerFactory.getLogger(SwitchPortHandler.class);

    private final VirtualSwitch vswitch;
    private ClientPort client;
    private String peer;

    SwitchPortHandler(VirtualSwitch vswitch) {
        this.vswitch = vswitch;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, SwitchMessage message) {
        switch (message.getBodyCase()) {
            case ATTACH -> {
                if (client != null || peer != null) {
                    refuse(ctx, "Attach must be the first and only Attach on a connection");
                    return;
                }
                client = new ClientPort(reply -> toClient(ctx, reply));
                vswitch.attach(client, message.getAttach().getGuest());
            }
            case PAYLOAD -> {
                if (client == null) {
                    refuse(ctx, "send Attach before any payload");
                    return;
                }
                vswitch.fromClient(client, message.getPayload().toByteArray());
            }
            case PEER_HELLO -> {
                if (client != null || peer != null) {
                    refuse(ctx, "PeerHello must be the first message on a trunk");
                    return;
                }
                peer = message.getPeerHello().getHost();
            }
            case TRUNK, ANNOUNCE, NOTICE -> {
                if (peer == null) {
                    refuse(ctx, message.getBodyCase() + " is only for trunks between agents (send PeerHello first)");
                    return;
                }
                switch (message.getBodyCase()) {
                    case TRUNK -> vswitch.fromPeer(message.getTrunk());
                    case ANNOUNCE -> vswitch.fromPeer(message.getAnnounce());
                    default -> vswitch.fromPeer(message.getNotice());
                }
            }
            default -> refuse(ctx, "unexpected " + message.getBodyCase() + " on a switch port");
        }
    }

    /** A client that does not read its replies loses them (bounded by the channel's water mark), not the switch its memory. */
    private static void toClient(ChannelHandlerContext ctx, SwitchMessage message) {
        if (ctx.channel().isWritable()) {
            ctx.writeAndFlush(message, ctx.voidPromise());
        } else {
            log.debug("client {} is not reading: dropped a {}", ctx.channel().remoteAddress(), message.getBodyCase());
        }
    }

    private void refuse(ChannelHandlerContext ctx, String why) {
        log.warn("switch port: closing connection from {}: {}", ctx.channel().remoteAddress(), why);
        ctx.writeAndFlush(SwitchMessage.newBuilder().setNotice(Notice.newBuilder().setCode(NoticeCode.BAD_MESSAGE)
                .setMessage(why)).build()).addListener(ChannelFutureListener.CLOSE);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (client != null) {
            vswitch.detach(client);
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // malformed length or protobuf: the stream cannot be resynchronised, so the connection goes
        refuse(ctx, "malformed message: " + cause.getMessage());
    }
}
