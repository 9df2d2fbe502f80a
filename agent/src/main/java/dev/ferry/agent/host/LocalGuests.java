package dev.ferry.agent.host;

import dev.ferry.agent.migration.IncomingMigrations;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The guests this host runs (or holds paused), and its memory budget: guests plus the
 * memory reserved for incoming migrations must fit the configured capacity.
 */
public final class LocalGuests {
    private final Map<String, HostedGuest> byName = new ConcurrentHashMap<>();
    /** Room promised to preparations still allocating and pre-touching, by guest name. */
    private final Map<String, Long> pending = new java.util.HashMap<>();
    private final long capacityBytes;
    private final IncomingMigrations incoming;

    public LocalGuests(long capacityBytes, IncomingMigrations incoming) {
        this.capacityBytes = capacityBytes;
        this.incoming = incoming;
    }

    public long capacityBytes() {
        return capacityBytes;
    }

    public synchronized long usedBytes() {
        return byName.values().stream().mapToLong(g -> g.guest().memory().byteSize()).sum() + incoming.reservedBytes()
                + pending.values().stream().mapToLong(Long::longValue).sum();
    }

    /** Checks that a guest of this name and size may come here. */
    public synchronized void checkRoomFor(String name, long bytes) {
        if (byName.containsKey(name) || incoming.hasGuest(name) || pending.containsKey(name)) {
            throw new IllegalStateException("a guest named '" + name + "' is already on this host");
        }
        long free = capacityBytes - usedBytes();
        if (bytes > free) {
            throw new InsufficientCapacityException("guest '" + name + "' needs " + bytes
                    + " bytes of memory; this host has " + free + " free of " + capacityBytes);
        }
    }

    /**
     * Holds room for a guest while its memory is allocated and pre-touched (seconds for
     * large guests), so that no lock is held meanwhile and nothing can take the room.
     */
    public synchronized void reserve(String name, long bytes) {
        checkRoomFor(name, bytes);
        pending.put(name, bytes);
    }

    /** Gives back a {@link #reserve}d room; call once the real reservation is registered, or on failure. */
    public synchronized void unreserve(String name) {
        pending.remove(name);
    }

    public synchronized void add(HostedGuest guest) {
        if (byName.putIfAbsent(guest.name(), guest) != null) {  // a reserve()d name may be added by its holder
            throw new IllegalStateException("a guest named '" + guest.name() + "' is already on this host");
        }
    }

    public synchronized void remove(HostedGuest guest) {
        byName.remove(guest.name(), guest);
    }

    public Optional<HostedGuest> find(String name) {
        return Optional.ofNullable(byName.get(name));
    }

    public Collection<HostedGuest> all() {
        return List.copyOf(byName.values());
    }

    /** The memory budget is exceeded. */
    public static final class InsufficientCapacityException extends IllegalStateException {
        public InsufficientCapacityException(String message) {
            super(message);
        }
    }
}
