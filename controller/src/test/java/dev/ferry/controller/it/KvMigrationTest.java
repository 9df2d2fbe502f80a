package dev.ferry.controller.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.util.JsonFormat;
import dev.ferry.agent.Agent;
import dev.ferry.agent.AgentConfig;
import dev.ferry.common.config.HostPort;
import dev.ferry.common.testing.Await;
import dev.ferry.controller.Controller;
import dev.ferry.controller.ControllerConfig;
import dev.ferry.controller.ControllerServer;
import dev.ferry.agent.guest.KvLog;
import dev.ferry.agent.storage.DiskImage;
import dev.ferry.agent.storage.SharedStorage;
import dev.ferry.controller.kv.KvLoad;
import dev.ferry.controller.kv.SwitchConnection;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.util.concurrent.TimeUnit;
import dev.ferry.controller.kv.KvLoadReports;
import dev.ferry.controller.kv.KvLoadResult;
import dev.ferry.proto.v1.GuestInfo;
import dev.ferry.proto.v1.GuestState;
import dev.ferry.proto.v1.KvLoadReport;
import dev.ferry.proto.v1.ListGuestsResponse;
import dev.ferry.proto.v1.ListMigrationsResponse;
import dev.ferry.proto.v1.MigrationBlackout;
import dev.ferry.proto.v1.MigrationStatus;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The proof of network identity and shared storage: a kv guest under load from clients
 * attached to every host's switch port migrates back and forth, and no client sees a
 * reset, a lost, duplicated or wrong reply; every acknowledged write is readable at the end
 * and is in the disk log on the shared storage.
 */
@Timeout(240)
class KvMigrationTest {
    @TempDir
    Path storage;
    @TempDir
    Path otherStorage;

    private ControllerServer server;
    private final List<Agent> agents = new ArrayList<>();
    private String controller;

    @BeforeEach
    void start() throws Exception {
        ControllerConfig config = ControllerConfig.defaults().withListen(new HostPort("127.0.0.1", 0));
        server = ControllerServer.start(config, new Controller(config, Clock.systemUTC(), Controller::plaintextChannel));
        controller = server.bound().toString();
        for (String name : List.of("host-a", "host-b", "host-c")) {
            agents.add(Agent.start(AgentConfig.loopback(name, controller).withStorage(storage)));
        }
        Await.until(() -> CliRun.run(controller, "hosts").out().split("healthy", -1).length == 4, Duration.ofSeconds(20),
                "three agents registered and healthy");
    }

    @AfterEach
    void stop() {
        for (Agent agent : agents.reversed()) {
            agent.close();
        }
        server.close();
    }

    @Test
    void aKvGuestUnderLoadMovesTenTimesAndAcrossThreeHostsWithoutAClientNoticingMoreThanAPause() throws Exception {
        CliRun created = CliRun.run(controller, "create", "kv", "--host", "host-a", "--memory", "64m", "--program", "kv");
        assertEquals(0, created.code(), created.toString());
        awaitEveryAgentKnows("kv");

        List<HostPort> ingress = agents.stream().map(a -> hostPort(a.netAddress())).toList();
        long loadStart = System.currentTimeMillis();
        KvLoad load = KvLoad.start(KvLoad.Options.of("kv", ingress, 8, Duration.ofMinutes(3)));
        Thread.sleep(300);  // traffic flowing before the first move
        List<String> route = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            route.add(i % 2 == 0 ? "host-b" : "host-a");
        }
        route.add("host-c");
        route.add("host-b");
        route.add("host-a");
        for (String to : route) {
            CliRun moved = CliRun.run(controller, "migrate", "kv", "--to", to);
            assertEquals(0, moved.code(), moved.toString());
            Thread.sleep(100);
        }
        load.stop();
        KvLoadResult result = load.await();
        long loadEnd = System.currentTimeMillis();

