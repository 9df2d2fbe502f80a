package dev.ferry.agent.host;

import dev.ferry.agent.guest.Guest;
import dev.ferry.agent.network.VirtualNic;
import dev.ferry.agent.storage.DiskImage;
import dev.ferry.proto.v1.GuestInfo;
import dev.ferry.proto.v1.GuestState;

/**
 * A guest on this host and what this host is doing with it (running, migrating, fenced),
 * with its devices: the vNIC plugged into this host's switch port and the disk image
 * (null on a host without shared storage). The epoch counts the guest's activations
 * across hosts; it orders announcements of where the guest runs.
 */
public final class HostedGuest {
    private final Guest guest;
    private final VirtualNic nic;
    private final DiskImage disk;
    private final long epoch;
    private volatile GuestState state = GuestState.GUEST_RUNNING;

    public HostedGuest(Guest guest, VirtualNic nic, DiskImage disk, long epoch) {
        this.guest = guest;
        this.nic = nic;
        this.disk = disk;
        this.epoch = epoch;
    }

    public Guest guest() {
        return guest;
    }

    public VirtualNic nic() {
        return nic;
    }

    /** Null when the guest has no disk. */
    public DiskImage disk() {
        return disk;
    }

    public long epoch() {
        return epoch;
    }

    public String name() {
        return guest.name();
    }

    public GuestState state() {
        return state;
    }

    public void setState(GuestState state) {
        this.state = state;
    }

    public GuestInfo info(String host) {
        GuestState shown = state == GuestState.GUEST_RUNNING && !guest.isRunning() ? GuestState.GUEST_PAUSED : state;
        return GuestInfo.newBuilder().setSpec(guest.spec()).setHost(host).setState(shown).setSteps(guest.steps())
                .setEpoch(epoch).build();
    }
}
