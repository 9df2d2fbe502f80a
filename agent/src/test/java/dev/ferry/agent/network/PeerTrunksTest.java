package dev.ferry.agent.network;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.ferry.common.config.HostPort;
import dev.ferry.proto.v1.SwitchMessage;
import dev.ferry.proto.v1.TrunkFrame;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A trunk to a peer that stops reading drops frames past its water mark instead of queueing without bound. */
class PeerTrunksTest {
    @Test
    @Timeout(60)
    void aTrunkToAPeerThatDoesNotReadDropsInsteadOfQueueingWithoutBound() throws Exception {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        try (ServerSocket silent = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            silent.setReceiveBufferSize(4096);
            PeerTrunks trunks = new PeerTrunks("a", group);
            trunks.updatePeers(Map.of("b", new HostPort("127.0.0.1", silent.getLocalPort())));
            SwitchMessage frame = SwitchMessage.newBuilder().setTrunk(TrunkFrame.newBuilder()
                    .setFrame(ByteString.copyFrom(new byte[4000])).setOriginHost("a")).build();
            assertTrue(trunks.send("b", frame));  // opens the trunk
            try (Socket accepted = silent.accept()) {  // connected, never read
                long sent = 1;
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                // 16 MiB of water mark plus what the kernel buffers, in 4 KB frames, then some
                while (trunks.dropped("b") == 0 && System.nanoTime() < deadline) {
                    assertTrue(trunks.send("b", frame));
                    if (++sent % 1000 == 0) {
                        Thread.sleep(5);  // let the event loop write what it can
                    }
                }
                assertTrue(trunks.dropped("b") > 0, "the trunk dropped once it fell behind, after " + sent + " frames");
                long before = trunks.dropped("b");
                for (int i = 0; i < 1000; i++) {
                    assertTrue(trunks.send("b", frame));
                }
                assertEquals(before + 1000, trunks.dropped("b"), "while the peer does not read, nothing more is queued");
            } finally {
                trunks.close();
            }
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
        assertEquals(0, new PeerTrunks("x", group).dropped("nobody"));
    }
}
