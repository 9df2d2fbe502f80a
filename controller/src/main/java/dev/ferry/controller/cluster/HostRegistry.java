package dev.ferry.controller.cluster;

import dev.ferry.proto.v1.HostHealth;
import dev.ferry.proto.v1.HostInfo;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The hosts that registered, with their last heartbeat. Health is not stored but computed
 * from the heartbeat age on every read, so it needs no timer and tests drive it with a clock.
 * Synchronized: heartbeats and reads come from gRPC threads, and each method is short.
 */
public final class HostRegistry {

    private final Clock clock;
    private final Duration heartbeatTimeout;
    private final Map<String, HostInfo> hosts = new TreeMap<>();

    public HostRegistry(Clock clock, Duration heartbeatTimeout) {
        this.clock = clock;
        this.heartbeatTimeout = heartbeatTimeout;
    }

    /** Adds or replaces a host; registering counts as a heartbeat. Returns the previous entry. */
    public synchronized Optional<HostInfo> register(HostInfo host) {
        HostInfo stamped = host.toBuilder().setLastHeartbeatUnixMillis(clock.millis()).build();
        return Optional.ofNullable(hosts.put(host.getName(), stamped));
    }

    /** Records a heartbeat; false when the host is unknown (the controller restarted). */
    public synchronized boolean heartbeat(String name, long memoryUsedBytes, int guestCount) {
        HostInfo host = hosts.get(name);
        if (host == null) {
            return false;
        }
        hosts.put(name, host.toBuilder().setMemoryUsedBytes(memoryUsedBytes).setGuestCount(guestCount)
                .setLastHeartbeatUnixMillis(clock.millis()).build());
        return true;
    }

    /** All hosts by name, with health as of now. */
    public synchronized List<HostInfo> hosts() {
        List<HostInfo> result = new ArrayList<>();
        hosts.values().forEach(host -> result.add(withHealth(host)));
        return result;
    }

    public synchronized Optional<HostInfo> find(String name) {
        return Optional.ofNullable(hosts.get(name)).map(this::withHealth);
    }

    public synchronized List<String> names() {
        return List.copyOf(hosts.keySet());
    }

    /** How long ago the host was last heard from. */
    public Duration heartbeatAge(HostInfo host) {
        return Duration.ofMillis(Math.max(0, clock.millis() - host.getLastHeartbeatUnixMillis()));
    }

    private HostInfo withHealth(HostInfo host) {
        boolean late = heartbeatAge(host).compareTo(heartbeatTimeout) > 0;
        return host.toBuilder().setHealth(late ? HostHealth.HOST_UNREACHABLE : HostHealth.HOST_HEALTHY).build();
    }
}
