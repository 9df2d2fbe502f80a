package dev.ferry.controller.rpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ferry.controller.FakeAgent;
import dev.ferry.controller.TestCluster;
import dev.ferry.proto.v1.CancelMigrationRequest;
import dev.ferry.proto.v1.ControllerServiceGrpc.ControllerServiceBlockingStub;
import dev.ferry.proto.v1.CreateGuestRequest;
import dev.ferry.proto.v1.DestroyGuestRequest;
import dev.ferry.proto.v1.GuestInfo;
import dev.ferry.proto.v1.GuestSpec;
import dev.ferry.proto.v1.HostHealth;
import dev.ferry.proto.v1.HostInfo;
import dev.ferry.proto.v1.IdleSpec;
import dev.ferry.proto.v1.ListGuestsRequest;
import dev.ferry.proto.v1.ListHostsRequest;
import dev.ferry.proto.v1.ListMigrationsRequest;
import dev.ferry.proto.v1.MigrateRequest;
import dev.ferry.proto.v1.MigrationOptions;
import dev.ferry.proto.v1.MigrationProgress;
import dev.ferry.proto.v1.MigrationStatus;
import dev.ferry.proto.v1.ProgramSpec;
import dev.ferry.proto.v1.WatchMigrationRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.function.Executable;

@Timeout(30)
class ControllerServiceTest {

    private TestCluster cluster;
    private ControllerServiceBlockingStub controller;
    private FakeAgent hostA;
    private FakeAgent hostB;

    @BeforeEach
    void start() throws IOException {
        cluster = new TestCluster().withAgents("host-a", "host-b");
        controller = cluster.startInProcess();
        cluster.registerAll();
        hostA = cluster.agents.get("host-a");
        hostB = cluster.agents.get("host-b");
    }

    @AfterEach
    void stop() {
        cluster.close();
    }

    @Test
    void migrationStreamsProgressAndMovesTheGuest() {
        create("demo", "host-a", TestCluster.GIB);
        hostA.gate = new CountDownLatch(1);

        String id = migrate("demo", "host-b");
        assertTrue(id.matches("m-[0-9a-f]{8}"), id);

        Iterator<MigrationProgress> watch = cluster.stub().watchMigration(watchRequest(id));
        MigrationProgress first = watch.next();
        while (first.getStatus() == MigrationStatus.SETUP) {
            first = watch.next();
        }
        assertEquals(MigrationStatus.PRECOPY, first.getStatus(), "the agent holds after its first update");
        assertEquals(id, first.getMigrationId());
        assertEquals("demo", first.getGuest());
        hostA.gate.countDown();
        List<MigrationProgress> rest = new ArrayList<>();
        watch.forEachRemaining(rest::add);

        assertEquals(List.of(MigrationStatus.PRECOPY, MigrationStatus.STOP_AND_COPY, MigrationStatus.COMPLETED),
                rest.stream().map(MigrationProgress::getStatus).toList());
        assertEquals(1, rest.getFirst().getRound());
        assertEquals("host-b", guest("demo").getHost());
        MigrationProgress listed = controller.listMigrations(ListMigrationsRequest.getDefaultInstance()).getMigrations(0);
        assertEquals(id, listed.getMigrationId());
        assertEquals(MigrationStatus.COMPLETED, listed.getStatus());
        assertEquals("host-a", listed.getSourceHost());
        assertEquals("host-b", listed.getDestinationHost());
    }

    @Test
    void agentsGetTheTicketAndOptionsThroughTheController() {
        create("demo", "host-a", TestCluster.GIB);
        MigrationOptions options = MigrationOptions.newBuilder().setMaxDowntimeMicros(20_000).setChannels(4).build();
        hostB.prepareGate = new CountDownLatch(1);
        String id = migrate("demo", "host-b", options);

        MigrationProgress initial = cluster.stub().watchMigration(watchRequest(id)).next();
        assertEquals(MigrationStatus.SETUP, initial.getStatus());
        assertEquals(options, initial.getOptions(), "the requested options are there from the start");
        hostB.prepareGate.countDown();
        MigrationProgress end = last(id);

        assertEquals(MigrationStatus.COMPLETED, end.getStatus());
        assertEquals(options, hostA.migrateOuts.getFirst().getOptions());
        assertEquals(options, end.getOptions(), "kept when the agent does not report its own");
        assertEquals("host-a", hostB.prepares.getFirst().getSourceHost());
        assertEquals(TestCluster.GIB, hostB.prepares.getFirst().getSpec().getMemoryBytes());
        assertEquals("ticket-" + id, hostA.migrateOuts.getFirst().getTicket());
        assertEquals(7800, hostA.migrateOuts.getFirst().getDataPort());
        assertEquals("host-b", hostA.migrateOuts.getFirst().getDestinationHost());
    }

