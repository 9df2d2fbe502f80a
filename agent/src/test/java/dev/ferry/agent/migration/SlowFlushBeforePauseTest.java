package dev.ferry.agent.migration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ferry.agent.guest.Guest;
import dev.ferry.agent.guest.GuestDevices;
import dev.ferry.agent.host.HostedGuest;
import dev.ferry.agent.network.VirtualNic;
import dev.ferry.agent.transport.PageStreamTransport;
import dev.ferry.common.memory.GuestMemory;
import dev.ferry.common.net.MacAddress;
import dev.ferry.proto.v1.GuestSpec;
import dev.ferry.proto.v1.IdleSpec;
import dev.ferry.proto.v1.MigrationOptions;
import dev.ferry.proto.v1.MigrationProgress;
import dev.ferry.proto.v1.MigrationStatus;
import dev.ferry.proto.v1.ProgramSpec;
import dev.ferry.proto.v1.VnicState;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The disk flush right before the pause tells whether the disk is slow right now. While it
 * takes longer than the downtime target the source runs another pre-copy round instead of
 * pausing (at most three), so the hand-off flush inside the downtime does not meet the same
 * slow disk.
 */
@Timeout(60)
class SlowFlushBeforePauseTest {
    private static final long BYTES = 4L << 20;
    private static final Duration SLOW = Duration.ofMillis(250);  // the default target is 50 ms

    @Test
    void whileTheFlushIsSlowerThanTheTargetTheGuestRunsAnotherRound() throws Exception {
        MigrationProgress end = migrate(SLOW, SLOW, Duration.ofMillis(1));
        assertEquals(MigrationStatus.COMPLETED, end.getStatus(), end.getError());
        assertTrue(end.getMemoryVerified());
        // round 0 copies all; two slow flushes each buy a round; the quick third lets it pause
        assertEquals(4, end.getRoundsCount(), "three pre-copy rounds and the stop-and-copy round: " + end.getRoundsList());
    }

    @Test
    void aDiskThatStaysSlowDelaysThePauseAtMostThreeRounds() throws Exception {
        MigrationProgress end = migrate(SLOW, SLOW, SLOW, SLOW, SLOW, SLOW);
        assertEquals(MigrationStatus.COMPLETED, end.getStatus(), end.getError());
        assertEquals(1 + ConvergencePlanner.MAX_SLOW_FLUSH_ROUNDS + 1, end.getRoundsCount(), end.getRoundsList().toString());
    }

    @Test
    void aQuickFlushPausesAtOnce() throws Exception {
        MigrationProgress end = migrate(Duration.ofMillis(1));
        assertEquals(MigrationStatus.COMPLETED, end.getStatus(), end.getError());
        assertEquals(2, end.getRoundsCount(), "round 0, then the stop-and-copy round");
    }

    /** Migrates an idle 4 MiB guest whose disk reports these flush times, in order (then quick). */
    private static MigrationProgress migrate(Duration... flushes) throws Exception {
        MacAddress mac = MacAddress.random(new java.util.Random(11));
        GuestSpec spec = GuestSpec.newBuilder().setName("g").setMemoryBytes(BYTES).setVcpus(1).setMac(mac.toString())
                .setProgram(ProgramSpec.newBuilder().setIdle(IdleSpec.newBuilder().setFillRandom(true))).build();
        VirtualNic nic = new VirtualNic(mac);
        Guest guest = Guest.create(spec, new GuestDevices(nic, null));
        guest.start();
        IncomingMigrations incoming = new IncomingMigrations();
        GuestMemory memory = GuestMemory.allocate(BYTES);
        incoming.add(new IncomingMigration("m-slow", "ticket", spec, memory, accepting(memory), incoming::remove));
        try (PageStreamTransport transport = PageStreamTransport.start(new InetSocketAddress("127.0.0.1", 0), incoming, 2)) {
            OutgoingMigration source = new OutgoingMigration(new MigrationTarget("m-slow", "here", "there", "127.0.0.1",
                    transport.localAddress().getPort(), "ticket"), new HostedGuest(guest, nic, null, 1),
                    MigrationSettings.from(MigrationOptions.getDefaultInstance()), MigrationTimeouts.DEFAULT, transport,
                    new TimedDisk(flushes), () -> { });
            source.run();
            return source.feed().latest();
        } finally {
            guest.close();
        }
    }

    private static IncomingGuest accepting(GuestMemory memory) {
        return new IncomingGuest() {
            @Override
            public void load(List<byte[]> vcpuStates, VnicState vnic) {}

            @Override
            public void activate() {
                memory.close();  // it would run here; the test only needed it to get this far
            }

            @Override
            public void discard() {
                memory.close();
            }
        };
    }

    /** As {@link SourceDevices#NONE}, but its flushes before the pause report the given times. */
    private static final class TimedDisk implements SourceDevices {
        private final Deque<Duration> flushes;

        TimedDisk(Duration... flushes) {
            this.flushes = new ArrayDeque<>(List.of(flushes));
        }

        @Override
        public Duration prepare() {
            Duration next = flushes.poll();
            return next == null ? Duration.ZERO : next;
        }

        @Override
        public Detached detach() throws IOException {
            return NONE.detach();
        }

        @Override
        public void reattach() throws IOException {
            NONE.reattach();
        }

        @Override
        public void committing(String destinationHost) {
            NONE.committing(destinationHost);
        }

        @Override
        public void handedOff(String destinationHost) {
            NONE.handedOff(destinationHost);
        }
    }
}
