package dev.ferry.agent.migration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ferry.agent.TwoAgents;
import dev.ferry.agent.transport.RawPageStreamClient;
import dev.ferry.common.testing.Await;
import dev.ferry.common.wire.PageStreamFormat;
import dev.ferry.proto.v1.AgentCancelMigrationRequest;
import dev.ferry.proto.v1.Control;
import dev.ferry.proto.v1.DirtyPattern;
import dev.ferry.proto.v1.GuestSpec;
import dev.ferry.proto.v1.GuestState;
import dev.ferry.proto.v1.MigrationOptions;
import dev.ferry.proto.v1.MigrationProgress;
import dev.ferry.proto.v1.MigrationStatus;
import dev.ferry.proto.v1.PrepareIncomingRequest;
import dev.ferry.proto.v1.PrepareIncomingResponse;
import dev.ferry.proto.v1.StreamErrorCode;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.time.Duration;
import java.util.Iterator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Faults next to the happy path. After each: the guest runs exactly once, on the source
 * when the migration did not commit, with its memory intact, and the destination holds
 * no reservation.
 */
@Timeout(90)
class MigrationFaultTest {
    private static final long MIB = 1 << 20;
    /** Slow enough that the fault lands mid-copy. */
    private static final MigrationOptions SLOW = MigrationOptions.newBuilder().setBandwidthBytesPerSecond(32 * MIB).build();
    /**
     * Never converges on its own (a 1 us target, no stall rule in reach): ends only by the
     * fault, as long as every round finds a dirty page (an empty dirty set fits any target).
     */
    private static final MigrationOptions ENDLESS = SLOW.toBuilder().setMaxDowntimeMicros(1).setMaxRounds(1000)
            .setStallRounds(1000).build();

    private final TwoAgents agents = new TwoAgents();

    @AfterEach
    void stop() {
        agents.close();
    }

    @Test
    void destinationDyingMidCopyRollsBackToTheSource() {
        agents.stub(0).createGuest(TwoAgents.idleRandom("g", 128 * MIB));
        long digest = agents.describe(0, "g", true).getMemoryDigest();
        String id = agents.startMigration(0, 1, "g", SLOW);
        awaitPagesSent(id);

        agents.stop(1);

        MigrationProgress end = agents.watch(0, id, Duration.ofSeconds(60)).getLast();
        assertEquals(MigrationStatus.FAILED, end.getStatus());
        assertTrue(end.getError().contains("rolled back"), end.getError());
        assertRunsOnSourceIntact("g", digest);
    }

    @Test
    void dirtyingGuestKeepsRunningOnTheSourceAfterRollback() {
        // 128 MiB/s: a page every 30 us, so no round ends clean (at 16 MiB/s, a page every 244 us,
        // a quick round on a fast moment did, and the migration completed before the fault)
        agents.stub(0).createGuest(TwoAgents.dirtier("d", 128 * MIB, 128 * MIB, DirtyPattern.UNIFORM));
        String id = agents.startMigration(0, 1, "d", ENDLESS);
        awaitPagesSent(id);

        agents.stop(1);

        assertEquals(MigrationStatus.FAILED, agents.watch(0, id, Duration.ofSeconds(60)).getLast().getStatus());
        long steps = agents.describe(0, "d", false).getSteps();
        Await.until(() -> agents.describe(0, "d", false).getSteps() > steps + 10, Duration.ofSeconds(10),
                "guest steps to increase on the source after rollback");
        assertEquals(GuestState.GUEST_RUNNING, agents.describe(0, "d", false).getState());
    }

    @Test
    void cancelMidCopyFreesTheDestinationReservation() {
        agents.stub(0).createGuest(TwoAgents.idleRandom("g", 128 * MIB));
        long digest = agents.describe(0, "g", true).getMemoryDigest();
        String id = agents.startMigration(0, 1, "g", SLOW);
        awaitPagesSent(id);
        assertEquals(128 * MIB, agents.agent(1).host().guests().usedBytes());

        agents.stub(0).cancelMigration(AgentCancelMigrationRequest.newBuilder().setMigrationId(id).build());

        assertEquals(MigrationStatus.CANCELLED, agents.watch(0, id, Duration.ofSeconds(60)).getLast().getStatus());
        Await.until(() -> agents.agent(1).host().guests().usedBytes() == 0, Duration.ofSeconds(10),
                "destination to free its reservation");
        assertTrue(agents.agent(1).host().guests().all().isEmpty(), "no copy of the guest on the destination");
        assertRunsOnSourceIntact("g", digest);
    }

    @Test
    void wrongTicketIsRefusedAndTheRealMigrationStillWorks() throws Exception {
        agents.stub(1).createGuest(TwoAgents.dirtier("bystander", 16 * MIB, 8 * MIB, DirtyPattern.UNIFORM));
        agents.stub(0).createGuest(TwoAgents.idleRandom("g", 16 * MIB));
        String id = "m-ticket";
        PrepareIncomingResponse prepared = prepare(id, agents.describe(0, "g", false).getSpec());

        try (RawPageStreamClient client = new RawPageStreamClient(prepared.getDataPort())) {
            client.send(Control.newBuilder().setHello(RawPageStreamClient.hello(id, "not-the-ticket", 16 * MIB)).build());
            Control reply = client.receive();
            assertEquals(StreamErrorCode.BAD_TICKET, reply.getError().getCode());
            assertTrue(reply.getError().getMessage().contains("wrong ticket"), reply.getError().getMessage());
            assertTrue(client.closedByPeer());
        }
        assertBystanderRuns();

        agents.stub(0).migrateOut(dev.ferry.proto.v1.MigrateOutRequest.newBuilder().setMigrationId(id).setGuest("g")
                .setDestinationHost("host-b").setDataHost(prepared.getDataHost()).setDataPort(prepared.getDataPort())
                .setTicket(prepared.getTicket()).build());
        MigrationProgress end = agents.watch(0, id, Duration.ofSeconds(60)).getLast();
        assertEquals(MigrationStatus.COMPLETED, end.getStatus(), end.getError());
    }