    @Test
    void watchOfAFinishedMigrationSendsItsEndAndCompletes() {
        create("demo", "host-a", TestCluster.GIB);
        String id = migrate("demo", "host-b");
        last(id);

        List<MigrationProgress> again = new ArrayList<>();
        cluster.stub().watchMigration(watchRequest(id)).forEachRemaining(again::add);
        assertEquals(1, again.size());
        assertEquals(MigrationStatus.COMPLETED, again.getFirst().getStatus());
        assertTrue(again.getFirst().getMemoryVerified());
    }

    @Test
    void prepareFailureEndsFailedAndNeverStartsTheSource() {
        create("demo", "host-a", TestCluster.GIB);
        hostB.prepareFailure = Status.RESOURCE_EXHAUSTED.withDescription("not enough memory for 1 GiB");

        MigrationProgress end = last(migrate("demo", "host-b"));

        assertEquals(MigrationStatus.FAILED, end.getStatus());
        assertTrue(end.getError().contains("host-b could not prepare"), end.getError());
        assertTrue(end.getError().contains("not enough memory"), end.getError());
        assertTrue(hostA.migrateOuts.isEmpty());
        assertEquals("host-a", guest("demo").getHost());
    }

    @Test
    void sourceReportedFailureKeepsTheGuestOnTheSource() {
        create("demo", "host-a", TestCluster.GIB);
        hostA.script = FakeAgent.failedScript("destination closed the data channel");

        MigrationProgress end = last(migrate("demo", "host-b"));

        assertEquals(MigrationStatus.FAILED, end.getStatus());
        assertEquals("destination closed the data channel", end.getError());
        assertEquals("host-a", guest("demo").getHost());
    }

    @Test
    void optionsAsTheSourceRunsThemReplaceTheRequestedOnes() {
        create("demo", "host-a", TestCluster.GIB);
        MigrationOptions asRun = MigrationOptions.newBuilder().setMaxDowntimeMicros(50_000).setMaxRounds(30)
                .setChannels(2).setStallRounds(5).build();
        hostA.script = FakeAgent.completedScript().stream().map(p -> p.toBuilder().setOptions(asRun).build()).toList();

        assertEquals(asRun, last(migrate("demo", "host-b")).getOptions());
    }

    @Test
    void brokenWatchIsRetriedThenReportedAsLostContactWithUnknownStatus() {
        create("demo", "host-a", TestCluster.GIB);
        hostA.script = List.of(FakeAgent.precopy(0, 10, TestCluster.GIB));
        hostA.breakWatch = true;

        MigrationProgress end = last(migrate("demo", "host-b"));

        assertEquals(MigrationStatus.UNKNOWN, end.getStatus());
        assertTrue(end.getError().startsWith("lost contact with source agent host-a"), end.getError());
        assertTrue(end.getError().contains("status unknown"), end.getError());
        assertFalse(end.getError().contains("rolled back"), end.getError());
        assertEquals(3, hostA.watchCalls.get(), "one watch and two retries");
        assertEquals("host-a", guest("demo").getHost());
        assertStatus(Status.Code.FAILED_PRECONDITION, "already ended (UNKNOWN)", () -> cancel(end.getMigrationId()));
    }

    @Test
    void cancelIsForwardedToTheSourceWhichRollsBack() {
        create("demo", "host-a", TestCluster.GIB);
        hostA.gate = new CountDownLatch(1);
        String id = migrate("demo", "host-b");
        awaitStatus(id, MigrationStatus.PRECOPY);

        cancel(id);

        assertEquals(List.of(id), hostA.cancels);
        assertEquals(List.of(id), hostB.cancels, "the destination drops its reservation too");
        hostA.gate.countDown();
        MigrationProgress end = last(id);
        assertEquals(MigrationStatus.CANCELLED, end.getStatus());
        assertEquals("host-a", guest("demo").getHost());
    }

