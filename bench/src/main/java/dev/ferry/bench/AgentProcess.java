package dev.ferry.bench;

import dev.ferry.proto.v1.AgentServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * An agent daemon in its own JVM on loopback, started from the shaded jar, registered with
 * the bench's controller (which is how it learns its peers' switch ports), with the bench's
 * shared storage directory.
 */
final class AgentProcess implements AutoCloseable {
    /** What every agent of a run shares. */
    record Cluster(Path java, Path agentJar, Path dir, String controller, Path storage, String capacity) {}

    private final DaemonProcess daemon;
    private final ManagedChannel channel;

    private AgentProcess(DaemonProcess daemon, ManagedChannel channel) {
        this.daemon = daemon;
        this.channel = channel;
    }

    static AgentProcess start(String name, Cluster cluster) throws IOException, InterruptedException {
        DaemonProcess daemon = DaemonProcess.start(name, command(name, cluster), cluster.dir());
        return new AgentProcess(daemon, NettyChannelBuilder.forTarget(daemon.address().toString()).usePlaintext().build());
    }

    private static List<String> command(String name, Cluster cluster) {
        List<String> command = new ArrayList<>(List.of(cluster.java().toString(), "--enable-native-access=ALL-UNNAMED",
                "-Xmx1g", "-XX:+UseZGC"));
        String extra = System.getenv("FERRY_BENCH_AGENT_OPTS");  // e.g. a profiler: -XX:StartFlightRecording=...
        if (extra != null && !extra.isBlank()) {
            command.addAll(List.of(extra.replace("%name", name).trim().split("\\s+")));
        }
        // every port picked by the kernel: two agents on one machine must not both want the defaults
        command.addAll(List.of("-jar", cluster.agentJar().toString(), "--name", name, "--listen", "127.0.0.1:0",
                "--data-listen", "127.0.0.1:0", "--net-listen", "127.0.0.1:0", "--memory-capacity", cluster.capacity(),
                "--controller", cluster.controller(), "--storage", cluster.storage().toString(),
                // a fast heartbeat so peers and guest locations spread quickly
                "--heartbeat", "200", "--port-file", DaemonProcess.portFile(cluster.dir(), name).toString()));
        return command;
    }

    String name() {
        return daemon.name();
    }

    AgentServiceGrpc.AgentServiceBlockingStub stub() {
        return AgentServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.MINUTES);
    }

    @Override
    public void close() {
        channel.shutdownNow();
        daemon.close();
    }
}
