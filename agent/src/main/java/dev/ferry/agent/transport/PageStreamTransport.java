package dev.ferry.agent.transport;

import dev.ferry.agent.migration.IncomingMigrations;
import dev.ferry.common.wire.ControlEncoder;
import dev.ferry.common.wire.PageStreamDecoder;
import dev.ferry.common.wire.PageStreamFraming;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.timeout.IdleStateHandler;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The agent's Netty side of the page stream: one server for incoming migrations, and
 * outgoing connections to peers, sharing one event loop group. Pipelines: framing and
 * codec first, the thin protocol adapter last.
 */
public final class PageStreamTransport implements AutoCloseable {
    /**
     * Two 1 MiB frames at most queued before the socket: the source's event loop hashes a
     * frame and writes it (LoopRound), and with a short queue the socket's copy finds the
     * frame still in the core's cache; the socket's own buffer (up to 4 MiB) keeps the
     * stream going. 8/16 MiB hashed up to 16 MiB ahead of the copy: A/B with scripts/bench
     * (idle-random, two pairs): total 1986/2489 ms with 8/16 MiB, 1505/2194 ms with 1/2 MiB;
     * dirty-uniform downtime no worse. Each pre-copy round ends with a SYNC, so nothing
     * queued here is still in flight when the guest pauses.
     */
    private static final WriteBufferWaterMark WATER_MARK = new WriteBufferWaterMark(1 << 20, 2 << 20);
    /** Page frames are 1 MiB: read in large pieces, not Netty's default 64 KiB at most. */
    private static final AdaptiveRecvByteBufAllocator READS = new AdaptiveRecvByteBufAllocator(64 << 10, 256 << 10, 1 << 20);
    /** The destination's reads: sized as above, or straight into guest memory (PlacingFrameDecoder). */
    private static final PlacingReads PLACING_READS = new PlacingReads(READS);
    private static final ControlEncoder CONTROL_ENCODER = new ControlEncoder();

    private final EventLoopGroup group;
    private final Channel server;

    private PageStreamTransport(EventLoopGroup group, Channel server) {
        this.group = group;
        this.server = server;
    }

    public static PageStreamTransport start(InetSocketAddress listen, IncomingMigrations incoming, int threads) {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(threads, NioIoHandler.newFactory());
        try {
            Channel server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childOption(ChannelOption.RCVBUF_ALLOCATOR, PLACING_READS)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline().addLast(new PlacingFrameDecoder(placer(ch)), new PageStreamDecoder(), CONTROL_ENCODER)
                                    .addLast(new IdleStateHandler(IncomingChannelHandler.IDLE_CHECK_SECONDS, 0, 0))
                                    .addLast(new IncomingChannelHandler(incoming));
                        }
                    })
                    .bind(listen).syncUninterruptibly().channel();
            return new PageStreamTransport(group, server);
        } catch (RuntimeException e) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            throw e;
        }
    }

    /** The channel's read handle, which places reads where the decoder says; any other handle never places. */
    private static PlacingFrameDecoder.Placer placer(SocketChannel ch) {
        if (ch.unsafe().recvBufAllocHandle() instanceof PlacingReads.PlacingHandle handle) {
            return handle;
        }
        return new PlacingFrameDecoder.Placer() {
            @Override
            public void placeNextRead(java.nio.ByteBuffer target) {
            }

            @Override
            public void limitNextRead(int bytes) {
            }

            @Override
            public boolean isPlaced(Object message) {
                return false;
            }
        };
    }

    static ChannelPipeline codec(ChannelPipeline pipeline) {
        return pipeline.addLast(new PageStreamFraming(), new PageStreamDecoder(), CONTROL_ENCODER);
    }

    public InetSocketAddress localAddress() {
        return (InetSocketAddress) server.localAddress();
    }

    /** Opens one channel to a peer's page-stream server. */
    public PeerChannel connect(String host, int port, Duration timeout) throws IOException {
        PeerChannel[] peer = new PeerChannel[1];
        Bootstrap bootstrap = new Bootstrap().group(group).channel(NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, WATER_MARK)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) timeout.toMillis())
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        codec(ch.pipeline());
                        peer[0] = PeerChannel.attach(ch);
                    }
                });
        var future = bootstrap.connect(host, port).awaitUninterruptibly();
        if (!future.isSuccess()) {
            throw new IOException("cannot connect to page stream at " + host + ":" + port + ": " + future.cause().getMessage(), future.cause());
        }
        return peer[0];
    }

    /** Stops accepting, then stops the event loops; bounded. */
    @Override
    public void close() {
        server.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
}
