package dev.ferry.agent.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ferry.agent.migration.IncomingGuest;
import dev.ferry.agent.migration.IncomingMigration;
import dev.ferry.agent.migration.IncomingMigrations;
import dev.ferry.agent.migration.IncomingState;
import dev.ferry.common.memory.GuestMemory;
import dev.ferry.common.memory.PageDigest;
import dev.ferry.common.wire.PageStreamFormat;
import dev.ferry.proto.v1.ChannelEnd;
import dev.ferry.proto.v1.Control;
import dev.ferry.proto.v1.DeviceState;
import dev.ferry.proto.v1.GuestSpec;
import dev.ferry.proto.v1.Hello;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.timeout.IdleStateHandler;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A source that goes silent without closing: the destination gives the reservation back, on fake time. */
class IncomingChannelIdleTest {
    private static final int PAGES = 16;
    private final IncomingMigrations incoming = new IncomingMigrations();
    private GuestMemory memory;
    private IncomingMigration migration;
    private EmbeddedChannel channel;

    @BeforeEach
    void setUp() {
        memory = GuestMemory.allocate(PAGES * GuestMemory.PAGE_SIZE);
        GuestSpec spec = GuestSpec.newBuilder().setName("g").setMemoryBytes(memory.byteSize()).setVcpus(1).build();
        migration = new IncomingMigration("m", "t", spec, memory, closingGuest(memory), incoming::remove);
        incoming.add(migration);
        channel = new EmbeddedChannel(new IdleStateHandler(IncomingChannelHandler.IDLE_CHECK_SECONDS, 0, 0),
                new IncomingChannelHandler(incoming));
        channel.writeInbound(Control.newBuilder().setHello(Hello.newBuilder()
                .setProtocolVersion(PageStreamFormat.PROTOCOL_VERSION).setMigrationId("m").setTicket("t")
                .setChannelIndex(0).setChannelCount(1).setMemoryBytes(memory.byteSize())).build());
    }

    @AfterEach
    void tearDown() {
        channel.finishAndReleaseAll();
        if (migration.state() != IncomingState.DISCARDED) {
            memory.close();
        }
    }

    @Test
    void aSilentSourceAtReadyIsDroppedAfterOneCheck() {
        channel.writeInbound(Control.newBuilder().setChannelEnd(ChannelEnd.newBuilder().setPages(0)).build());
        channel.writeInbound(Control.newBuilder().setDeviceState(DeviceState.newBuilder()
                .setMemoryDigest(PageDigest.ofZeroMemory(PAGES).value()).addVcpuState(com.google.protobuf.ByteString.EMPTY)).build());
        assertEquals(IncomingState.READY, migration.state());

        silentFor(IncomingChannelHandler.IDLE_CHECK_SECONDS + 1);

        assertEquals(IncomingState.DISCARDED, migration.state());
        assertTrue(migration.discardReason().contains("while READY"), migration.discardReason());
        assertFalse(channel.isOpen());
    }

    @Test
    void aReceivingChannelMayBeQuietForLongButNotForever() {
        silentFor(5 * 60);
        assertEquals(IncomingState.RECEIVING, migration.state(), "a quiet channel between rounds is normal");
        assertTrue(channel.isOpen());

        silentFor(6 * 60);

        assertEquals(IncomingState.DISCARDED, migration.state());
        assertTrue(migration.discardReason().contains("while receiving"), migration.discardReason());
    }

    private void silentFor(int seconds) {
        for (int s = 0; s < seconds; s += 10) {
            channel.advanceTimeBy(10, TimeUnit.SECONDS);
            channel.runScheduledPendingTasks();
        }
    }

    private static IncomingGuest closingGuest(GuestMemory memory) {
        return new IncomingGuest() {
            @Override
            public void load(List<byte[]> vcpuStates, dev.ferry.proto.v1.VnicState vnic) {
            }

            @Override
            public void activate() {
            }

            @Override
            public void discard() {
                memory.close();
            }
        };
    }
}
