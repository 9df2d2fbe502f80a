package dev.ferry.controller.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A Ferry daemon started as its own JVM from this test's class path, with its log in a file.
 * Stopped by its own PID only: politely (SIGTERM) or killed (SIGKILL) to simulate a crash.
 */
final class Daemon implements AutoCloseable {
    private final String name;
    private final Process process;
    private final Path log;
    private final Path portFile;

    private Daemon(String name, Process process, Path log, Path portFile) {
        this.name = name;
        this.process = process;
        this.log = log;
        this.portFile = portFile;
    }

    static Daemon start(String name, Path dir, String mainClass, String... args) throws IOException {
        Path log = dir.resolve(name + ".log");
        Path portFile = dir.resolve(name + ".addr");
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-Xmx256m", "-XX:+UseZGC", "-cp", System.getProperty("java.class.path"), mainClass,
                "--port-file", portFile.toString()));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        return new Daemon(name, process, log, portFile);
    }

    /** The address the daemon wrote to its port file once listening. */
    String awaitAddress(Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException(name + " exited with " + process.exitValue() + ":\n" + Files.readString(log));
            }
            if (Files.exists(portFile)) {
                String text = Files.readString(portFile).trim();
                if (!text.isEmpty()) {
                    return text;
                }
            }
            Thread.sleep(50);
        }
        throw new IllegalStateException(name + " wrote no port file within " + timeout + ":\n" + Files.readString(log));
    }

    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }

    String log() throws IOException {
        return Files.readString(log);
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            kill();
        }
    }
}