    @Test
    void cancelBeforeTheSourceStartedEndsTheMigrationWithoutStartingIt() {
        create("demo", "host-a", TestCluster.GIB);
        hostB.prepareGate = new CountDownLatch(1);
        String id = migrate("demo", "host-b");

        cancel(id);
        hostB.prepareGate.countDown();
        MigrationProgress end = last(id);

        assertEquals(MigrationStatus.CANCELLED, end.getStatus());
        assertTrue(end.getError().contains("cancelled before the source started"), end.getError());
        assertTrue(hostA.migrateOuts.isEmpty(), "the source never heard of it");
        assertEquals(List.of(id), hostB.cancels, "the reservation is released");
    }

    @Test
    void sourceRefusingTheCancelKeepsItsCodeAndSaysWhoRefused() {
        create("demo", "host-a", TestCluster.GIB);
        hostA.gate = new CountDownLatch(1);
        hostA.cancelFailure = Status.FAILED_PRECONDITION.withDescription("migration already committed");
        String id = migrate("demo", "host-b");
        awaitStatus(id, MigrationStatus.PRECOPY);

        assertStatus(Status.Code.FAILED_PRECONDITION, "source host-a did not cancel migration " + id
                + ": host host-a: migration already committed", () -> cancel(id));
        assertTrue(hostB.cancels.isEmpty(), "the destination is left alone when the source refuses");
        hostA.gate.countDown();
        assertEquals(MigrationStatus.COMPLETED, last(id).getStatus());
    }

    @Test
    void cancelOfAnUnknownMigrationIsNotFound() {
        assertStatus(Status.Code.NOT_FOUND, "no migration with id m-00000000", () -> cancel("m-00000000"));
    }

    @Test
    void cancelOfAnEndedMigrationSaysHowItEnded() {
        create("demo", "host-a", TestCluster.GIB);
        String id = migrate("demo", "host-b");
        last(id);

        assertStatus(Status.Code.FAILED_PRECONDITION, "migration " + id + " already ended (COMPLETED)", () -> cancel(id));
        assertTrue(hostA.cancels.isEmpty());
    }

    @Test
    void migrateValidatesGuestAndDestination() {
        create("demo", "host-a", TestCluster.GIB);

        assertStatus(Status.Code.NOT_FOUND, "no guest named 'ghost'", () -> migrate("ghost", "host-b"));
        assertStatus(Status.Code.NOT_FOUND, "known hosts: host-a, host-b", () -> migrate("demo", "host-z"));
        assertStatus(Status.Code.FAILED_PRECONDITION, "already runs on host host-a", () -> migrate("demo", "host-a"));
    }

    @Test
    void migrateRefusesAnUnreachableDestination() {
        create("demo", "host-a", TestCluster.GIB);
        cluster.clock.advance(Duration.ofSeconds(4));
        cluster.heartbeat("host-a");

        assertStatus(Status.Code.FAILED_PRECONDITION, "host host-b is unreachable", () -> migrate("demo", "host-b"));
        assertEquals(HostHealth.HOST_UNREACHABLE, host("host-b").getHealth());
        assertEquals(HostHealth.HOST_HEALTHY, host("host-a").getHealth());
    }

    @Test
    void secondMigrationOfABusyGuestIsRefused() {
        create("demo", "host-a", TestCluster.GIB);
        hostA.gate = new CountDownLatch(1);
        String first = migrate("demo", "host-b");

        assertStatus(Status.Code.FAILED_PRECONDITION, "already migrating (" + first + ")", () -> migrate("demo", "host-b"));
        assertStatus(Status.Code.FAILED_PRECONDITION, "is migrating (" + first + ")",
                () -> controller.destroyGuest(DestroyGuestRequest.newBuilder().setName("demo").build()));
        hostA.gate.countDown();
        assertEquals(MigrationStatus.COMPLETED, last(first).getStatus());
    }