        ListMigrationsResponse.Builder migrations = ListMigrationsResponse.newBuilder();
        JsonFormat.parser().merge(CliRun.run(controller, "migrations", "--output", "json").out(), migrations);
        KvLoadReport report = KvLoadReports.of("kv", 8, result, loadStart, loadEnd, migrations.getMigrationsList());
        System.out.println("kv under load: " + JsonFormat.printer().print(report));

        assertTrue(result.clean(), () -> "resets/lost/duplicated/wrong must all be 0: " + report);
        assertEquals(route.size(), report.getMigrationsCount(), report::toString);
        for (MigrationBlackout m : report.getMigrationsList()) {
            assertEquals(MigrationStatus.COMPLETED, m.getStatus());
        }
        assertTrue(result.ops() > 1000, "the load ran: " + result.ops() + " ops");
        assertEquals(8L * 64, result.verifiedKeys() + result.uncertain().size(), "every key read back at the end");
        assertTrue(result.blackoutMillis(loadStart, loadEnd) > 0, "a pause was measured");

        assertDiskLogHolds("kv", result.acknowledged());
    }

    @Test
    void aDestinationThatDoesNotSeeTheSameDiskRefusesBeforeCopying() throws Exception {
        agents.add(Agent.start(AgentConfig.loopback("host-d", controller).withStorage(otherStorage)));
        Await.until(() -> CliRun.run(controller, "hosts").out().contains("host-d"), Duration.ofSeconds(20), "host-d");
        assertEquals(0, CliRun.run(controller, "create", "kv", "--host", "host-a", "--memory", "16m", "--program", "kv").code());
        CliRun put = CliRun.run(controller, "kv", "kv", "put", "k", "v");
        assertEquals(0, put.code(), put.toString());

        CliRun refused = CliRun.run(controller, "migrate", "kv", "--to", "host-d");

        assertEquals(1, refused.code(), refused.toString());
        String said = refused.out() + refused.err();
        assertTrue(said.contains("does not see disk image"), said);
        assertTrue(said.contains("--storage"), "says what to do: " + said);
        CliRun get = CliRun.run(controller, "kv", "kv", "get", "k", "--via", "host-d");
        assertEquals(0, get.code(), get.toString());
        assertEquals("v", get.out().strip(), "still served from host-a, reached through host-d's switch port");
    }

    @Test
    void theCliTalksToAGuestThroughAnyHostAndSaysWhatIsWrong() throws Exception {
        assertEquals(0, CliRun.run(controller, "create", "kv", "--host", "host-b", "--memory", "16m", "--program", "kv").code());
        awaitEveryAgentKnows("kv");
        assertEquals(0, CliRun.run(controller, "kv", "kv", "put", "greeting", "hello", "--via", "host-a").code());
        CliRun get = CliRun.run(controller, "kv", "kv", "get", "greeting", "--via", "host-c");
        assertEquals("hello", get.out().strip(), get.toString());
        assertEquals(0, CliRun.run(controller, "kv", "kv", "del", "greeting").code());
        CliRun missing = CliRun.run(controller, "kv", "kv", "get", "greeting");
        assertEquals(7, missing.code(), missing.toString());
        assertTrue(missing.err().contains("not found"), missing.toString());
        CliRun nobody = CliRun.run(controller, "kv", "nobody", "get", "x", "--via", "host-a");
        assertEquals(4, nobody.code(), nobody.toString());
        assertTrue(nobody.err().contains("no guest 'nobody'"), nobody.toString());
    }

    @Test
    void aKvGuestComesBackFromItsDiskOnAnotherHost() throws Exception {
        assertEquals(0, CliRun.run(controller, "create", "shop", "--host", "host-a", "--memory", "16m", "--program", "kv").code());
        awaitEveryAgentKnows("shop");
        for (int i = 0; i < 20; i++) {
            assertEquals(0, CliRun.run(controller, "kv", "shop", "put", "k" + i, "v" + i).code());
        }
        assertEquals(0, CliRun.run(controller, "kv", "shop", "del", "k3").code());
        String image = guest("shop").getSpec().getDisk().getImage();
        CliRun destroyed = CliRun.run(controller, "destroy", "shop", "--keep-disk");
        assertEquals(0, destroyed.code(), destroyed.toString());

        CliRun created = CliRun.run(controller, "create", "shop2", "--host", "host-b", "--memory", "16m", "--program", "kv",
                "--disk", image);
        assertEquals(0, created.code(), created.toString());
        assertEquals(image, guest("shop2").getSpec().getDisk().getImage());
        awaitEveryAgentKnows("shop2");
        assertEquals("v7", CliRun.run(controller, "kv", "shop2", "get", "k7").out().strip(), "rebuilt from the disk log");
        assertEquals("v19", CliRun.run(controller, "kv", "shop2", "get", "k19", "--via", "host-c").out().strip());
        assertEquals(7, CliRun.run(controller, "kv", "shop2", "get", "k3").code(), "the delete was logged too");

        CliRun twice = CliRun.run(controller, "create", "shop3", "--host", "host-c", "--memory", "16m", "--program", "kv",
                "--disk", image);
        assertEquals(4, twice.code(), twice.toString());
        assertTrue(twice.err().contains("locked"), "a disk in use by a running guest is refused: " + twice);
        CliRun nowhere = CliRun.run(controller, "create", "shop4", "--host", "host-c", "--memory", "16m", "--program", "kv",
                "--disk", "disks/nothing.img");
        assertEquals(4, nowhere.code(), nowhere.toString());
        assertTrue(nowhere.err().contains("no disk image disks/nothing.img"), nowhere.toString());
    }

    private GuestInfo guest(String name) throws Exception {
        ListGuestsResponse.Builder guests = ListGuestsResponse.newBuilder();
        JsonFormat.parser().merge(CliRun.run(controller, "guests", "--output", "json").out(), guests);
        return guests.getGuestsList().stream().filter(g -> g.getSpec().getName().equals(name)).findFirst().orElseThrow();
    }

    /** Every switch port lets a client attach to the guest (the creating host announced it). */
    private void awaitEveryAgentKnows(String guest) throws Exception {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        try {
            Await.until(() -> agents.stream().allMatch(a -> attaches(group, a, guest)), Duration.ofSeconds(10),
                    "every agent's switch knows " + guest);
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
    }

    private static boolean attaches(EventLoopGroup group, Agent agent, String guest) {
        try (SwitchConnection ignored = SwitchConnection.open(group, hostPort(agent.netAddress()), guest, Duration.ofSeconds(2))) {
            return true;
        } catch (java.io.IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private void assertDiskLogHolds(String guest, Map<String, byte[]> acknowledged) throws Exception {
        ListGuestsResponse.Builder guests = ListGuestsResponse.newBuilder();
        JsonFormat.parser().merge(CliRun.run(controller, "guests", "--output", "json").out(), guests);
        GuestInfo info = guests.getGuestsList().stream().filter(g -> g.getSpec().getName().equals(guest)).findFirst().orElseThrow();
        assertEquals(GuestState.GUEST_RUNNING, info.getState());
        Path image = storage.resolve(info.getSpec().getDisk().getImage());
        assertTrue(Files.exists(image), "the disk stayed on the shared storage: " + image);
        Map<String, byte[]> log;
        try (DiskImage disk = new SharedStorage(storage).open(info.getSpec().getDisk())) {
            log = new java.util.HashMap<>();
            for (var entry : KvLog.contents(disk).entrySet()) {
                byte[] key = new byte[entry.getKey().remaining()];
                byte[] value = new byte[entry.getValue().remaining()];
                entry.getKey().duplicate().get(key);
                entry.getValue().duplicate().get(value);
                log.put(new String(key, StandardCharsets.UTF_8), value);
            }
        }
        for (var entry : acknowledged.entrySet()) {
            byte[] logged = log.get(entry.getKey());
            assertNotNull(logged, "acknowledged write of " + entry.getKey() + " is in the disk log");
            assertArrayEquals(entry.getValue(), logged, "disk log value of " + entry.getKey());
        }
    }

    private static HostPort hostPort(InetSocketAddress address) {
        return new HostPort(address.getHostString(), address.getPort());
    }
}
