package dev.ferry.agent.guest;

/**
 * The devices a guest's program can use: its vNIC and its disk (null on a host started
 * without shared storage). Host objects: their state travels as device state, not memory.
 */
public record GuestDevices(Nic nic, Disk disk) {
    /** For checking a spec without building anything. */
    static final GuestDevices NONE = new GuestDevices(null, null);
}
