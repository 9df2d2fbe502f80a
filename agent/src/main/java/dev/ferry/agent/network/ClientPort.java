package dev.ferry.agent.network;

import dev.ferry.common.net.MacAddress;

/**
 * A client connection attached to this host's switch port: its link and, once attached,
 * the MAC the switch gave it and the guest it talks to. Touched only on the switch thread.
 */
public final class ClientPort {
    private final SwitchLink link;
    private MacAddress mac;
    private MacAddress guest;

    public ClientPort(SwitchLink link) {
        this.link = link;
    }

    SwitchLink link() {
        return link;
    }

    boolean attached() {
        return mac != null;
    }

    void attach(MacAddress mac, MacAddress guest) {
        this.mac = mac;
        this.guest = guest;
    }

    MacAddress mac() {
        return mac;
    }

    MacAddress guest() {
        return guest;
    }
}
