package dev.ferry.controller.cluster;

import dev.ferry.proto.v1.AgentServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One gRPC channel per agent, opened when the host registers and replaced when it
 * re-registers with a new address. The channel factory is injected so tests can hand out
 * in-process channels instead of sockets.
 */
public final class AgentClients implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(AgentClients.class);

    /** A host's address and the channel to it. */
    public record Agent(String host, String address, ManagedChannel channel) {
        public AgentServiceGrpc.AgentServiceBlockingStub blocking() {
            return AgentServiceGrpc.newBlockingStub(channel);
        }

        /** One unary call with a deadline; a failure names the host and keeps the agent's status. */
        public <T> T call(Duration deadline, Function<AgentServiceGrpc.AgentServiceBlockingStub, T> rpc) {
            try {
                return rpc.apply(blocking().withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS));
            } catch (StatusRuntimeException e) {
                throw new AgentCallException(host, address, e);
            }
        }
    }

    private final Function<String, ManagedChannel> channelFactory;
    private final Duration closeTimeout;
    private final Map<String, Agent> agents = new HashMap<>();

    public AgentClients(Function<String, ManagedChannel> channelFactory, Duration closeTimeout) {
        this.channelFactory = channelFactory;
        this.closeTimeout = closeTimeout;
    }

    /** Opens a channel to the host unless one to the same address is already open. */
    public void connect(String host, String address) {
        Agent old;
        synchronized (this) {
            old = agents.get(host);
            if (old != null && old.address().equals(address)) {
                return;
            }
            agents.put(host, new Agent(host, address, channelFactory.apply(address)));
        }
        if (old != null) {
            LOG.info("host {}: agent address changed {} -> {}", host, old.address(), address);
            old.channel().shutdown();
        }
    }

    public synchronized Optional<Agent> find(String host) {
        return Optional.ofNullable(agents.get(host));
    }

    /** Closes every channel: begin all shutdowns first, then wait, each wait bounded. */
    @Override
    public void close() {
        Map<String, Agent> closing;
        synchronized (this) {
            closing = Map.copyOf(agents);
            agents.clear();
        }
        closing.values().forEach(agent -> agent.channel().shutdown());
        closing.values().forEach(this::await);
    }

    private void await(Agent agent) {
        try {
            if (!agent.channel().awaitTermination(closeTimeout.toMillis(), TimeUnit.MILLISECONDS)) {
                LOG.warn("host {}: agent channel did not close in {}; forcing", agent.host(), closeTimeout);
                agent.channel().shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            agent.channel().shutdownNow();
        }
    }
}
