package dev.ferry.agent.host;

import dev.ferry.agent.guest.Guest;
import dev.ferry.proto.v1.GuestInfo;
import dev.ferry.proto.v1.GuestState;

/** A guest on this host and what this host is doing with it (running, migrating, fenced). */
public final class HostedGuest {
    private final Guest guest;
    private volatile GuestState state = GuestState.GUEST_RUNNING;

    public HostedGuest(Guest guest) {
        this.guest = guest;
    }

    public Guest guest() {
        return guest;
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
        return GuestInfo.newBuilder().setSpec(guest.spec()).setHost(host).setState(shown).setSteps(guest.steps()).build();
    }
}
