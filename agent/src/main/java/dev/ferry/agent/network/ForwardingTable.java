package dev.ferry.agent.network;

import dev.ferry.common.net.MacAddress;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Where every guest MAC lives (host and placement epoch), which guest a name means, and
 * which host each client MAC is attached to. Plain data, used by one thread (the switch's).
 *
 * <p>Guest entries only move forward: an entry is replaced by one with a higher epoch (an
 * activation elsewhere), so a late announcement or a stale report from the controller
 * never sends traffic back to a host the guest has left. Client entries are learned from
 * the frames they send (like a learning switch) and replaced by newer sightings.
 */
final class ForwardingTable {
    record Location(String guest, MacAddress mac, String host, long epoch) {}

    private final Map<MacAddress, Location> guests = new HashMap<>();
    private final Map<String, MacAddress> names = new HashMap<>();
    private final Map<MacAddress, String> clients = new HashMap<>();

    /** Records a location if it is newer than what is known; true if the table changed. */
    boolean update(Location location) {
        Location known = guests.get(location.mac());
        if (known != null && known.epoch() >= location.epoch()) {
            return false;
        }
        if (known != null && !known.guest().equals(location.guest())) {
            names.remove(known.guest(), known.mac());
        }
        guests.put(location.mac(), location);
        names.put(location.guest(), location.mac());
        clients.remove(location.mac());
        return true;
    }

    /** Forgets a guest (destroyed), unless a newer placement than {@code epoch} is known. */
    void remove(MacAddress mac, long epoch) {
        Location known = guests.get(mac);
        if (known != null && known.epoch() <= epoch) {
            guests.remove(mac);
            names.remove(known.guest(), mac);
        }
    }

    Optional<Location> guest(MacAddress mac) {
        return Optional.ofNullable(guests.get(mac));
    }

    Optional<Location> guestNamed(String name) {
        return Optional.ofNullable(names.get(name)).map(guests::get);
    }

    boolean isGuest(MacAddress mac) {
        return guests.containsKey(mac);
    }

    /** A client MAC seen arriving from {@code host}; guests are never learned from traffic. */
    void learnClient(MacAddress mac, String host) {
        if (!guests.containsKey(mac)) {
            clients.put(mac, host);
        }
    }

    void forgetClient(MacAddress mac) {
        clients.remove(mac);
    }

    Optional<String> clientHost(MacAddress mac) {
        return Optional.ofNullable(clients.get(mac));
    }

    int guestCount() {
        return guests.size();
    }
}
