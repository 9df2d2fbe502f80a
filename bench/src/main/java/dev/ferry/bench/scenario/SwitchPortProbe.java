package dev.ferry.bench.scenario;

import dev.ferry.common.config.HostPort;
import dev.ferry.controller.kv.SwitchConnection;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Waits until a client can attach to a guest through every given switch port: the agent
 * that created it has announced it, or the others learnt where it runs from the controller.
 * Until then a client connecting through another agent would be refused.
 */
final class SwitchPortProbe {
    private SwitchPortProbe() {}

    static void awaitAttach(String guest, List<HostPort> ports, Duration limit) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        try {
            for (HostPort port : ports) {
                awaitAttach(group, guest, port, deadline, limit);
            }
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
    }

    private static void awaitAttach(EventLoopGroup group, String guest, HostPort port, long deadline, Duration limit)
            throws InterruptedException {
        String refused = "";
        while (System.nanoTime() - deadline < 0) {
            try {
                SwitchConnection.open(group, port, guest, Duration.ofSeconds(2)).close();
                return;
            } catch (IOException e) {
                refused = e.getMessage();
                Thread.sleep(50);
            }
        }
        throw new IllegalStateException("guest " + guest + " not reachable through the switch port " + port + " within "
                + limit.toSeconds() + " s: " + refused);
    }
}
