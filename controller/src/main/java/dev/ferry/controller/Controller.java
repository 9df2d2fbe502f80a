package dev.ferry.controller;

import dev.ferry.controller.cluster.AgentClients;
import dev.ferry.controller.cluster.Cluster;
import dev.ferry.controller.cluster.GuestDirectory;
import dev.ferry.controller.cluster.HostRegistry;
import dev.ferry.controller.migration.MigrationCoordinator;
import dev.ferry.controller.rpc.ControllerGrpcService;
import io.grpc.BindableService;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The controller's parts wired together, without a server: tests bind {@link #service()}
 * in-process, the daemon binds it on a socket. Calls to agents and migration watches run
 * on virtual threads, so blocking stubs are fine there and gRPC threads never wait.
 */
public final class Controller {

    private static final Logger LOG = LoggerFactory.getLogger(Controller.class);

    private final ControllerConfig config;
    private final AgentClients agents;
    private final ExecutorService agentCalls;
    private final MigrationCoordinator migrations;
    private final ControllerGrpcService service;

    public Controller(ControllerConfig config, Clock clock, Function<String, ManagedChannel> channelFactory) {
        this.config = config;
        this.agents = new AgentClients(channelFactory, config.shutdownTimeout());
        this.agentCalls = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("agent-call-", 0).factory());
        Cluster cluster = new Cluster(new HostRegistry(clock, config.heartbeatTimeout()), new GuestDirectory(),
                agents, agentCalls, config.agentCallTimeout());
        this.migrations = new MigrationCoordinator(cluster,
                Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("migration-", 0).factory()), clock,
                config.agentCallTimeout(), config.watchRetries(), config.watchRetryBackoff(), new SecureRandom());
        this.service = new ControllerGrpcService(cluster, migrations, config.heartbeatInterval());
    }

    /** Plaintext channels to agents; TLS comes with the rest of the security work. */
    public static ManagedChannel plaintextChannel(String address) {
        // keepalive: a migration watch on an agent that vanished (power, partition) must break,
        // so the controller can report the outcome as unknown instead of waiting forever
        return ManagedChannelBuilder.forTarget(address).usePlaintext()
                .keepAliveTime(30, java.util.concurrent.TimeUnit.SECONDS)
                .keepAliveTimeout(10, java.util.concurrent.TimeUnit.SECONDS).build();
    }

    public BindableService service() {
        return service;
    }

    /** Stops following migrations, then closes the agent channels; each step bounded and logged. */
    public void close() {
        LOG.info("stopping migration watchers");
        migrations.close(config.shutdownTimeout());
        agentCalls.shutdownNow();
        LOG.info("closing agent channels");
        agents.close();
    }
}
