package dev.ferry.agent.network;

import dev.ferry.common.config.HostPort;
import dev.ferry.common.net.SwitchCodec;
import dev.ferry.proto.v1.PeerHello;
import dev.ferry.proto.v1.SwitchMessage;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.util.ReferenceCountUtil;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Outgoing trunks to the other hosts' switch ports, one TCP connection each, opened on
 * first use. Messages sent while connecting wait (bounded) and go out in order once the
 * PeerHello has; a failed connection drops them (clients retransmit) and the next send
 * tries again. Peer addresses come from the controller.
 */
final class PeerTrunks implements Trunks {
    private static final Logger log = LoggerFactory.getLogger(PeerTrunks.class);
    static final int PENDING_LIMIT = 8192;
    /**
     * A trunk may queue this much unsent before it drops frames (clients retransmit): room
     * for a whole hold buffer (4096 frames of up to 4 KiB) passed on at a hand-off.
     */
    static final WriteBufferWaterMark WATER_MARK = new WriteBufferWaterMark(16 << 20, 24 << 20);
    private static final int CONNECT_TIMEOUT_MILLIS = 2000;

    private final String host;
    private final EventLoopGroup group;
    private final Map<String, HostPort> addresses = new ConcurrentHashMap<>();
    private final Map<String, Trunk> trunks = new ConcurrentHashMap<>();

    PeerTrunks(String host, EventLoopGroup group) {
        this.host = host;
        this.group = group;
    }

    /** Every other host's switch port, as the controller knows them; a changed address reconnects. */
    void updatePeers(Map<String, HostPort> peers) {
        peers.forEach((name, address) -> {
            if (!name.equals(host) && !address.equals(addresses.put(name, address))) {
                Trunk old = trunks.remove(name);
                if (old != null) {
                    old.close();
                }
            }
        });
    }

    @Override
    public boolean send(String peer, SwitchMessage message) {
        HostPort address = addresses.get(peer);
        if (address == null) {
            return false;
        }
        trunks.computeIfAbsent(peer, p -> new Trunk(p, address)).send(message);
        return true;
    }

    @Override
    public Set<String> peers() {
        return Set.copyOf(addresses.keySet());
    }

    void close() {
        trunks.values().forEach(Trunk::close);
    }

    /** Messages dropped so far on the trunk to {@code peer} because it fell behind. */
    long dropped(String peer) {
        Trunk trunk = trunks.get(peer);
        return trunk == null ? 0 : trunk.dropped();
    }

    private final class Trunk {
        private final String peer;
        private final HostPort address;
        private final ArrayDeque<SwitchMessage> pending = new ArrayDeque<>();
        private Channel channel;
        private boolean connecting;
        private long dropped;

        Trunk(String peer, HostPort address) {
            this.peer = peer;
            this.address = address;
        }

        synchronized void send(SwitchMessage message) {
            if (channel != null && channel.isActive()) {
                if (!channel.isWritable()) {
                    if (dropped++ % 1000 == 0) {
                        log.warn("trunk to {} is congested ({} bytes queued): dropped {} messages so far; clients "
                                + "retransmit", peer, channel.unsafe().outboundBuffer().totalPendingWriteBytes(), dropped);
                    }
                    return;
                }
                channel.writeAndFlush(message, channel.voidPromise());
                return;
            }
            if (pending.size() >= PENDING_LIMIT) {
                log.warn("trunk to {}: {} messages already wait for the connection; dropping one", peer, PENDING_LIMIT);
                return;
            }
            pending.addLast(message);
            if (!connecting) {
                connecting = true;
                connect();
            }
        }

        private void connect() {
            ChannelFuture future = new Bootstrap().group(group).channel(NioSocketChannel.class)
                    .option(ChannelOption.TCP_NODELAY, true)
                    .option(ChannelOption.WRITE_BUFFER_WATER_MARK, WATER_MARK)
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, CONNECT_TIMEOUT_MILLIS)
                    .handler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            // peers never answer on a trunk; inbound is ignored, a failure closes it (the next send reconnects)
                            SwitchCodec.install(ch.pipeline()).addLast(new ChannelInboundHandlerAdapter() {
                                @Override
                                public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                    ReferenceCountUtil.release(msg);
                                }

                                @Override
                                public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                                    log.debug("trunk to {}: {}; closing it", peer, cause.toString());
                                    ctx.close();
                                }
                            });
                        }
                    })
                    .connect(address.host(), address.port());
            future.addListener(f -> connected(future.channel(), f.isSuccess() ? null : f.cause()));
        }

        private synchronized void connected(Channel ch, Throwable failure) {
            connecting = false;
            if (failure != null) {
                log.warn("trunk to {} at {}: cannot connect ({}); dropped {} messages, next send retries", peer, address,
                        failure.getMessage(), pending.size());
                pending.clear();
                return;
            }
            channel = ch;
            ch.write(SwitchMessage.newBuilder().setPeerHello(PeerHello.newBuilder().setHost(host)).build(), ch.voidPromise());
            for (SwitchMessage message : pending) {
                ch.write(message, ch.voidPromise());
            }
            pending.clear();
            ch.flush();
        }

        synchronized long dropped() {
            return dropped;
        }

        synchronized void close() {
            if (channel != null) {
                channel.close();
            }
        }
    }
}