    @Test
    void createValidatesHostNameAndSize() {
        create("demo", "host-a", TestCluster.GIB);

        assertStatus(Status.Code.NOT_FOUND, "known hosts: host-a, host-b", () -> create("x", "host-z", TestCluster.GIB));
        assertStatus(Status.Code.ALREADY_EXISTS, "'demo' already exists", () -> create("demo", "host-b", TestCluster.GIB));
        assertStatus(Status.Code.INVALID_ARGUMENT, "multiple of 4096", () -> create("odd", "host-a", 1000));
        assertStatus(Status.Code.INVALID_ARGUMENT, "multiple of 4096", () -> create("empty", "host-a", 0));
    }

    @Test
    void destroyForwardsToTheGuestsHost() {
        create("demo", "host-a", TestCluster.GIB);
        controller.destroyGuest(DestroyGuestRequest.newBuilder().setName("demo").build());

        assertTrue(hostA.guests.isEmpty());
        assertTrue(controller.listGuests(ListGuestsRequest.getDefaultInstance()).getGuestsList().isEmpty());
        assertStatus(Status.Code.NOT_FOUND, "no guest named 'demo'",
                () -> controller.destroyGuest(DestroyGuestRequest.newBuilder().setName("demo").build()));
    }

    @Test
    void heartbeatsAreTheTruthAboutGuests() {
        hostB.guests.put("other", GuestInfo.newBuilder().setSpec(GuestSpec.newBuilder().setName("other").setMemoryBytes(4096)).build());
        assertTrue(cluster.heartbeat("host-b"));

        assertEquals("host-b", guest("other").getHost());
        assertEquals(1, host("host-b").getGuestCount());
        assertEquals(TestCluster.GIB, host("host-b").getMemoryUsedBytes());
    }

    @Test
    void unknownHostIsAskedToReregister() {
        assertFalse(cluster.heartbeat("host-new"));
    }

    @Test
    void watchOfUnknownMigrationIsNotFound() {
        assertStatus(Status.Code.NOT_FOUND, "no migration with id m-00000000",
                () -> cluster.stub().watchMigration(watchRequest("m-00000000")).hasNext());
    }

    private GuestInfo create(String name, String host, long memory) {
        return controller.createGuest(CreateGuestRequest.newBuilder().setHost(host).setSpec(GuestSpec.newBuilder()
                .setName(name).setMemoryBytes(memory).setProgram(ProgramSpec.newBuilder().setIdle(IdleSpec.getDefaultInstance())))
                .build());
    }

    private String migrate(String guest, String destination) {
        return migrate(guest, destination, MigrationOptions.getDefaultInstance());
    }

    private String migrate(String guest, String destination, MigrationOptions options) {
        return controller.migrate(MigrateRequest.newBuilder().setGuest(guest).setDestinationHost(destination)
                .setOptions(options).build()).getMigrationId();
    }

    private void cancel(String id) {
        controller.cancelMigration(CancelMigrationRequest.newBuilder().setMigrationId(id).build());
    }

    // The watch stream is held open by the gated agent, so read it only up to the wanted status.
    private void awaitStatus(String id, MigrationStatus wanted) {
        Iterator<MigrationProgress> watch = cluster.stub().watchMigration(watchRequest(id));
        while (watch.next().getStatus() != wanted) {
            assertTrue(watch.hasNext(), "the migration ended before reaching " + wanted);
        }
    }

    private MigrationProgress last(String id) {
        MigrationProgress last = null;
        for (Iterator<MigrationProgress> it = cluster.stub().watchMigration(watchRequest(id)); it.hasNext();) {
            last = it.next();
        }
        return last;
    }

    private GuestInfo guest(String name) {
        return controller.listGuests(ListGuestsRequest.getDefaultInstance()).getGuestsList().stream()
                .filter(g -> g.getSpec().getName().equals(name)).findFirst().orElseThrow();
    }

    private HostInfo host(String name) {
        return controller.listHosts(ListHostsRequest.getDefaultInstance()).getHostsList().stream()
                .filter(h -> h.getName().equals(name)).findFirst().orElseThrow();
    }

    private static WatchMigrationRequest watchRequest(String id) {
        return WatchMigrationRequest.newBuilder().setMigrationId(id).build();
    }

    private static void assertStatus(Status.Code code, String messagePart, Executable call) {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call);
        assertEquals(code, e.getStatus().getCode(), e.getStatus().toString());
        assertTrue(e.getStatus().getDescription().contains(messagePart), e.getStatus().getDescription());
    }
}
