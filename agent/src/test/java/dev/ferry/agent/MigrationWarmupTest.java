package dev.ferry.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ferry.agent.migration.IncomingMigrations;
import dev.ferry.agent.transport.PageStreamTransport;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent's start-up warm-up: every migration completes through the real transport,
 * the kv guest answers its calls on both sides of its move, and nothing is left behind
 * (no incoming migration, no disk image in the scratch directory).
 */
@Timeout(120)
class MigrationWarmupTest {
    @TempDir
    Path scratch;

    @Test
    void aDeadAgentsLeftoversGoAndEverythingElseStays() throws Exception {
        long dead = deadPid();
        Path leftover = Files.createDirectories(scratch.resolve(MigrationWarmup.SCRATCH_PREFIX + dead + "-123").resolve("disks"));
        Files.writeString(leftover.resolve("g.img"), "image");
        Path alive = Files.createDirectory(scratch.resolve(MigrationWarmup.SCRATCH_PREFIX + ProcessHandle.current().pid() + "-456"));
        Path unnamed = Files.createDirectory(scratch.resolve(MigrationWarmup.SCRATCH_PREFIX + "x-789"));
        Path other = Files.createDirectory(scratch.resolve("something-else-" + dead));

        MigrationWarmup.deleteLeftovers(scratch);

        assertFalse(Files.exists(leftover.getParent()), "a dead agent's directory, with what is in it");
        assertTrue(Files.exists(alive), "a live process's: maybe another agent warming up now");
        assertTrue(Files.exists(unnamed), "not named with a PID: not ours");
        assertTrue(Files.exists(other), "not a warm-up directory");
    }

    /** A PID no process has: a short-lived child's, once it has exited. */
    private static long deadPid() throws Exception {
        Process child = new ProcessBuilder("true").start();
        long pid = child.pid();
        assertTrue(child.waitFor(10, java.util.concurrent.TimeUnit.SECONDS));
        for (int i = 0; i < 100 && ProcessHandle.of(pid).isPresent(); i++) {
            Thread.sleep(10);
        }
        return pid;
    }

    @Test
    void everyWarmupMigrationCompletesAndTheKvGuestAnswersOnBothSides() throws Exception {
        IncomingMigrations incoming = new IncomingMigrations();
        try (PageStreamTransport transport = PageStreamTransport.start(new InetSocketAddress("127.0.0.1", 0), incoming, 2)) {
            MigrationWarmup.Outcome outcome = MigrationWarmup.run(incoming, transport, scratch);

            assertEquals(MigrationWarmup.MIGRATIONS + MigrationWarmup.BULK_MIGRATIONS + 1, outcome.migrations(),
                    "the tiny ones, the bulk ones and the kv guest with its disk");
            assertTrue(outcome.kvCalls() > 100, "kv calls answered before and after the move: " + outcome.kvCalls());
            assertTrue(incoming.all().isEmpty(), "no incoming migration left registered: " + incoming.all());
            try (Stream<Path> left = Files.list(scratch)) {
                assertEquals(0, left.count(), "the kv guest's disk and its directory are deleted");
            }
        }
    }
}
