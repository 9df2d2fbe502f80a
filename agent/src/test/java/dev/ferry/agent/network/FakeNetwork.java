package dev.ferry.agent.network;

import dev.ferry.proto.v1.SwitchMessage;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.LinkedBlockingQueue;

/** Switches wired to each other in memory: trunk messages go straight to the peer's switch. */
final class FakeNetwork implements AutoCloseable {
    private final Map<String, VirtualSwitch> switches = new LinkedHashMap<>();

    VirtualSwitch add(String host) {
        VirtualSwitch vswitch = new VirtualSwitch(host, new Trunks() {
            @Override
            public boolean send(String peer, SwitchMessage message) {
                VirtualSwitch to = switches.get(peer);
                if (to == null) {
                    return false;
                }
                switch (message.getBodyCase()) {
                    case TRUNK -> to.fromPeer(message.getTrunk());
                    case ANNOUNCE -> to.fromPeer(message.getAnnounce());
                    case NOTICE -> to.fromPeer(message.getNotice());
                    default -> throw new AssertionError("a trunk carried " + message.getBodyCase());
                }
                return true;
            }

            @Override
            public Set<String> peers() {
                return switches.keySet().stream().filter(h -> !h.equals(host)).collect(java.util.stream.Collectors.toSet());
            }
        });
        switches.put(host, vswitch);
        return vswitch;
    }

    /** Lets every switch finish its queued work, a few times over (one switch's work queues another's). */
    void settle() {
        for (int i = 0; i < 6; i++) {
            switches.values().forEach(s -> s.flush(Duration.ofSeconds(5)));
        }
    }

    @Override
    public void close() {
        switches.values().forEach(VirtualSwitch::close);
    }

    /** A client connection's far end: what the switch sent it. */
    static final class ClientEnd implements SwitchLink {
        final LinkedBlockingQueue<SwitchMessage> received = new LinkedBlockingQueue<>();

        @Override
        public void send(SwitchMessage message) {
            received.add(message);
        }

        SwitchMessage next() throws InterruptedException {
            SwitchMessage message = received.poll(5, java.util.concurrent.TimeUnit.SECONDS);
            if (message == null) {
                throw new AssertionError("nothing arrived within 5 s");
            }
            return message;
        }
    }
}
