package dev.ferry.agent.rpc;

import dev.ferry.agent.host.HostOperations;
import dev.ferry.agent.network.SwitchTransport;
import dev.ferry.common.config.HostPort;
import dev.ferry.proto.v1.SwitchPeer;
import java.util.HashMap;
import java.util.Map;
import dev.ferry.proto.v1.ControllerServiceGrpc;
import dev.ferry.proto.v1.HeartbeatRequest;
import dev.ferry.proto.v1.HeartbeatResponse;
import dev.ferry.proto.v1.HostInfo;
import dev.ferry.proto.v1.RegisterHostRequest;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps this agent known to the controller: registers, then heartbeats with the guests it
 * runs (agents are the truth about placement). Registers again when the controller has
 * forgotten it (it restarted) and keeps trying while the controller is down.
 */
public final class ControllerLink implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ControllerLink.class);
    private static final Duration CALL_DEADLINE = Duration.ofSeconds(3);
    /** Longer than a downtime's last exchange; far shorter than the heartbeat interval. */
    static final Duration PLACEMENT_REPORT_DELAY = Duration.ofMillis(20);

    private final HostOperations host;
    private final String grpcAddress;
    private final String netAddress;
    private final SwitchTransport network;
    private final ManagedChannel channel;
    private final ControllerServiceGrpc.ControllerServiceBlockingStub stub;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("controller-link").daemon().factory());
    private volatile boolean registered;
    private volatile boolean lastCallFailed;

    public ControllerLink(String controllerAddress, HostOperations host, String grpcAddress, String netAddress,
                          SwitchTransport network) {
        this.host = host;
        this.grpcAddress = grpcAddress;
        this.netAddress = netAddress;
        this.network = network;
        this.channel = NettyChannelBuilder.forTarget(controllerAddress).usePlaintext().build();
        this.stub = ControllerServiceGrpc.newBlockingStub(channel);
    }

    public void start(Duration interval) {
        timer.scheduleWithFixedDelay(this::tick, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * Reports soon instead of at the next tick (a guest started running here). Not at once:
     * a guest that just arrived is still in the migration's last exchange (ACTIVE on its way
     * to the source), which a gRPC call here and in the controller would compete with for CPU.
     */
    public void heartbeatNow() {
        try {
            timer.schedule(this::tick, PLACEMENT_REPORT_DELAY.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // closing
        }
    }

    public boolean isRegistered() {
        return registered;
    }

    private void tick() {
        try {
            if (!registered) {
                register();
            }
            heartbeat();
            if (lastCallFailed) {
                log.info("controller reachable again");
            }
            lastCallFailed = false;
        } catch (StatusRuntimeException e) {
            if (!lastCallFailed) {
                log.warn("controller unreachable ({}); will keep trying", e.getStatus());
            }
            lastCallFailed = true;
        } catch (RuntimeException e) {
            log.error("heartbeat failed", e);
        }
    }

    private void register() {
        stub.withDeadlineAfter(CALL_DEADLINE).registerHost(RegisterHostRequest.newBuilder().setHost(HostInfo.newBuilder()
                .setName(host.hostName()).setGrpcAddress(grpcAddress).setNetAddress(netAddress)
                .setMemoryCapacityBytes(host.guests().capacityBytes())).build());
        registered = true;
        log.info("registered with the controller as {} ({})", host.hostName(), grpcAddress);
    }

    private void heartbeat() {
        HeartbeatResponse response = stub.withDeadlineAfter(CALL_DEADLINE).heartbeat(HeartbeatRequest.newBuilder()
                .setHost(host.hostName()).setMemoryUsedBytes(host.guests().usedBytes())
                .addAllGuests(host.listGuests()).build());
        if (response.getReregister()) {
            registered = false;
        }
        Map<String, HostPort> peers = new HashMap<>();
        for (SwitchPeer peer : response.getPeersList()) {
            try {
                peers.put(peer.getHost(), HostPort.parse(peer.getNetAddress()));
            } catch (IllegalArgumentException e) {
                log.warn("controller sent a bad switch address for {}: {}", peer.getHost(), e.getMessage());
            }
        }
        network.updatePeers(peers);
        network.vswitch().learn(response.getLocationsList());
    }

    @Override
    public void close() {
        timer.shutdownNow();
        channel.shutdownNow();
        try {
            channel.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
