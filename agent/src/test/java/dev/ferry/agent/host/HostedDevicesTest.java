package dev.ferry.agent.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ferry.agent.guest.Disk;
import dev.ferry.agent.guest.Guest;
import dev.ferry.agent.guest.GuestDevices;
import dev.ferry.agent.migration.SourceDevices;
import dev.ferry.agent.network.ClientPort;
import dev.ferry.agent.network.SwitchLink;
import dev.ferry.agent.network.Trunks;
import dev.ferry.agent.network.VirtualNic;
import dev.ferry.agent.network.VirtualSwitch;
import dev.ferry.agent.storage.DiskImage;
import dev.ferry.agent.storage.DiskLockedException;
import dev.ferry.agent.storage.SharedStorage;
import dev.ferry.common.net.MacAddress;
import dev.ferry.proto.v1.GuestSpec;
import dev.ferry.proto.v1.IdleSpec;
import dev.ferry.proto.v1.ProgramSpec;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The source side of a migration's device hand-off: disk lock and vNIC, out and (on rollback) back. */
class HostedDevicesTest {
    private static final MacAddress MAC = MacAddress.parse("02:00:00:00:00:42");

    @TempDir
    Path mount;

    private final VirtualSwitch vswitch = new VirtualSwitch("source", Trunks.NONE);
    private SharedStorage storage;
    private DiskImage disk;
    private VirtualNic nic;
    private Guest guest;
    private HostedDevices devices;

    @BeforeEach
    void start() throws Exception {
        storage = new SharedStorage(mount);
        disk = storage.create("g", 1 << 20);
        nic = new VirtualNic(MAC);
        GuestSpec spec = GuestSpec.newBuilder().setName("g").setMemoryBytes(1 << 20).setMac(MAC.toString())
                .setDisk(disk.spec()).setProgram(ProgramSpec.newBuilder().setIdle(IdleSpec.getDefaultInstance())).build();
        guest = Guest.create(spec, new GuestDevices(nic, disk));
        devices = new HostedDevices(new HostedGuest(guest, nic, disk, 1), vswitch);
        vswitch.plugIn("g", nic, 1);
    }

    @AfterEach
    void stop() {
        guest.close();
        disk.closeQuietly();
        vswitch.close();
    }

    private static ByteBuffer bytes(String text) {
        return ByteBuffer.wrap(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    @Test
    void afterDetachingTheSourceCannotWriteAndTheDestinationCanLock() throws Exception {
        disk.write(0, bytes("before"));
        SourceDevices.Detached detached = devices.detach();
        detached.diskReleased().get(10, TimeUnit.SECONDS);

        assertFalse(disk.holdsLock());
        assertThrows(Disk.DiskNotOwnedException.class, () -> disk.write(0, bytes("late")));
        try (DiskImage destination = storage.open(disk.spec())) {
            destination.acquire();
            ByteBuffer read = ByteBuffer.allocate(6);
            destination.read(0, read);
            assertEquals("before", new String(read.array(), java.nio.charset.StandardCharsets.UTF_8),
                    "the destination reads what the source wrote before it let go");
        }
        assertEquals(MAC.toString(), detached.vnic().getMac());
        assertEquals(1, detached.vnic().getEpoch());
    }

    @Test
    void aRollbackTakesTheDiskBackAndGivesTheGuestTheFramesHeldMeanwhile() throws Exception {
        devices.detach().diskReleased().get(10, TimeUnit.SECONDS);
        ClientPort client = new ClientPort(message -> { });
        vswitch.attach(client, "g");
        vswitch.fromClient(client, "held".getBytes());
        vswitch.flush(Duration.ofSeconds(5));
        assertEquals(null, nic.receive(), "held while detached");

        devices.reattach();
        vswitch.flush(Duration.ofSeconds(5));

        assertTrue(disk.holdsLock());
        disk.write(0, bytes("after rollback"));
        assertEquals("held", new String(nic.receive().payload()));
    }

    @Test
    void aRollbackCannotResumeTheGuestWhenAnotherHostHoldsTheDisk() throws Exception {
        devices.detach().diskReleased().get(10, TimeUnit.SECONDS);
        try (DiskImage other = storage.open(disk.spec())) {
            other.acquire();
            assertThrows(DiskLockedException.class, devices::reattach,
                    "the migration must keep the guest paused rather than run it without its disk");
        }
    }
}
