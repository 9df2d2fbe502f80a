package dev.ferry.agent.network;

import dev.ferry.proto.v1.SwitchMessage;

/** One end of a switch connection (a client's or a trunk to a peer): sends without blocking. */
@FunctionalInterface
public interface SwitchLink {
    void send(SwitchMessage message);
}
