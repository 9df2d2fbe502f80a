package dev.ferry.controller;

import dev.ferry.common.config.HostPort;
import dev.ferry.proto.v1.ControllerServiceGrpc;
import dev.ferry.proto.v1.HeartbeatRequest;
import dev.ferry.proto.v1.HostInfo;
import dev.ferry.proto.v1.RegisterHostRequest;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A controller with fake agents, all in this JVM. Agents are served in-process and the
 * controller reaches them through an injected in-process channel factory. The controller
 * itself is served in-process ({@link #startInProcess}) or on a loopback port
 * ({@link #startOnLoopback}, for the CLI). {@link #close} stops everything in reverse order.
 */
public final class TestCluster implements AutoCloseable {

    public static final long GIB = 1L << 30;

    public final FakeClock clock = new FakeClock(Instant.parse("2025-01-01T00:00:00Z"));
    public final Map<String, FakeAgent> agents = new LinkedHashMap<>();
    private final Deque<AutoCloseable> closers = new ArrayDeque<>();
    private final String prefix = "ferry-test-" + System.nanoTime() + "-";
    private final ControllerConfig config = ControllerConfig.defaults().withListen(new HostPort("127.0.0.1", 0))
            .withWatchRetries(2, Duration.ZERO);
    private final Controller controller;
    private ControllerServiceGrpc.ControllerServiceBlockingStub stub;

    public TestCluster() {
        controller = new Controller(config, clock,
                address -> InProcessChannelBuilder.forName(address).directExecutor().build());
        closers.push(controller::close);
    }

    /** Starts a fake agent for each host (not yet registered). */
    public TestCluster withAgents(String... hosts) throws IOException {
        for (String host : hosts) {
            FakeAgent agent = new FakeAgent(host);
            Server server = InProcessServerBuilder.forName(prefix + host).directExecutor().addService(agent).build().start();
            closers.push(() -> stop(server));
            agents.put(host, agent);
        }
        return this;
    }

    public ControllerServiceGrpc.ControllerServiceBlockingStub startInProcess() throws IOException {
        Server server = InProcessServerBuilder.forName(prefix + "controller").directExecutor()
                .addService(controller.service()).build().start();
        closers.push(() -> stop(server));
        return connect(InProcessChannelBuilder.forName(prefix + "controller").directExecutor().build());
    }

    /** Serves the controller on a loopback port like the daemon does; returns {@code 127.0.0.1:PORT}. */
    public String startOnLoopback(Optional<Path> portFile) throws IOException {
        ControllerServer server = ControllerServer.start(config.withPortFile(portFile), controller);
        closers.push(server::close);
        String address = server.bound().toString();
        connect(ManagedChannelBuilder.forTarget(address).usePlaintext().build());
        return address;
    }

    public ControllerServiceGrpc.ControllerServiceBlockingStub stub() {
        return stub.withDeadlineAfter(10, TimeUnit.SECONDS);
    }

    /** Registers every fake agent with the controller, 8 GiB each. */
    public void registerAll() {
        agents.keySet().forEach(host -> stub().registerHost(RegisterHostRequest.newBuilder().setHost(HostInfo.newBuilder()
                .setName(host).setGrpcAddress(prefix + host).setMemoryCapacityBytes(8 * GIB)).build()));
    }

    /** Sends a heartbeat for the host reporting what its fake agent holds. */
    public boolean heartbeat(String host) {
        FakeAgent agent = agents.get(host);
        return !stub().heartbeat(HeartbeatRequest.newBuilder().setHost(host).setMemoryUsedBytes(GIB)
                .addAllGuests(agent == null ? List.of() : agent.guests.values()).build()).getReregister();
    }

    private ControllerServiceGrpc.ControllerServiceBlockingStub connect(ManagedChannel channel) {
        stub = ControllerServiceGrpc.newBlockingStub(channel(channel));
        return stub();
    }

    private ManagedChannel channel(ManagedChannel channel) {
        closers.push(() -> stop(channel));
        return channel;
    }

    @Override
    public void close() {
        while (!closers.isEmpty()) {
            try {
                closers.pop().close();
            } catch (Exception e) {
                throw new AssertionError("shutdown step failed", e);
            }
        }
    }

    private static void stop(Server server) throws InterruptedException {
        server.shutdownNow();
        if (!server.awaitTermination(5, TimeUnit.SECONDS)) {
            throw new AssertionError("server did not stop in 5 s");
        }
    }

    private static void stop(ManagedChannel channel) throws InterruptedException {
        channel.shutdownNow();
        if (!channel.awaitTermination(5, TimeUnit.SECONDS)) {
            throw new AssertionError("channel did not close in 5 s");
        }
    }
}
