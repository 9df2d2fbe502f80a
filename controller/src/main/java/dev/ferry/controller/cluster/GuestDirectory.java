package dev.ferry.controller.cluster;

import dev.ferry.proto.v1.GuestInfo;
import dev.ferry.proto.v1.GuestLocation;
import dev.ferry.proto.v1.GuestState;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * Where each guest runs, as the agents last reported it. Agents are the truth: a heartbeat
 * replaces everything known about its host. The controller only writes ahead of them where
 * waiting for the next heartbeat would show a stale picture (a created guest, a completed
 * migration). During a migration both hosts may report the guest; the one that is not
 * {@code GUEST_INCOMING} is where it runs.
 */
public final class GuestDirectory {

    private final Map<String, Map<String, GuestInfo>> byHost = new TreeMap<>();
    private final Set<String> creating = new HashSet<>();
    private final Set<String> macsClaimed = new HashSet<>();
    /**
     * Guest name -> the host a completed migration took it from. That host's heartbeats may
     * still list the guest for a moment (built before it freed its copy); such reports are
     * stale, and ignored until a heartbeat from there no longer lists it.
     */
    private final Map<String, String> movedAway = new HashMap<>();

    /** Replaces the guests of one host with what its agent reported. */
    public synchronized void replaceHost(String host, Collection<GuestInfo> guests) {
        Map<String, GuestInfo> reported = new TreeMap<>();
        guests.forEach(guest -> reported.put(guest.getSpec().getName(), guest.toBuilder().setHost(host).build()));
        movedAway.entrySet().removeIf(left -> left.getValue().equals(host) && !reported.containsKey(left.getKey()));
        reported.keySet().removeIf(name -> host.equals(movedAway.get(name)));
        byHost.put(host, reported);
    }

    /** Adds one guest on its host (after the agent confirmed creating it). */
    public synchronized void put(GuestInfo guest) {
        byHost.computeIfAbsent(guest.getHost(), h -> new TreeMap<>()).put(guest.getSpec().getName(), guest);
    }

    public synchronized void remove(String host, String name) {
        byHost.getOrDefault(host, Map.of()).remove(name);
    }

    /** A completed migration: the guest runs on {@code to} from now on. */
    public synchronized void move(String name, String from, String to) {
        movedAway.put(name, from);
        GuestInfo moved = byHost.getOrDefault(from, new TreeMap<>()).remove(name);
        GuestInfo base = moved != null ? moved : findLocked(name).orElse(null);
        if (base != null) {
            // the destination activates with the next epoch: agents accept this entry over the old one
            put(base.toBuilder().setHost(to).setState(GuestState.GUEST_RUNNING).setEpoch(base.getEpoch() + 1).build());
        }
    }

    /** Whether a guest (running, arriving or being created with it) has this MAC. */
    public synchronized boolean macInUse(String mac) {
        return macsClaimed.contains(mac.toLowerCase(java.util.Locale.ROOT)) || byHost.values().stream()
                .flatMap(guests -> guests.values().stream())
                .anyMatch(g -> g.getSpec().getMac().equalsIgnoreCase(mac));
    }

    /** Claims a MAC for a guest about to be created; false if taken. Released with {@link #release(String)}'s twin. */
    public synchronized boolean claimMac(String mac) {
        return !macInUse(mac) && macsClaimed.add(mac.toLowerCase(java.util.Locale.ROOT));
    }

    public synchronized void releaseMac(String mac) {
        macsClaimed.remove(mac.toLowerCase(java.util.Locale.ROOT));
    }

    /** Where each running guest is, for the agents' forwarding tables. */
    public synchronized List<GuestLocation> locations() {
        return guests().stream().filter(g -> !g.getSpec().getMac().isEmpty() && g.getState() != GuestState.GUEST_INCOMING)
                .map(g -> GuestLocation.newBuilder().setGuest(g.getSpec().getName()).setMac(g.getSpec().getMac())
                        .setHost(g.getHost()).setEpoch(g.getEpoch()).build())
                .toList();
    }

    public synchronized Optional<GuestInfo> find(String name) {
        return findLocked(name);
    }

    /** One entry per guest name, sorted by name. */
    public synchronized List<GuestInfo> guests() {
        Map<String, GuestInfo> unique = new TreeMap<>();
        byHost.values().forEach(guests -> guests.values().forEach(g -> unique.merge(g.getSpec().getName(), g, GuestDirectory::preferRunning)));
        return new ArrayList<>(unique.values());
    }

    /**
     * Claims a name for a guest about to be created, so two concurrent creates with the same
     * name cannot both reach an agent. False if the name is taken or being claimed.
     */
    public synchronized boolean claim(String name) {
        return findLocked(name).isEmpty() && creating.add(name);
    }

    public synchronized void release(String name) {
        creating.remove(name);
    }

    private Optional<GuestInfo> findLocked(String name) {
        return byHost.values().stream().map(guests -> guests.get(name)).filter(g -> g != null)
                .reduce(GuestDirectory::preferRunning);
    }

    private static GuestInfo preferRunning(GuestInfo a, GuestInfo b) {
        return a.getState() == GuestState.GUEST_INCOMING ? b : a;
    }
}
