package dev.ferry.controller.kv;

import com.google.protobuf.ByteString;
import dev.ferry.common.config.HostPort;
import dev.ferry.common.net.SwitchCodec;
import dev.ferry.proto.v1.Attach;
import dev.ferry.proto.v1.Attached;
import dev.ferry.proto.v1.Notice;
import dev.ferry.proto.v1.SwitchMessage;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A client's connection to one agent's switch port, attached to one guest: payloads out,
 * {@link Event}s in (the guest's payloads, the switch's notices, the close).
 */
public final class SwitchConnection implements AutoCloseable {
    /** What arrives on the connection, in order. */
    public sealed interface Event {}

    public record Payload(byte[] bytes, long arrivedNanos) implements Event {}

    public record Problem(Notice notice) implements Event {}

    public record Closed() implements Event {}

    private final Channel channel;
    private final BlockingQueue<Event> events;
    private final Attached attached;

    private SwitchConnection(Channel channel, BlockingQueue<Event> events, Attached attached) {
        this.channel = channel;
        this.events = events;
        this.attached = attached;
    }

    /** Connects to {@code ingress} and attaches to {@code guest} (name or MAC). */
    public static SwitchConnection open(EventLoopGroup group, HostPort ingress, String guest, Duration timeout)
            throws IOException, InterruptedException {
        BlockingQueue<Event> events = new LinkedBlockingQueue<>();
        ChannelFuture connect = new Bootstrap().group(group).channel(NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) timeout.toMillis())
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        SwitchCodec.install(ch.pipeline()).addLast(new Inbound(events));
                    }
                })
                .connect(ingress.host(), ingress.port()).await();
        if (!connect.isSuccess()) {
            throw new IOException("cannot reach the switch port of " + ingress + ": " + connect.cause().getMessage(),
                    connect.cause());
        }
        Channel channel = connect.channel();
        channel.writeAndFlush(SwitchMessage.newBuilder().setAttach(Attach.newBuilder().setGuest(guest)).build());
        Event first = events.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (first instanceof AttachedEvent a) {
            return new SwitchConnection(channel, events, a.attached());
        }
        channel.close();
        throw new IOException(switch (first) {
            case null -> "no answer from the switch port of " + ingress + " within " + timeout.toMillis() + " ms";
            case Problem p -> p.notice().getMessage();
            default -> "the switch port of " + ingress + " closed the connection";
        });
    }

    /** The Attached answer, delivered as the first event. */
    private record AttachedEvent(Attached attached) implements Event {}

    public String clientMac() {
        return attached.getClientMac();
    }

    public String guestMac() {
        return attached.getGuestMac();
    }

    public void send(byte[] payload) {
        channel.writeAndFlush(SwitchMessage.newBuilder().setPayload(ByteString.copyFrom(payload)).build(), channel.voidPromise());
    }

    /** The next event, or null after {@code timeoutNanos}. */
    public Event next(long timeoutNanos) throws InterruptedException {
        return events.poll(timeoutNanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void close() {
        channel.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
    }

    private static final class Inbound extends SimpleChannelInboundHandler<SwitchMessage> {
        private final BlockingQueue<Event> events;

        Inbound(BlockingQueue<Event> events) {
            this.events = events;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, SwitchMessage message) {
            switch (message.getBodyCase()) {
                case ATTACHED -> events.add(new AttachedEvent(message.getAttached()));
                case PAYLOAD -> events.add(new Payload(message.getPayload().toByteArray(), System.nanoTime()));
                case NOTICE -> events.add(new Problem(message.getNotice()));
                default -> { }  // nothing else is meant for clients
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            events.add(new Closed());
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
