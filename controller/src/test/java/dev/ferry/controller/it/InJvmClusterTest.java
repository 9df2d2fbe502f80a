package dev.ferry.controller.it;

import dev.ferry.common.config.HostPort;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.util.JsonFormat;
import dev.ferry.agent.Agent;
import dev.ferry.agent.AgentConfig;
import dev.ferry.common.testing.Await;
import dev.ferry.controller.Controller;
import dev.ferry.controller.ControllerConfig;
import dev.ferry.controller.ControllerServer;
import dev.ferry.proto.v1.GuestState;
import dev.ferry.proto.v1.ListGuestsResponse;
import dev.ferry.proto.v1.ListMigrationsResponse;
import dev.ferry.proto.v1.MigrationProgress;
import dev.ferry.proto.v1.MigrationStatus;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The whole system in one JVM: a real controller on a loopback port, two real agents that
 * register and heartbeat, and the real CLI. Guests migrate back and forth with the CLI.
 */
@Timeout(120)
class InJvmClusterTest {
    private ControllerServer server;
    private final List<Agent> agents = new ArrayList<>();
    private String controller;

    @BeforeEach
    void start() throws Exception {
        ControllerConfig config = ControllerConfig.defaults().withListen(new HostPort("127.0.0.1", 0));
        server = ControllerServer.start(config, new Controller(config, Clock.systemUTC(), Controller::plaintextChannel));
        controller = server.bound().toString();
        for (String name : List.of("host-a", "host-b")) {
            agents.add(Agent.start(AgentConfig.loopback(name, controller)));
        }
        Await.until(() -> CliRun.run(controller, "hosts").out().split("healthy", -1).length == 3, Duration.ofSeconds(20),
                "both agents to register and be healthy");
    }

    @AfterEach
    void stop() {
        for (Agent agent : agents.reversed()) {
            agent.close();
        }
        server.close();
    }

    @Test
    void cliMigratesARunningGuestThereAndBack() throws Exception {
        CliRun created = CliRun.run(controller, "create", "web", "--host", "host-a", "--memory", "128m",
                "--program", "dirtier", "--rate", "32m", "--pattern", "uniform");
        assertEquals(0, created.code(), created.toString());

        CliRun there = CliRun.run(controller, "migrate", "web", "--to", "host-b", "--max-downtime", "50ms");
        assertEquals(0, there.code(), there.toString());
        assertTrue(there.out().contains(" completed: web host-a -> host-b"), there.out());
        assertTrue(there.out().contains("memory         verified"), there.out());
        assertGuestOn("web", "host-b");

        CliRun back = CliRun.run(controller, "migrate", "web", "--to", "host-a", "--channels", "3");
        assertEquals(0, back.code(), back.toString());
        assertGuestOn("web", "host-a");
        assertTrue(agents.get(1).host().guests().all().isEmpty(), "the old copy is freed");

        CliRun history = CliRun.run(controller, "migrations", "--output", "json");
        ListMigrationsResponse.Builder list = ListMigrationsResponse.newBuilder();
        JsonFormat.parser().merge(history.out(), list);
        assertEquals(2, list.getMigrationsCount());
        for (MigrationProgress migration : list.getMigrationsList()) {
            assertEquals(MigrationStatus.COMPLETED, migration.getStatus());
            assertTrue(migration.getMemoryVerified());
            assertTrue(migration.getRoundsCount() >= 2, "pre-copy ran rounds: " + migration.getRoundsCount());
        }
    }

    @Test
    void migrationToAHostWithoutRoomIsRefusedAndTheGuestKeepsRunning() throws Exception {
        agents.get(1).close();
        agents.set(1, Agent.start(AgentConfig.loopback("host-c", controller).withCapacity(64L << 20)));
        Await.until(() -> CliRun.run(controller, "hosts").out().contains("host-c"), Duration.ofSeconds(20), "host-c");
        assertEquals(0, CliRun.run(controller, "create", "big", "--host", "host-a", "--memory", "128m",
                "--program", "idle").code());

        CliRun refused = CliRun.run(controller, "migrate", "big", "--to", "host-c");

        assertEquals(1, refused.code(), refused.toString());
        assertTrue((refused.out() + refused.err()).contains("free of"), refused.toString());
        assertGuestOn("big", "host-a");
    }

    private void assertGuestOn(String guest, String host) throws Exception {
        Await.until(() -> guestsJson().getGuestsList().stream()
                .anyMatch(g -> g.getSpec().getName().equals(guest) && g.getHost().equals(host)
                        && g.getState() == GuestState.GUEST_RUNNING), Duration.ofSeconds(10), guest + " running on " + host);
        assertEquals(1, guestsJson().getGuestsList().stream().filter(g -> g.getSpec().getName().equals(guest)).count(),
                "exactly one copy of " + guest);
    }

    private ListGuestsResponse guestsJson() {
        try {
            ListGuestsResponse.Builder list = ListGuestsResponse.newBuilder();
            JsonFormat.parser().merge(CliRun.run(controller, "guests", "--output", "json").out(), list);
            return list.build();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
