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
import dev.ferry.proto.v1.GuestState;
import dev.ferry.proto.v1.IdleSpec;
import dev.ferry.proto.v1.MigrationOptions;
import dev.ferry.proto.v1.MigrationProgress;
import dev.ferry.proto.v1.MigrationStatus;
import dev.ferry.proto.v1.ProgramSpec;
import dev.ferry.proto.v1.VnicState;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * COMMIT may leave as the disk's release completes, while the source still waits for READY.
 * If the destination then refuses the device state, its DISCARDED arrives where READY was
 * due: the source must take that word as its licence to resume, not fence the guest.
 */
@Timeout(60)
class LateCommitDiscardTest {
    private static final long BYTES = 4L << 20;

    @Test
    void discardedInPlaceOfReadyAfterTheDisksCommitResumesTheSource() throws Exception {
        MacAddress mac = MacAddress.random(new java.util.Random(7));
        GuestSpec spec = GuestSpec.newBuilder().setName("g").setMemoryBytes(BYTES).setVcpus(1).setMac(mac.toString())
                .setProgram(ProgramSpec.newBuilder().setIdle(IdleSpec.newBuilder().setFillRandom(true))).build();
        VirtualNic nic = new VirtualNic(mac);
        Guest guest = Guest.create(spec, new GuestDevices(nic, null));
        guest.start();
        HostedGuest hosted = new HostedGuest(guest, nic, null, 1);
        SlowDisk devices = new SlowDisk();
        IncomingMigrations incoming = new IncomingMigrations();
        GuestMemory memory = GuestMemory.allocate(BYTES);
        incoming.add(new IncomingMigration("m-late", "ticket", spec, memory, refusingLate(memory), incoming::remove));
        try (PageStreamTransport transport = PageStreamTransport.start(new InetSocketAddress("127.0.0.1", 0), incoming, 2)) {
            OutgoingMigration source = new OutgoingMigration(new MigrationTarget("m-late", "here", "there", "127.0.0.1",
                    transport.localAddress().getPort(), "ticket"), hosted, MigrationSettings.from(MigrationOptions.getDefaultInstance()),
                    MigrationTimeouts.DEFAULT, transport, devices, () -> { });
            source.run();
            MigrationProgress end = source.feed().latest();

            assertTrue(devices.commitLeft.get(), "COMMIT left as the disk was released, before READY");
            assertEquals(MigrationStatus.FAILED, end.getStatus(), end.getError());
            assertTrue(end.getError().contains("discarded its copy"), end.getError());
            assertTrue(devices.reattached.get(), "the source took its devices back");
            assertEquals(GuestState.GUEST_RUNNING, hosted.state());
            long steps = guest.steps();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (guest.steps() == steps && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertTrue(guest.steps() > steps, "the guest runs on the source again");
        } finally {
            guest.close();
        }
    }

    /** A destination guest whose state takes 400 ms to load, then is refused. */
    private static IncomingGuest refusingLate(GuestMemory memory) {
        return new IncomingGuest() {
            @Override
            public void load(List<byte[]> vcpuStates, VnicState vnic) {
                try {
                    Thread.sleep(400);  // long enough for the disk's release, and its COMMIT, to come first
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                throw new IllegalArgumentException("simulated unloadable CPU state");
            }

            @Override
            public void activate() {
                throw new AssertionError("a refused copy must never run");
            }

            @Override
            public void discard() {
                memory.close();
            }
        };
    }

    /** No vNIC or disk to speak of, but a disk release that completes 100 ms after the pause. */
    private static final class SlowDisk implements SourceDevices {
        final AtomicBoolean commitLeft = new AtomicBoolean();
        final AtomicBoolean reattached = new AtomicBoolean();

        @Override
        public Duration prepare() {
            return Duration.ZERO;
        }

        @Override
        public Detached detach() {
            return new Detached(VnicState.getDefaultInstance(), CompletableFuture.runAsync(() -> { },
                    CompletableFuture.delayedExecutor(100, TimeUnit.MILLISECONDS)));
        }

        @Override
        public void reattach() {
            reattached.set(true);
        }

        @Override
        public void committing(String destinationHost) {
            commitLeft.set(true);
        }

        @Override
        public void handedOff(String destinationHost) {}
    }
}
