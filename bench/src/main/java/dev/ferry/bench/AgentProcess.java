package dev.ferry.bench;

import dev.ferry.proto.v1.AgentServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** An agent daemon in its own JVM on loopback, started from the shaded jar; stopped by its PID. */
final class AgentProcess implements AutoCloseable {
    private final String name;
    private final Process process;
    private final ManagedChannel channel;

    private AgentProcess(String name, Process process, ManagedChannel channel) {
        this.name = name;
        this.process = process;
        this.channel = channel;
    }

    static AgentProcess start(String name, Path java, Path agentJar, Path dir, String capacity) throws IOException, InterruptedException {
        Path portFile = dir.resolve(name + ".addr");
        List<String> command = new java.util.ArrayList<>(List.of(java.toString(), "--enable-native-access=ALL-UNNAMED", "-Xmx1g", "-XX:+UseZGC"));
        String extra = System.getenv("FERRY_BENCH_AGENT_OPTS");  // e.g. a profiler: -XX:StartFlightRecording=...
        if (extra != null && !extra.isBlank()) {
            command.addAll(List.of(extra.replace("%name", name).trim().split("\\s+")));
        }
        command.addAll(List.of("-jar", agentJar.toString(), "--name", name, "--listen", "127.0.0.1:0",
                "--data-listen", "127.0.0.1:0", "--memory-capacity", capacity, "--port-file", portFile.toString()));
        Process process = new ProcessBuilder(command)
                .redirectErrorStream(true).redirectOutput(dir.resolve(name + ".log").toFile()).start();
        String address = awaitPortFile(process, portFile, dir.resolve(name + ".log"));
        int port = Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
        return new AgentProcess(name, process, NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build());
    }

    private static String awaitPortFile(Process process, Path portFile, Path log) throws IOException, InterruptedException {
        for (int i = 0; i < 1200; i++) {
            if (!process.isAlive()) {
                throw new IOException("agent exited with " + process.exitValue() + "; see " + log);
            }
            if (Files.exists(portFile) && !Files.readString(portFile).isBlank()) {
                return Files.readString(portFile).trim();
            }
            Thread.sleep(50);
        }
        throw new IOException("agent did not start within 60 s; see " + log);
    }

    String name() {
        return name;
    }

    AgentServiceGrpc.AgentServiceBlockingStub stub() {
        return AgentServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.MINUTES);
    }

    @Override
    public void close() throws InterruptedException {
        channel.shutdownNow();
        process.destroy();
        if (!process.waitFor(15, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