    @Test
    void unknownMigrationIdIsRefused() throws Exception {
        try (RawPageStreamClient client = new RawPageStreamClient(agents.agent(1).dataAddress().getPort())) {
            client.send(Control.newBuilder().setHello(RawPageStreamClient.hello("m-nope", "x", 4096)).build());
            assertEquals(StreamErrorCode.BAD_TICKET, client.receive().getError().getCode());
            assertTrue(client.closedByPeer());
        }
    }

    @Test
    void wrongProtocolVersionIsRefused() throws Exception {
        try (RawPageStreamClient client = new RawPageStreamClient(agents.agent(1).dataAddress().getPort())) {
            client.send(Control.newBuilder().setHello(RawPageStreamClient.hello("m", "x", 4096).toBuilder()
                    .setProtocolVersion(PageStreamFormat.PROTOCOL_VERSION + 1)).build());
            Control reply = client.receive();
            assertEquals(StreamErrorCode.BAD_VERSION, reply.getError().getCode());
            assertTrue(reply.getError().getMessage().contains("not supported"));
            assertTrue(client.closedByPeer());
        }
    }

    @Test
    void malformedFrameClosesTheChannelAndDiscardsTheReservation() throws Exception {
        agents.stub(1).createGuest(TwoAgents.dirtier("bystander", 16 * MIB, 8 * MIB, DirtyPattern.UNIFORM));
        try (RawPageStreamClient client = helloed("m-bad", 16 * MIB)) {
            client.sendBytes(new byte[] {0, 0, 0, 3, 42, 1, 2});  // frame type 42 does not exist
            Control reply = client.receive();
            assertEquals(StreamErrorCode.BAD_FRAME, reply.getError().getCode());
            assertTrue(reply.getError().getMessage().contains("unknown frame type 42"), reply.getError().getMessage());
            assertTrue(client.closedByPeer());
        }
        awaitNoReservation();
        assertBystanderRuns();
    }

    @Test
    void pageIndexOutOfRangeIsRefused() throws Exception {
        try (RawPageStreamClient client = helloed("m-range", 16 * MIB)) {
            ByteBuf frame = Unpooled.buffer().writeInt(1 + 8 + 4).writeByte(PageStreamFormat.ZERO_PAGES)
                    .writeInt(1).writeInt(1).writeInt(4096);  // page 4096 of a 4096-page guest
            client.send(frame);
            Control reply = client.receive();
            assertEquals(StreamErrorCode.BAD_FRAME, reply.getError().getCode());
            assertTrue(reply.getError().getMessage().contains("out of range"), reply.getError().getMessage());
            assertTrue(client.closedByPeer());
        }
        awaitNoReservation();
    }

    @Test
    void oversizedFrameIsRefused() throws Exception {
        try (RawPageStreamClient client = helloed("m-big", 16 * MIB)) {
            client.sendBytes(new byte[] {0x7f, 0, 0, 0, PageStreamFormat.PAGES});
            Control reply = client.receive();
            assertEquals(StreamErrorCode.BAD_FRAME, reply.getError().getCode());
            assertTrue(client.closedByPeer());
        }
        awaitNoReservation();
    }

    private RawPageStreamClient helloed(String id, long bytes) throws Exception {
        PrepareIncomingResponse prepared = prepare(id, TwoAgents.idleRandom("incoming-" + id, bytes));
        RawPageStreamClient client = new RawPageStreamClient(prepared.getDataPort());
        client.send(Control.newBuilder().setHello(RawPageStreamClient.hello(id, prepared.getTicket(), bytes)).build());
        assertTrue(client.receive().hasHelloAck());
        return client;
    }

    private PrepareIncomingResponse prepare(String id, GuestSpec spec) {
        return agents.stub(1).prepareIncoming(PrepareIncomingRequest.newBuilder().setMigrationId(id)
                .setSpec(spec.getMac().isEmpty() ? spec.toBuilder().setMac("02:00:00:00:00:99").build() : spec)
                .setSourceHost("host-a").build());
    }

    private void awaitNoReservation() {
        Await.until(() -> agents.agent(1).host().guests().usedBytes() == guestBytesOnB(), Duration.ofSeconds(10),
                "destination to drop the reservation");
    }

    private long guestBytesOnB() {
        return agents.agent(1).host().guests().all().stream().mapToLong(g -> g.guest().memory().byteSize()).sum();
    }

    private void assertBystanderRuns() {
        long steps = agents.describe(1, "bystander", false).getSteps();
        Await.until(() -> agents.describe(1, "bystander", false).getSteps() > steps, Duration.ofSeconds(10),
                "the bystander guest to keep running");
    }

    private void awaitPagesSent(String id) {
        Iterator<MigrationProgress> stream = agents.stream(0, id, Duration.ofSeconds(30));
        while (stream.hasNext()) {
            MigrationProgress p = stream.next();
            if (p.getPagesSent() > 100) {
                return;
            }
            assertFalse(p.getStatus() == MigrationStatus.COMPLETED, "migration finished before the fault");
        }
        throw new AssertionError("the migration ended before sending pages: the fault would not land mid-copy");
    }

    private void assertRunsOnSourceIntact(String guest, long digest) {
        var info = agents.describe(0, guest, true);
        assertEquals(GuestState.GUEST_RUNNING, info.getState());
        assertEquals(digest, info.getMemoryDigest(), "source memory changed");
    }
}
