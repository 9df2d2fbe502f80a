package dev.ferry.agent;

import dev.ferry.agent.host.HostOperations;
import dev.ferry.agent.host.LocalGuests;
import dev.ferry.agent.migration.IncomingMigrations;
import dev.ferry.agent.migration.MigrationTimeouts;
import dev.ferry.agent.network.SwitchTransport;
import dev.ferry.agent.storage.SharedStorage;
import dev.ferry.agent.rpc.AgentGrpcService;
import dev.ferry.agent.rpc.ControllerLink;
import dev.ferry.agent.transport.PageStreamTransport;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One agent daemon, wired together: page-stream transport, host operations, gRPC server,
 * controller link. Starts in dependency order and closes in reverse, each step bounded.
 */
public final class Agent implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Agent.class);

    private final AgentConfig config;
    private final PageStreamTransport transport;
    private final HostOperations host;
    private final Server server;
    private final ControllerLink link;
    private final SwitchTransport network;

    private Agent(AgentConfig config, PageStreamTransport transport, SwitchTransport network, HostOperations host,
                  Server server, ControllerLink link) {
        this.network = network;
        this.config = config;
        this.transport = transport;
        this.host = host;
        this.server = server;
        this.link = link;
    }

    public static Agent start(AgentConfig config) {
        return start(config, MigrationTimeouts.DEFAULT);
    }

    public static Agent start(AgentConfig config, MigrationTimeouts timeouts) {
        SharedStorage storage = config.storage() == null ? null : new SharedStorage(config.storage());
        IncomingMigrations incoming = new IncomingMigrations();
        SwitchTransport network = SwitchTransport.start(config.name(), config.netListen());
        PageStreamTransport transport;
        try {
            transport = PageStreamTransport.start(config.dataListen(), incoming,
                    Math.max(2, Runtime.getRuntime().availableProcessors()));
        } catch (RuntimeException e) {
            network.close();
            throw e;
        }
        HostOperations host = new HostOperations(config.name(), config.advertiseHost(),
                new LocalGuests(config.capacityBytes(), incoming), incoming, transport, timeouts, config.reservationTimeout(),
                network.vswitch(), storage);
        try {
            MigrationWarmup.run(incoming, transport, Path.of(System.getProperty("java.io.tmpdir")));
        } catch (RuntimeException e) {
            // a head start only: the agent serves without it, its first migrations just run colder
            log.warn("migration warm-up failed: {}", e.toString());
        }
        Server server;
        try {
            // the controller pings long watches (keepalive) to notice a vanished agent; allow it
            server = NettyServerBuilder.forAddress(config.listen()).permitKeepAliveTime(10, TimeUnit.SECONDS)
                    .addService(new AgentGrpcService(host)).build().start();
        } catch (IOException e) {
            host.close();
            transport.close();
            network.close();
            throw new UncheckedIOException("cannot listen for gRPC on " + config.listen() + ": " + e.getMessage(), e);
        }
        String grpcAddress = config.advertiseHost() + ":" + ((InetSocketAddress) server.getListenSockets().getFirst()).getPort();
        String netAddress = config.advertiseHost() + ":" + network.localAddress().getPort();
        ControllerLink link = null;
        if (config.controller() != null) {
            link = new ControllerLink(config.controller(), host, grpcAddress, netAddress, network);
            host.onPlacementChange(link::heartbeatNow);
            link.start(config.heartbeat());
        }
        log.info("agent {} up: gRPC {}, page stream {}:{}, switch port {}, storage {}, capacity {} bytes, controller {}",
                config.name(), grpcAddress, config.advertiseHost(), transport.localAddress().getPort(), netAddress,
                config.storage() == null ? "none" : config.storage(), config.capacityBytes(), config.controller());
        return new Agent(config, transport, network, host, server, link);
    }

    public String name() {
        return config.name();
    }

    public String grpcAddress() {
        return config.advertiseHost() + ":" + grpcPort();
    }

    public int grpcPort() {
        return ((InetSocketAddress) server.getListenSockets().getFirst()).getPort();
    }

    public InetSocketAddress dataAddress() {
        return transport.localAddress();
    }

    /** The virtual-switch port clients attach to. */
    public InetSocketAddress netAddress() {
        return network.localAddress();
    }

    public HostOperations host() {
        return host;
    }

    @Override
    public void close() {
        log.info("agent {} shutting down", config.name());
        if (link != null) {
            step("controller link", link::close);
        }
        step("gRPC server", () -> {
            server.shutdown();
            if (!server.awaitTermination(3, TimeUnit.SECONDS)) {
                server.shutdownNow();
            }
        });
        step("migrations", host::stopMigrations);
        step("page stream", transport::close);
        step("switch port", network::close);
        step("guests", host::closeGuests);
    }

    private void step(String what, ThrowingRunnable step) {
        try {
            step.run();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            log.warn("shutdown of {} interrupted", what);
        } catch (Exception e) {
            log.warn("shutdown of {} failed; continuing", what, e);
        }
    }

    private interface ThrowingRunnable {
        void run() throws Exception;
    }
}
