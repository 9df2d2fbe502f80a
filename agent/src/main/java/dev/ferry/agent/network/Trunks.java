package dev.ferry.agent.network;

import dev.ferry.proto.v1.SwitchMessage;
import java.util.Set;

/** The switch's links to its peers, one per other host, connected on first use. */
public interface Trunks {
    /** Sends to {@code host}; false if that host is unknown (no address for it yet). */
    boolean send(String host, SwitchMessage message);

    /** Every peer host with a known address. */
    Set<String> peers();

    /** A switch alone: no peers (a host's private switch, tests). */
    Trunks NONE = new Trunks() {
        @Override
        public boolean send(String host, SwitchMessage message) {
            return false;
        }

        @Override
        public Set<String> peers() {
            return Set.of();
        }
    };
}
