package dev.ferry.controller;

import dev.ferry.common.config.HostPort;
import dev.ferry.common.config.PortFile;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The controller bound to a TCP port: the daemon, or a loopback controller in tests. */
public final class ControllerServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ControllerServer.class);

    private final ControllerConfig config;
    private final Controller controller;
    private final Server server;

    private ControllerServer(ControllerConfig config, Controller controller, Server server) {
        this.config = config;
        this.controller = controller;
        this.server = server;
    }

    /** Binds, then publishes the bound address in the port file if one was asked for. */
    public static ControllerServer start(ControllerConfig config, Controller controller) throws IOException {
        Server server = NettyServerBuilder.forAddress(config.listen().toSocketAddress())
                .addService(controller.service()).build().start();
        ControllerServer started = new ControllerServer(config, controller, server);
        LOG.info("controller listening on {}", started.bound());
        if (config.portFile().isPresent()) {
            PortFile.write(config.portFile().get(), started.bound().toString());
        }
        return started;
    }

    public HostPort bound() {
        InetSocketAddress address = (InetSocketAddress) server.getListenSockets().getFirst();
        return new HostPort(config.listen().host(), address.getPort());
    }

    public void awaitTermination() throws InterruptedException {
        server.awaitTermination();
    }

    /** Stops taking calls (open watches are cut after a bounded wait), then closes the controller. */
    @Override
    public void close() {
        LOG.info("stopping the gRPC server");
        server.shutdown();
        awaitOrForce();
        controller.close();
        LOG.info("controller stopped");
    }

    private void awaitOrForce() {
        try {
            if (!server.awaitTermination(config.shutdownTimeout().toMillis() / 5, TimeUnit.MILLISECONDS)) {
                server.shutdownNow();
                server.awaitTermination(config.shutdownTimeout().toMillis(), TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            server.shutdownNow();
        }
    }
}
