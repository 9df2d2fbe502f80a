package dev.ferry.agent.host;

import dev.ferry.agent.guest.Guest;
import dev.ferry.agent.migration.IncomingGuest;
import java.util.List;
import java.util.function.Consumer;

/**
 * A destination's guest built with its vCPUs parked ({@link Guest#standby}): READY loads
 * its registers, COMMIT hands it to {@code start}, and no COMMIT frees it.
 */
public final class StandbyGuest implements IncomingGuest {
    private final Guest guest;
    private final Consumer<Guest> start;

    public StandbyGuest(Guest guest, Consumer<Guest> start) {
        this.guest = guest;
        this.start = start;
    }

    @Override
    public void load(List<byte[]> vcpuStates) {
        guest.loadCpuStates(vcpuStates);
    }

    @Override
    public void activate() {
        start.accept(guest);
    }

    @Override
    public void discard() {
        guest.close();
    }
}
