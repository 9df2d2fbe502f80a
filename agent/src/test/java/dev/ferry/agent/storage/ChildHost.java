package dev.ferry.agent.storage;

import dev.ferry.proto.v1.DiskSpec;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A {@link LockHolderMain} child JVM on this test's class path. Every wait is bounded; closing
 * ends the child (stdin closed, then destroyed if it has not exited) and only that child.
 */
final class ChildHost implements AutoCloseable {
    private static final long WAIT_SECONDS = 30;

    private final Process process;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final List<String> output = new CopyOnWriteArrayList<>();

    private ChildHost(Process process) {
        this.process = process;
        Thread.ofPlatform().daemon().name("child-host-output").start(this::drain);
    }

    static ChildHost start(Path root, DiskSpec spec) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process process = new ProcessBuilder(java, "-Xmx64m", "-XX:TieredStopAtLevel=1",
                "-cp", System.getProperty("java.class.path"), LockHolderMain.class.getName(),
                root.toString(), spec.getImage(), spec.getImageId(), Long.toString(spec.getSizeBytes()))
                .redirectErrorStream(true)
                .start();
        return new ChildHost(process);
    }

    private void drain() {
        try (BufferedReader in = new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = in.readLine()) != null; ) {
                output.add(line);
                lines.add(line);
            }
        } catch (IOException e) {
            output.add("(reading the child's output failed: " + e + ")");
        }
    }

    /** The child's first line of output, waiting at most 30 s. */
    String firstLine() throws InterruptedException {
        String line = lines.poll(WAIT_SECONDS, TimeUnit.SECONDS);
        if (line == null) {
            throw new AssertionError("child JVM printed nothing in " + WAIT_SECONDS + " s; output: " + output());
        }
        return line;
    }

    /** Closes the child's stdin and returns its exit code, waiting at most 30 s. */
    int exit() throws IOException, InterruptedException {
        process.getOutputStream().close();
        if (!process.waitFor(WAIT_SECONDS, TimeUnit.SECONDS)) {
            throw new AssertionError("child JVM did not exit in " + WAIT_SECONDS + " s; output: " + output());
        }
        return process.exitValue();
    }

    String output() {
        return String.join("\n", output);
    }

    @Override
    public void close() {
        try {
            process.getOutputStream().close();
        } catch (IOException e) {
            // the child has gone already
        }
        try {
            if (!process.waitFor(WAIT_SECONDS, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(WAIT_SECONDS, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
