package dev.ferry.agent.migration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ferry.agent.transport.PeerChannel;
import dev.ferry.common.testing.Await;
import dev.ferry.common.memory.GuestMemory;
import dev.ferry.common.memory.PageDigest;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Rounds on several real loopback channels whose destination does not read, so each
 * channel fills up and its round waits on its event loop: one channel failing must stop
 * the others before the failure propagates (a round still harvesting after a rollback
 * re-marked the bitmap would clear bits of pages it then never sends), and channels
 * failing together must end the round once, without a hang.
 */
@Timeout(60)
class ParallelRoundsTest {
    private static final int PAGES = 8192;  // 32 MiB: far more than two small sockets and the water marks hold
    private static final Duration WRITABLE_TIMEOUT = Duration.ofSeconds(30);

    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
    private final GuestMemory memory = GuestMemory.allocate((long) PAGES * GuestMemory.PAGE_SIZE);
    private final PageDigest sent = PageDigest.ofZeroMemory(PAGES);
    /** The destination's ends, as they are accepted: never read from until a test says so. */
    private final BlockingQueue<Channel> accepted = new LinkedBlockingQueue<>();
    private final List<PeerChannel> peers = new ArrayList<>();
    private final List<Channel> sourceChannels = new ArrayList<>();
    private Channel server;

    @BeforeEach
    void setUp() throws Exception {
        server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childOption(ChannelOption.AUTO_READ, false)
                .childOption(ChannelOption.SO_RCVBUF, 64 << 10)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        accepted.add(ch);
                    }
                })
                .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
        for (int page = 0; page < PAGES; page++) {
            memory.fillPage(page, page + 1, 7);  // not zero: every page goes as data
        }
    }

    @AfterEach
    void tearDown() {
        peers.forEach(PeerChannel::close);
        if (server != null) {
            server.close().syncUninterruptibly();
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        memory.close();
    }

    @Test
    void aFailingChannelStopsTheOthersBeforeTheRoundFails() throws Exception {
        List<ChannelSender> senders = senders(2);
        List<Channel> destinations = destinations(senders);
        // channel 0's destination goes away; channel 1's just stops reading
        Thread closer = onceAllStuck(senders, () -> destinations.get(0).close());

        long start = System.nanoTime();
        IOException failure = assertThrows(IOException.class, () -> ParallelRounds.run(senders, 0, () -> {}));
        assertTrue(closer.join(Duration.ofSeconds(20)));

        assertTrue(failure.getMessage().startsWith("channel 0 to the destination closed"), failure.getMessage());
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(20),
                "ended by the failure, not by channel 1's writable timeout");
        long dirty = memory.dirtyBitmap().dirtyPages();
        destinations.get(1).config().setAutoRead(true);  // channel 1 drains: a round still running would send more
        Thread.sleep(300);
        assertEquals(dirty, memory.dirtyBitmap().dirtyPages(), "channel 1's round was stopped: it harvests nothing more");
        assertTrue(dirty > 0, "pages were left for the next round");
    }

    @Test
    void channelsFailingTogetherEndTheRoundOnce() throws Exception {
        List<ChannelSender> senders = senders(3);
        List<Channel> destinations = destinations(senders);
        Thread closer = onceAllStuck(senders, () -> destinations.forEach(Channel::close));  // every destination at once

        IOException failure = assertThrows(IOException.class, () -> ParallelRounds.run(senders, 0, () -> {}));
        assertTrue(closer.join(Duration.ofSeconds(20)));

        assertTrue(failure.getMessage().contains("to the destination closed"), failure.getMessage());
        for (ChannelSender sender : senders) {  // the first failure stopped the others: their closes may still be on the way
            Await.until(() -> sender.peer().closeReason() != null, Duration.ofSeconds(10),
                    "channel " + sender.index() + " to see its close");
        }
    }

    private List<ChannelSender> senders(int channels) throws Exception {
        List<ChannelSender> senders = new ArrayList<>();
        for (int i = 0; i < channels; i++) {
            PeerChannel[] peer = new PeerChannel[1];
            Channel channel = new Bootstrap().group(group).channel(NioSocketChannel.class)
                    .option(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(1 << 20, 2 << 20))
                    .option(ChannelOption.SO_SNDBUF, 64 << 10)
                    .handler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            peer[0] = PeerChannel.attach(ch);
                        }
                    })
                    .connect(server.localAddress()).sync().channel();
            sourceChannels.add(channel);
            peers.add(peer[0]);
            senders.add(new ChannelSender(i, channels, peer[0], memory, sent, new BandwidthLimiter(0), WRITABLE_TIMEOUT,
                    () -> false));
        }
        return senders;
    }

    /** The destination's end of each sender's channel, in the senders' order (matched by address: accepts may be reordered). */
    private List<Channel> destinations(List<ChannelSender> senders) throws InterruptedException {
        List<Channel> all = new ArrayList<>();
        for (int i = 0; i < senders.size(); i++) {
            Channel ch = accepted.poll(10, TimeUnit.SECONDS);
            assertNotNull(ch, "accepted channel " + i);
            all.add(ch);
        }
        List<Channel> ordered = new ArrayList<>();
        for (Channel source : sourceChannels) {
            ordered.add(all.stream().filter(ch -> ch.remoteAddress().equals(source.localAddress())).findFirst().orElseThrow());
        }
        return ordered;
    }

    /** Runs {@code fault} on a thread of its own once every channel is stuck behind its full socket (or after 10 s). */
    private static Thread onceAllStuck(List<ChannelSender> senders, Runnable fault) {
        return Thread.ofPlatform().daemon().start(() -> {
            awaitUnwritable(senders);
            fault.run();
        });
    }

    /** Bounded: every channel stuck behind its full socket, or 10 s. */
    private static void awaitUnwritable(List<ChannelSender> senders) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline && senders.stream().anyMatch(s -> s.peer().isWritable())) {
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
