package dev.ferry.controller.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.util.JsonFormat;
import dev.ferry.common.testing.Await;
import dev.ferry.proto.v1.GuestInfo;
import dev.ferry.proto.v1.GuestState;
import dev.ferry.proto.v1.ListGuestsResponse;
import dev.ferry.proto.v1.ListMigrationsResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A controller and two agents, each its own JVM, driven by the CLI: a migration completes,
 * and when the destination process is killed mid-copy the guest keeps running on the source.
 */
@Timeout(180)
class SeparateProcessesTest {
    @TempDir
    Path dir;

    private final List<Daemon> daemons = new ArrayList<>();
    private Daemon hostB;
    private String controller;

    @BeforeEach
    void start() throws Exception {
        Daemon ctrl = started(Daemon.start("controller", dir, "dev.ferry.controller.ControllerMain", "--listen", "127.0.0.1:0"));
        controller = ctrl.awaitAddress(Duration.ofSeconds(60));
        started(agent("host-a"));
        hostB = started(agent("host-b"));
        for (Daemon daemon : daemons) {
            daemon.awaitAddress(Duration.ofSeconds(60));
        }
        Await.until(() -> CliRun.run(controller, "hosts").out().split("healthy", -1).length == 3, Duration.ofSeconds(30),
                "both agents healthy");
    }

    private Daemon agent(String name) throws Exception {
        return Daemon.start(name, dir, "dev.ferry.agent.AgentMain", "--name", name, "--listen", "127.0.0.1:0",
                "--data-listen", "127.0.0.1:0", "--net-listen", "127.0.0.1:0", "--controller", controller, "--memory-capacity", "2g", "--heartbeat", "200");
    }

    private Daemon started(Daemon daemon) {
        daemons.add(daemon);
        return daemon;
    }

    @AfterEach
    void stop() throws Exception {
        for (Daemon daemon : daemons.reversed()) {
            daemon.close();
        }
    }

    @Test
    void migrationCompletesBetweenProcesses() throws Exception {
        assertEquals(0, CliRun.run(controller, "create", "web", "--host", "host-a", "--memory", "128m",
                "--program", "dirtier", "--rate", "16m").code());

        CliRun migrated = CliRun.run(controller, "migrate", "web", "--to", "host-b");

        assertEquals(0, migrated.code(), migrated + "\n" + hostB.log());
        assertTrue(migrated.out().contains("memory         verified"), migrated.out());
        awaitGuest("web", "host-b");
    }

    @Test
    void killedDestinationRollsBackAndTheGuestKeepsRunningOnTheSource() throws Exception {
        assertEquals(0, CliRun.run(controller, "create", "web", "--host", "host-a", "--memory", "256m",
                "--program", "idle", "--fill-random").code());
        long steps = guest("web").getSteps();
        Thread killer = Thread.ofPlatform().start(() -> {
            try {
                Await.until(this::copying, Duration.ofSeconds(60), "the copy to be under way");
                hostB.kill();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });

        CliRun migrated = CliRun.run(controller, "migrate", "web", "--to", "host-b", "--bandwidth", "32m");
        killer.join(60_000);

        assertEquals(1, migrated.code(), migrated.toString());
        assertTrue(migrated.out().contains("keeps running on host-a"), migrated.out());
        Await.until(() -> guest("web").getSteps() > steps && guest("web").getState() == GuestState.GUEST_RUNNING,
                Duration.ofSeconds(10), "web to keep running on host-a");
        assertEquals("host-a", guest("web").getHost());
    }

    /** Pre-copy has sent pages (and, at 32 MiB/s for 256 MiB, has seconds left to go). */
    private boolean copying() {
        try {
            ListMigrationsResponse.Builder list = ListMigrationsResponse.newBuilder();
            JsonFormat.parser().merge(CliRun.run(controller, "migrations", "--output", "json").out(), list);
            return list.getMigrationsList().stream().anyMatch(m -> m.getPagesSent() > 1000);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private GuestInfo guest(String name) {
        try {
            ListGuestsResponse.Builder list = ListGuestsResponse.newBuilder();
            JsonFormat.parser().merge(CliRun.run(controller, "guests", "--output", "json").out(), list);
            return list.getGuestsList().stream().filter(g -> g.getSpec().getName().equals(name)).findFirst().orElseThrow();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private void awaitGuest(String name, String host) {
        Await.until(() -> {
            GuestInfo info = guest(name);
            return info.getHost().equals(host) && info.getState() == GuestState.GUEST_RUNNING;
        }, Duration.ofSeconds(15), name + " running on " + host);
    }
}
