package dev.ferry.bench;

import dev.ferry.common.config.HostPort;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A Ferry daemon in its own JVM, logging to {@code DIR/NAME.log}; started is when it has
 * written its bound gRPC address to {@code DIR/NAME.addr}. Stopped by its own PID.
 */
final class DaemonProcess implements AutoCloseable {
    private final String name;
    private final Process process;
    private final HostPort address;

    private DaemonProcess(String name, Process process, HostPort address) {
        this.name = name;
        this.process = process;
        this.address = address;
    }

    /** The port file the command must be told to write (with its {@code --port-file}). */
    static Path portFile(Path dir, String name) {
        return dir.resolve(name + ".addr");
    }

    static DaemonProcess start(String name, List<String> command, Path dir) throws IOException, InterruptedException {
        Path log = dir.resolve(name + ".log");
        Files.deleteIfExists(portFile(dir, name));  // a reused work directory must not hand us an old address
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            return new DaemonProcess(name, process, HostPort.parse(awaitPortFile(name, process, portFile(dir, name), log)));
        } catch (IOException | InterruptedException | RuntimeException e) {
            stop(process);
            throw e;
        }
    }

    private static String awaitPortFile(String name, Process process, Path portFile, Path log) throws IOException, InterruptedException {
        for (int i = 0; i < 1200; i++) {
            if (!process.isAlive()) {
                throw new IOException(name + " exited with " + process.exitValue() + "; see " + log);
            }
            if (Files.exists(portFile) && !Files.readString(portFile).isBlank()) {
                return Files.readString(portFile).trim();
            }
            Thread.sleep(50);
        }
        throw new IOException(name + " did not start within 60 s; see " + log);
    }

    String name() {
        return name;
    }

    /** The bound gRPC address. */
    HostPort address() {
        return address;
    }

    @Override
    public void close() {
        stop(process);
    }

    /**
     * SIGTERM so the daemon's shutdown hook runs, then SIGKILL if it takes too long; both
     * waits bounded. Interrupted, it kills at once and keeps the interrupt for the caller.
     */
    private static void stop(Process process) {
        process.destroy();
        try {
            if (!process.waitFor(15, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
