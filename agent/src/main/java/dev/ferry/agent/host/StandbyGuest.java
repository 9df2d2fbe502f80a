package dev.ferry.agent.host;

import dev.ferry.agent.guest.Guest;
import dev.ferry.agent.migration.IncomingGuest;
import dev.ferry.agent.network.VirtualNic;
import dev.ferry.agent.storage.DiskImage;
import dev.ferry.proto.v1.VnicState;
import java.io.IOException;
import java.util.List;

/**
 * A destination's guest built with its vCPUs parked ({@link Guest#standby}): READY loads
 * its registers and vNIC queues, COMMIT takes the disk lock and hands it to {@code start},
 * and no COMMIT frees it (disk untouched: this host never held its lock).
 */
public final class StandbyGuest implements IncomingGuest {
    /** Runs the activated guest here: register it, resume it, plug its vNIC in. */
    @FunctionalInterface
    public interface Start {
        void accept(Guest guest, long epoch);
    }

    private final Guest guest;
    private final VirtualNic nic;
    private final DiskImage disk;
    private final Start start;
    private final Runnable onDiscard;
    private long epoch = 1;

    /**
     * {@code disk} may be null (a guest without a disk); it is opened, not locked.
     * {@code onDiscard} runs if the guest never runs here.
     */
    public StandbyGuest(Guest guest, VirtualNic nic, DiskImage disk, Start start, Runnable onDiscard) {
        this.guest = guest;
        this.nic = nic;
        this.disk = disk;
        this.start = start;
        this.onDiscard = onDiscard;
    }

    @Override
    public void load(List<byte[]> vcpuStates, VnicState vnic) {
        if (!vnic.getMac().isEmpty()) {
            nic.restore(vnic);
            epoch = vnic.getEpoch() + 1;
        }
        guest.loadCpuStates(vcpuStates);
    }

    @Override
    public void activate() {
        if (disk != null) {
            try {
                disk.acquire();
            } catch (IOException e) {
                throw new IllegalStateException("cannot take the disk lock of " + guest.name() + ": " + e.getMessage(), e);
            }
        }
        start.accept(guest, epoch);
    }

    @Override
    public void discard() {
        onDiscard.run();
        guest.close();
        if (disk != null) {
            disk.closeQuietly();
        }
    }
}
