package dev.ferry.agent.network;

import com.google.protobuf.ByteString;
import dev.ferry.common.net.Frame;
import dev.ferry.common.net.MacAddress;
import dev.ferry.proto.v1.Announce;
import dev.ferry.proto.v1.Attached;
import dev.ferry.proto.v1.GuestLocation;
import dev.ferry.proto.v1.Notice;
import dev.ferry.proto.v1.NoticeCode;
import dev.ferry.proto.v1.SwitchMessage;
import dev.ferry.proto.v1.TrunkFrame;
import dev.ferry.proto.v1.VnicState;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import io.netty.util.concurrent.DefaultEventExecutor;
import io.netty.util.concurrent.EventExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This host's port of the virtual switch: routes frames between the local guests' vNICs,
 * the clients attached here and the peers' switch ports.
 *
 * <p>Everything runs on one thread, so routing decisions, table updates and a migration's
 * freeze / hand-off / thaw are totally ordered without locks: a frame is either in the
 * vNIC's queues when the migration snapshots them, or held here and forwarded to the new
 * host afterwards (or given back to the guest on rollback), never both and never neither.
 * A migration freezes the vNIC itself ({@link VirtualNic#freeze}), without waiting for
 * this thread; from then on its deliveries come back FROZEN and the frames wait here.
 * That thread is the switch port's Netty event loop: a frame read from one connection is
 * routed and written to the next without a hand-off between threads (each costs tens of
 * microseconds on a busy host, and a request crosses several switches). Public methods run
 * inline on that thread and queue work from any other.
 */
public final class VirtualSwitch implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(VirtualSwitch.class);
    /** When the announcement rounds go out after an activation, like QEMU's self-announce. */
    static final List<Duration> ANNOUNCE_DELAYS = List.of(Duration.ZERO, Duration.ofMillis(50),
            Duration.ofMillis(150), Duration.ofMillis(250), Duration.ofMillis(350));
    static final int MAX_HOPS = 4;
    public static final int HOLD_LIMIT = 4096;

    private final String host;
    private final Trunks trunks;
    private final ForwardingTable table = new ForwardingTable();
    private final Map<MacAddress, GuestPort> ports = new HashMap<>();
    private final Map<MacAddress, ClientPort> clients = new HashMap<>();
    /** Guests migrating here, not running yet: frames passed on at COMMIT wait here for activation. */
    private final Map<MacAddress, ArrayDeque<HeldFrame>> arriving = new HashMap<>();
    /**
     * Guests withdrawn (destroyed) lately, and when: the controller's list may still name
     * them for a heartbeat or two, and must not bring them back. Its host's own announcement
     * (a guest created again with the same MAC) does.
     */
    private final Map<MacAddress, Long> withdrawnAt = new HashMap<>();
    private static final long WITHDRAWN_MEMORY_NANOS = TimeUnit.SECONDS.toNanos(30);
    private final EventExecutor thread;
    private final boolean ownThread;
    private final SecureRandom random = new SecureRandom();

    /** A guest running (or paused for a migration) here. */
    private static final class GuestPort {
        final String guest;
        final VirtualNic nic;
        final long epoch;
        final ArrayDeque<HeldFrame> held = new ArrayDeque<>();  // while its vNIC is frozen for a migration
        /** After COMMIT: where frames for the frozen guest go at once, instead of being held. */
        String forwardTo;

        GuestPort(String guest, VirtualNic nic, long epoch) {
            this.guest = guest;
            this.nic = nic;
            this.epoch = epoch;
        }
    }

    private record HeldFrame(Frame frame, String origin) {}

    /** A switch on a thread of its own (tests). */
    public VirtualSwitch(String host, Trunks trunks) {
        this(host, trunks, new DefaultEventExecutor(Thread.ofPlatform().name("switch-" + host).daemon().factory()), true);
    }

    /** A switch running on {@code loop}, which its owner shuts down after {@link #close()}. */
    public VirtualSwitch(String host, Trunks trunks, EventExecutor loop) {
        this(host, trunks, loop, false);
    }

    private VirtualSwitch(String host, Trunks trunks, EventExecutor thread, boolean ownThread) {
        this.host = host;
        this.trunks = trunks;
        this.thread = thread;
        this.ownThread = ownThread;
    }

    public String host() {
        return host;
    }

    // ---- guests on this host

    /** A guest starts running here (created, or activated by a migration): route to it and announce it. */
    public void plugIn(String guest, VirtualNic nic, long epoch) {
        run(() -> {
            GuestPort port = new GuestPort(guest, nic, epoch);
            ports.put(nic.mac(), port);
            withdrawnAt.remove(nic.mac());
            ArrayDeque<HeldFrame> early = arriving.remove(nic.mac());
            if (early != null) {  // after the restored queues: those frames are older
                for (HeldFrame h = early.pollFirst(); h != null; h = early.pollFirst()) {
                    deliverLocal(port, h.frame(), h.origin());
                }
            }
            table.update(new ForwardingTable.Location(guest, nic.mac(), host, epoch));
            nic.onTransmit(() -> run(() -> drain(port)));
            drain(port);  // a restored vNIC may hold frames the guest sent on the source
            announce(port);
        });
    }

    /** The guest is gone (destroyed here): forget it, and tell every peer to forget it too. */
    public void unplug(MacAddress mac) {
        run(() -> {
            GuestPort port = ports.remove(mac);
            if (port != null) {
                table.remove(mac, port.epoch);
                withdrawnAt.put(mac, System.nanoTime());
                rejectHeld(port, "guest " + port.guest + " was destroyed");
                SwitchMessage withdrawn = SwitchMessage.newBuilder().setAnnounce(Announce.newBuilder()
                        .setLocation(location(port)).setWithdrawn(true)).build();
                trunks.peers().forEach(peer -> trunks.send(peer, withdrawn));
            }
        });
    }

    /** A guest is being prepared here (standby): frames for it that arrive before it runs wait. */
    public void expect(MacAddress mac) {
        run(() -> arriving.putIfAbsent(mac, new ArrayDeque<>()));
    }

    /** The incoming guest will not run here (discarded): frames that waited go back to {@code source}. */
    public void abandon(MacAddress mac, String source) {
        run(() -> {
            ArrayDeque<HeldFrame> early = arriving.remove(mac);
            if (early != null) {
                for (HeldFrame h = early.pollFirst(); h != null; h = early.pollFirst()) {
                    send(source, trunkFrame(h.frame(), h.origin()).setReturned(true).build(), h.frame(), h.origin());
                }
            }
        });
    }

    /**
     * COMMIT has left for {@code destination}: the held frames go there now (it holds them
     * until the guest runs, so they are not waiting for ACTIVE to come back first), and so
     * does every frame that arrives later. A rollback ({@link #thaw}) stops it.
     */
    public void forwardHeld(MacAddress mac, String destination) {
        run(() -> {
            GuestPort port = ports.get(mac);
            if (port == null || !port.nic.frozen()) {
                return;
            }
            port.forwardTo = destination;
            for (HeldFrame h = port.held.pollFirst(); h != null; h = port.held.pollFirst()) {
                passOn(destination, h.frame(), h.origin());
            }
        });
    }

    /** The migration rolled back: the guest runs here again and gets the frames held meanwhile. */
    public void thaw(MacAddress mac) {
        run(() -> {
            GuestPort port = ports.get(mac);
            if (port == null) {
                return;
            }
            port.forwardTo = null;
            port.nic.unfreeze();
            for (HeldFrame h = port.held.pollFirst(); h != null; h = port.held.pollFirst()) {
                deliverLocal(port, h.frame(), h.origin());
            }
            drain(port);
        });
    }

    /**
     * The guest runs on {@code destination} now (ACTIVE, or its announcement came first):
     * route there and pass on every held frame, oldest first. Idempotent.
     */
    public void handOff(MacAddress mac, String destination, long epoch) {
        run(() -> {
            GuestPort port = ports.get(mac);
            String guest = port != null ? port.guest : table.guest(mac).map(ForwardingTable.Location::guest).orElse("?");
            table.update(new ForwardingTable.Location(guest, mac, destination, epoch));
            if (port != null && port.nic.frozen() && epoch > port.epoch) {
                handOff(port, destination);
            }
        });
    }

    private void handOff(GuestPort port, String destination) {
        ports.remove(port.nic.mac());
        int count = port.held.size();
        for (HeldFrame h = port.held.pollFirst(); h != null; h = port.held.pollFirst()) {
            forward(destination, h.frame(), h.origin(), 0, false);
        }
        log.info("guest {}: handed off to {}; {} held frames passed on", port.guest, destination, count);
    }

    // ---- the controller's view

    /** Locations reported by the controller; only newer ones change anything. */
    public void learn(List<GuestLocation> locations) {
        run(() -> {
            long now = System.nanoTime();
            withdrawnAt.values().removeIf(at -> now - at > WITHDRAWN_MEMORY_NANOS);
            for (GuestLocation location : locations) {
                parse(location).filter(l -> !l.host().equals(host) && !withdrawnAt.containsKey(l.mac()))
                        .ifPresent(this::learnFromPeer);
            }
        });
    }

    // ---- clients attached here

    public void attach(ClientPort client, String guestRef) {
        run(() -> {
            Optional<ForwardingTable.Location> location = findGuest(guestRef);
            if (location.isEmpty()) {
                client.link().send(notice(NoticeCode.UNKNOWN_GUEST, "no guest '" + guestRef + "' is known to host "
                        + host + " (by name or MAC); check `ferry guests`, or retry if it was just created", null));
                return;
            }
            MacAddress mac;
            do {
                mac = MacAddress.random(random);
            } while (clients.containsKey(mac) || table.isGuest(mac));
            client.attach(mac, location.get().mac());
            clients.put(mac, client);
            client.link().send(SwitchMessage.newBuilder().setAttached(Attached.newBuilder()
                    .setClientMac(mac.toString()).setGuestMac(location.get().mac().toString())
                    .setGuest(location.get().guest())).build());
        });
    }

    private Optional<ForwardingTable.Location> findGuest(String guestRef) {
        try {
            return table.guest(MacAddress.parse(guestRef));
        } catch (IllegalArgumentException notAMac) {
            return table.guestNamed(guestRef);
        }
    }

    public void fromClient(ClientPort client, byte[] payload) {
        run(() -> {
            if (!client.attached()) {
                client.link().send(notice(NoticeCode.BAD_MESSAGE, "send Attach before any payload", null));
                return;
            }
            route(new Frame(client.guest(), client.mac(), payload), host, 0);
        });
    }

    public void detach(ClientPort client) {
        run(() -> {
            if (client.attached()) {
                clients.remove(client.mac(), client);
            }
        });
    }

    // ---- peers

    public void fromPeer(TrunkFrame trunk) {
        run(() -> {
            Frame frame;
            try {
                frame = Frame.decode(trunk.getFrame().toByteArray());
            } catch (IllegalArgumentException e) {
                log.warn("dropped a malformed frame from {}: {}", trunk.getOriginHost(), e.getMessage());
                return;
            }
            if (!trunk.getOriginHost().equals(host)) {
                table.learnClient(frame.source(), trunk.getOriginHost());
            }
            if (trunk.getFlooded()) {
                if (ports.containsKey(frame.destination()) || clients.containsKey(frame.destination())) {
                    route(frame, trunk.getOriginHost(), MAX_HOPS);  // local delivery only
                }
                return;
            }
            if (trunk.getReturned() && ports.containsKey(frame.destination())) {
                deliverLocal(ports.get(frame.destination()), frame, trunk.getOriginHost(), true);
                return;
            }
            ArrayDeque<HeldFrame> early = arriving.get(frame.destination());
            if (trunk.getPassedOn() && early != null) {  // only what the source passes on waits; the rest still goes there
                if (early.size() < HOLD_LIMIT) {
                    early.addLast(new HeldFrame(frame, trunk.getOriginHost()));
                } else {
                    reject(trunk.getOriginHost(), frame, NoticeCode.QUEUE_FULL, "guest " + frame.destination()
                            + " is arriving here and " + HOLD_LIMIT + " frames already wait for it; frame dropped, send it again");
                }
                return;
            }
            route(frame, trunk.getOriginHost(), trunk.getHops());
        });
    }

    public void fromPeer(Announce announce) {
        run(() -> parse(announce.getLocation()).ifPresent(location -> {
            if (announce.getWithdrawn()) {
                table.remove(location.mac(), location.epoch());  // unless it has moved on since
                withdrawnAt.put(location.mac(), System.nanoTime());
            } else {
                withdrawnAt.remove(location.mac());
                learnFromPeer(location);
            }
        }));
    }

    public void fromPeer(Notice notice) {
        run(() -> {
            try {
                ClientPort client = clients.get(MacAddress.parse(notice.getClientMac()));
                if (client != null) {
                    client.link().send(SwitchMessage.newBuilder().setNotice(notice).build());
                }
            } catch (IllegalArgumentException e) {
                log.warn("dropped a notice for a malformed MAC: {}", notice.getClientMac());
            }
        });
    }

    private void learnFromPeer(ForwardingTable.Location location) {
        if (!table.update(location)) {
            return;
        }
        GuestPort port = ports.get(location.mac());
        if (port == null || location.epoch() <= port.epoch) {
            return;
        }
        if (port.nic.frozen()) {
            handOff(port, location.host());  // the new host announced before our migration heard ACTIVE
        } else {
            log.error("guest {} announced on {} (epoch {}) while it runs here (epoch {}): ignoring the announcement for "
                    + "local delivery", port.guest, location.host(), location.epoch(), port.epoch);
        }
    }

    // ---- routing

    private void route(Frame frame, String origin, int hops) {
        MacAddress to = frame.destination();
        GuestPort port = ports.get(to);
        if (port != null) {
            deliverLocal(port, frame, origin);
            return;
        }
        ClientPort client = clients.get(to);
        if (client != null) {
            client.link().send(SwitchMessage.newBuilder().setPayload(ByteString.copyFrom(frame.payload())).build());
            return;
        }
        if (hops >= MAX_HOPS) {
            reject(origin, frame, NoticeCode.NO_ROUTE, "frame for " + to + " dropped after " + hops + " hops");
            return;
        }
        Optional<String> next = table.guest(to).map(ForwardingTable.Location::host).or(() -> table.clientHost(to))
                .filter(h -> !h.equals(host));
        if (next.isPresent()) {
            forward(next.get(), frame, origin, hops + 1, false);
        } else if (!table.isGuest(to)) {
            for (String peer : trunks.peers()) {  // unknown unicast: flood, like any learning switch
                forward(peer, frame, origin, hops + 1, true);
            }
        } else {
            reject(origin, frame, NoticeCode.NO_ROUTE, "guest " + to + " is not running on " + host);
        }
    }

    private void deliverLocal(GuestPort port, Frame frame, String origin) {
        deliverLocal(port, frame, origin, false);
    }

    /** {@code returned}: the frame came back from a destination that gave the guest up; it stays here. */
    private void deliverLocal(GuestPort port, Frame frame, String origin, boolean returned) {
        switch (port.nic.deliver(frame)) {
            case DELIVERED -> { }
            case FROZEN -> {
                if (port.forwardTo != null && !returned) {
                    passOn(port.forwardTo, frame, origin);
                } else if (port.held.size() < HOLD_LIMIT) {
                    port.held.addLast(new HeldFrame(frame, origin));
                } else {
                    reject(origin, frame, NoticeCode.QUEUE_FULL, "guest " + port.guest + " is being migrated and "
                            + HOLD_LIMIT + " frames are already held for it; frame dropped, send it again");
                }
            }
            case FULL -> reject(origin, frame, NoticeCode.QUEUE_FULL, "guest " + port.guest
                    + "'s receive queue is full (" + VirtualNic.QUEUE_LIMIT + " frames); frame dropped, send it again");
        }
    }

    private void forward(String peer, Frame frame, String origin, int hops, boolean flooded) {
        TrunkFrame trunk = trunkFrame(frame, origin).setHops(hops).setFlooded(flooded).build();
        if (flooded) {
            trunks.send(peer, SwitchMessage.newBuilder().setTrunk(trunk).build());  // a miss is no one's loss
        } else {
            send(peer, trunk, frame, origin);
        }
    }

    /** To the host about to run a guest this host froze: it waits there until the guest runs. */
    private void passOn(String peer, Frame frame, String origin) {
        send(peer, trunkFrame(frame, origin).setPassedOn(true).build(), frame, origin);
    }

    private static TrunkFrame.Builder trunkFrame(Frame frame, String origin) {
        return TrunkFrame.newBuilder().setFrame(ByteString.copyFrom(frame.encode())).setOriginHost(origin);
    }

    private void send(String peer, TrunkFrame trunk, Frame frame, String origin) {
        if (!trunks.send(peer, SwitchMessage.newBuilder().setTrunk(trunk).build())) {
            reject(origin, frame, NoticeCode.NO_ROUTE, "no address known for host " + peer);
        }
    }

    private void drain(GuestPort port) {
        if (ports.get(port.nic.mac()) != port) {
            return;  // gone: what is still queued travelled in the device state
        }
        for (Frame frame = port.nic.pollTransmitted(); frame != null; frame = port.nic.pollTransmitted()) {
            route(frame, host, 0);
        }
    }

    private void reject(String origin, Frame frame, NoticeCode code, String message) {
        if (table.isGuest(frame.source())) {
            log.debug("dropped a frame from guest {}: {}", frame.source(), message);
            return;  // a guest's reply: its client retransmits and gets the reply again
        }
        Notice notice = Notice.newBuilder().setCode(code).setMessage(message).setClientMac(frame.source().toString()).build();
        if (origin.equals(host)) {
            ClientPort client = clients.get(frame.source());
            if (client != null) {
                client.link().send(SwitchMessage.newBuilder().setNotice(notice).build());
            }
        } else {
            trunks.send(origin, SwitchMessage.newBuilder().setNotice(notice).build());
        }
    }

    private void rejectHeld(GuestPort port, String why) {
        for (HeldFrame h = port.held.pollFirst(); h != null; h = port.held.pollFirst()) {
            reject(h.origin(), h.frame(), NoticeCode.NO_ROUTE, why);
        }
    }

    private GuestLocation location(GuestPort port) {
        return GuestLocation.newBuilder().setGuest(port.guest).setMac(port.nic.mac().toString())
                .setHost(host).setEpoch(port.epoch).build();
    }

    private void announce(GuestPort port) {
        GuestLocation location = location(port);
        for (int round = 0; round < ANNOUNCE_DELAYS.size(); round++) {
            int r = round;
            Runnable send = () -> {
                if (ports.get(port.nic.mac()) != port) {
                    return;  // left again, or destroyed: a stale announcement would mislead
                }
                SwitchMessage message = SwitchMessage.newBuilder()
                        .setAnnounce(Announce.newBuilder().setLocation(location).setRound(r)).build();
                trunks.peers().forEach(peer -> trunks.send(peer, message));
            };
            if (round == 0) {
                send.run();
            } else {
                thread.schedule(() -> guarded(send), ANNOUNCE_DELAYS.get(round).toMillis(), TimeUnit.MILLISECONDS);
            }
        }
    }

    private static SwitchMessage notice(NoticeCode code, String message, MacAddress client) {
        Notice.Builder notice = Notice.newBuilder().setCode(code).setMessage(message);
        if (client != null) {
            notice.setClientMac(client.toString());
        }
        return SwitchMessage.newBuilder().setNotice(notice).build();
    }

    private Optional<ForwardingTable.Location> parse(GuestLocation location) {
        try {
            return Optional.of(new ForwardingTable.Location(location.getGuest(), MacAddress.parse(location.getMac()),
                    location.getHost(), location.getEpoch()));
        } catch (IllegalArgumentException e) {
            log.warn("ignored a location with a malformed MAC: {}", location);
            return Optional.empty();
        }
    }

    private GuestPort port(MacAddress mac) {
        GuestPort port = ports.get(mac);
        if (port == null) {
            throw new IllegalStateException("no guest with MAC " + mac + " is plugged into the switch on " + host);
        }
        return port;
    }

    // ---- the switch thread

    private void run(Runnable task) {
        if (thread.inEventLoop()) {
            guarded(task);
            return;
        }
        try {
            thread.execute(() -> guarded(task));
        } catch (java.util.concurrent.RejectedExecutionException e) {
            log.debug("switch on {} is closed; dropped a task", host);
        }
    }

    private <T> CompletableFuture<T> call(java.util.concurrent.Callable<T> task) {
        CompletableFuture<T> result = new CompletableFuture<>();
        try {
            thread.execute(() -> {
                try {
                    result.complete(task.call());
                } catch (Throwable t) {
                    result.completeExceptionally(t);
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            result.completeExceptionally(new IllegalStateException("switch on " + host + " is closed"));
        }
        return result;
    }

    private static void guarded(Runnable task) {
        try {
            task.run();
        } catch (RuntimeException e) {
            log.error("switch task failed; the switch keeps running", e);
        }
    }

    /** Waits until every task queued before this call has run (tests, and orderly shutdown). */
    public void flush(Duration timeout) {
        try {
            call(() -> null).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("switch on " + host + " did not catch up within " + timeout, e);
        }
    }

    /** For tests and diagnostics: where this switch would send frames for {@code mac}. */
    public CompletableFuture<Optional<GuestLocation>> lookup(MacAddress mac) {
        return call(() -> table.guest(mac).map(l -> GuestLocation.newBuilder().setGuest(l.guest())
                .setMac(l.mac().toString()).setHost(l.host()).setEpoch(l.epoch()).build()));
    }

    @Override
    public void close() {
        if (ownThread) {
            thread.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
    }
}
