package dev.ferry.agent.network;

import dev.ferry.common.config.HostPort;
import dev.ferry.common.net.SwitchCodec;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * This host's switch port on the network: the server clients and peers connect to, the
 * trunks to the peers, and the {@link VirtualSwitch} between them. One event loop thread:
 * the traffic is small frames, and page streams have their own loops.
 */
public final class SwitchTransport implements AutoCloseable {
    private final EventLoopGroup group;
    private final PeerTrunks trunks;
    private final VirtualSwitch vswitch;
    private final Channel server;

    private SwitchTransport(EventLoopGroup group, PeerTrunks trunks, VirtualSwitch vswitch, Channel server) {
        this.group = group;
        this.trunks = trunks;
        this.vswitch = vswitch;
        this.server = server;
    }

    public static SwitchTransport start(String host, InetSocketAddress listen) {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        PeerTrunks trunks = new PeerTrunks(host, group);
        VirtualSwitch vswitch = new VirtualSwitch(host, trunks, group.next());  // the group's one loop
        try {
            Channel server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            SwitchCodec.install(ch.pipeline()).addLast(new SwitchPortHandler(vswitch));
                        }
                    })
                    .bind(listen).syncUninterruptibly().channel();
            return new SwitchTransport(group, trunks, vswitch, server);
        } catch (RuntimeException e) {
            vswitch.close();
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            throw e;
        }
    }

    public VirtualSwitch vswitch() {
        return vswitch;
    }

    public InetSocketAddress localAddress() {
        return (InetSocketAddress) server.localAddress();
    }

    /** The other hosts' switch ports (from the controller's heartbeat answers). */
    public void updatePeers(Map<String, HostPort> peers) {
        trunks.updatePeers(peers);
    }

    /** Stops accepting, lets the switch finish what is queued, closes trunks, stops the loop; bounded. */
    @Override
    public void close() {
        server.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        try {
            vswitch.flush(Duration.ofSeconds(2));
        } catch (IllegalStateException e) {
            // shutting down anyway
        }
        vswitch.close();
        trunks.close();
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
}
