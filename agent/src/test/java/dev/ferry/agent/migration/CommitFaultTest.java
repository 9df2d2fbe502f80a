package dev.ferry.agent.migration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ferry.agent.TwoAgents;
import dev.ferry.agent.transport.PageStreamTransport;
import dev.ferry.common.testing.Await;
import dev.ferry.common.memory.GuestMemory;
import dev.ferry.proto.v1.GuestState;
import dev.ferry.proto.v1.MigrateOutRequest;
import dev.ferry.proto.v1.MigrationOptions;
import dev.ferry.proto.v1.MigrationProgress;
import dev.ferry.proto.v1.MigrationStatus;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Faults around COMMIT and from a misbehaving destination, against a real source agent and
 * a destination built in the test. After COMMIT the source must never resume the guest on
 * its own: it fences. Before COMMIT any nonsense from the destination rolls back.
 */
@Timeout(60)
class CommitFaultTest {
    private static final long MIB = 1 << 20;
    /** ACTIVE is awaited 2 s, not 30, so that a silent destination fences quickly. */
    private final TwoAgents agents = new TwoAgents(1, new MigrationTimeouts(Duration.ofSeconds(5), Duration.ofSeconds(5),
            Duration.ofSeconds(10), Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofSeconds(2)));

    @AfterEach
    void stop() {
        agents.close();
    }

    @Test
    void destinationSilentAfterCommitLeavesTheGuestFencedNotRunningTwice() throws Exception {
        MigrationProgress end = migrateToTestDestination(new CountDownLatch(1)::await);

        assertEquals(MigrationStatus.FENCED, end.getStatus(), end.getError());
        assertTrue(end.getError().contains("fenced"), end.getError());
        var info = agents.describe(0, "g", false);
        assertEquals(GuestState.GUEST_FENCED, info.getState());
        long steps = info.getSteps();
        Thread.sleep(100);
        assertEquals(steps, agents.describe(0, "g", false).getSteps(), "a fenced guest must stay paused");
    }

    @Test
    void destinationConfirmingItsDiscardAfterCommitLetsTheSourceResume() throws Exception {
        MigrationProgress end = migrateToTestDestination(() -> {
            throw new IllegalStateException("simulated activation failure");
        });

        assertEquals(MigrationStatus.FAILED, end.getStatus(), end.getError());
        assertTrue(end.getError().contains("discarded its copy after COMMIT"), end.getError());
        long steps = agents.describe(0, "g", false).getSteps();
        Await.until(() -> agents.describe(0, "g", false).getSteps() > steps, Duration.ofSeconds(10),
                "the guest to run on the source again");
        assertEquals(GuestState.GUEST_RUNNING, agents.describe(0, "g", false).getState());
    }

    @Test
    void destinationRefusingTheDeviceStateAfterAnEarlyCommitLetsTheSourceResume() throws Exception {
        // COMMIT leaves right behind the device state; the destination refuses that state: it
        // must say DISCARDED (it will never run its copy), and the source takes the guest back
        MigrationProgress end = migrateToTestDestination(() -> { }, () -> {
            throw new IllegalArgumentException("simulated unloadable CPU state");
        });

        assertEquals(MigrationStatus.FAILED, end.getStatus(), end.getError());
        assertTrue(end.getError().contains("discarded its copy after COMMIT"), end.getError());
        assertTrue(end.getError().contains("simulated unloadable CPU state"), end.getError());
        long steps = agents.describe(0, "g", false).getSteps();
        Await.until(() -> agents.describe(0, "g", false).getSteps() > steps, Duration.ofSeconds(10),
                "the guest to run on the source again");
        assertEquals(GuestState.GUEST_RUNNING, agents.describe(0, "g", false).getState());
    }

    /** Migrates guest g (8 MiB) to a destination built here whose activation does {@code activation}. */
    private MigrationProgress migrateToTestDestination(Activation activation) throws Exception {
        return migrateToTestDestination(activation, () -> { });
    }

    /** As above; loading the device state first runs {@code load}. */
    private MigrationProgress migrateToTestDestination(Activation activation, Runnable load) throws Exception {
        agents.stub(0).createGuest(TwoAgents.idleRandom("g", 8 * MIB));
        IncomingMigrations incoming = new IncomingMigrations();
        GuestMemory memory = GuestMemory.allocate(8 * MIB);
        incoming.add(new IncomingMigration("m-commit", "ticket", agents.describe(0, "g", false).getSpec(), memory,
                guestThat(activation, load, memory), incoming::remove));
        try (PageStreamTransport destination = PageStreamTransport.start(new InetSocketAddress("127.0.0.1", 0), incoming, 2)) {
            return migrateTo(destination.localAddress().getPort(), "m-commit", "ticket");
        }
    }

    interface Activation {
        void run() throws Exception;
    }

    @Test
    void destinationTalkingNonsenseRollsBack() throws Exception {
        agents.stub(0).createGuest(TwoAgents.idleRandom("g", 8 * MIB));
        try (ServerSocket server = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            Thread liar = Thread.ofPlatform().daemon().start(() -> answerGarbage(server));
            MigrationProgress end = migrateTo(server.getLocalPort(), "m-garbage", "ticket");
            liar.join(10_000);

            assertEquals(MigrationStatus.FAILED, end.getStatus());
            assertTrue(end.getError().contains("rolled back"), end.getError());
            assertEquals(GuestState.GUEST_RUNNING, agents.describe(0, "g", false).getState());
        }
    }

    private MigrationProgress migrateTo(int port, String id, String ticket) {
        agents.stub(0).migrateOut(MigrateOutRequest.newBuilder().setMigrationId(id).setGuest("g")
                .setDestinationHost("test").setDataHost("127.0.0.1").setDataPort(port).setTicket(ticket)
                .setOptions(MigrationOptions.newBuilder().setChannels(1)).build());
        return agents.watch(0, id, Duration.ofSeconds(50)).getLast();
    }

    private static IncomingGuest guestThat(Activation activation, Runnable load, GuestMemory memory) {
        return new IncomingGuest() {
            @Override
            public void load(List<byte[]> vcpuStates, dev.ferry.proto.v1.VnicState vnic) {
                load.run();
            }

            @Override
            public void activate() {
                try {
                    activation.run();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } catch (RuntimeException e) {
                    throw e;
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }

            @Override
            public void discard() {
                memory.close();
            }
        };
    }

    /** Reads whatever comes, answers a frame of an unknown type, then keeps reading until closed. */
    private static void answerGarbage(ServerSocket server) {
        try (Socket socket = server.accept(); InputStream in = socket.getInputStream(); OutputStream out = socket.getOutputStream()) {
            in.readNBytes(16);
            out.write(new byte[] {0, 0, 0, 2, 99, 0});
            out.flush();
            in.transferTo(OutputStream.nullOutputStream());
        } catch (IOException e) {
            // the source hung up: what it should do
        }
    }
}
