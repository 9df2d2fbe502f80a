package dev.ferry.bench;

import dev.ferry.common.config.HostPort;
import dev.ferry.proto.v1.ControllerServiceGrpc;
import dev.ferry.proto.v1.HostHealth;
import dev.ferry.proto.v1.HostInfo;
import dev.ferry.proto.v1.ListHostsRequest;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The controller daemon in its own JVM on loopback. The bench drives migrations itself; the
 * controller is there because agents learn their peers' switch ports only from its answers.
 */
final class ControllerProcess implements AutoCloseable {
    private static final String NAME = "bench-controller";

    private final DaemonProcess daemon;
    private final ManagedChannel channel;

    private ControllerProcess(DaemonProcess daemon, ManagedChannel channel) {
        this.daemon = daemon;
        this.channel = channel;
    }

    static ControllerProcess start(Path java, Path controllerJar, Path dir) throws IOException, InterruptedException {
        DaemonProcess daemon = DaemonProcess.start(NAME, List.of(java.toString(), "--enable-native-access=ALL-UNNAMED",
                "-Xmx256m", "-jar", controllerJar.toString(), "--listen", "127.0.0.1:0",
                "--port-file", DaemonProcess.portFile(dir, NAME).toString()), dir);
        return new ControllerProcess(daemon, NettyChannelBuilder.forTarget(daemon.address().toString()).usePlaintext().build());
    }

    /** Where agents reach it. */
    String address() {
        return daemon.address().toString();
    }

    /**
     * Waits until every named host is registered, healthy and has reported its switch port;
     * returns those ports in the order of {@code names}.
     */
    List<HostPort> awaitHosts(List<String> names, Duration limit) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        Map<String, HostInfo> ready = Map.of();
        while (System.nanoTime() - deadline < 0) {
            ready = readyHosts();
            if (ready.keySet().containsAll(names)) {
                List<HostPort> ports = new ArrayList<>();
                for (String name : names) {
                    ports.add(HostPort.parse(ready.get(name).getNetAddress()));
                }
                return ports;
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("agents " + names + " not all registered with the controller within "
                + limit.toSeconds() + " s (ready: " + ready.keySet() + "); see the logs in the work directory");
    }

    private Map<String, HostInfo> readyHosts() {
        try {
            return ControllerServiceGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS)
                    .listHosts(ListHostsRequest.getDefaultInstance()).getHostsList().stream()
                    .filter(h -> h.getHealth() == HostHealth.HOST_HEALTHY && !h.getNetAddress().isEmpty())
                    .collect(Collectors.toMap(HostInfo::getName, Function.identity()));
        } catch (StatusRuntimeException e) {
            return Map.of();  // not answering yet; the caller tries again until its deadline
        }
    }

    @Override
    public void close() {
        channel.shutdownNow();
        daemon.close();
    }
}
