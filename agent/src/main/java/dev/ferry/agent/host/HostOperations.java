package dev.ferry.agent.host;

import dev.ferry.agent.guest.Guest;
import dev.ferry.agent.guest.GuestDevices;
import dev.ferry.agent.network.VirtualNic;
import dev.ferry.agent.network.VirtualSwitch;
import dev.ferry.agent.storage.DiskImage;
import dev.ferry.agent.storage.DiskLockedException;
import dev.ferry.agent.storage.SharedStorage;
import dev.ferry.agent.storage.StorageMismatchException;
import dev.ferry.common.net.MacAddress;
import dev.ferry.proto.v1.DiskSpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import dev.ferry.agent.migration.IncomingGuest;
import dev.ferry.agent.migration.IncomingMigration;
import dev.ferry.agent.migration.IncomingMigrations;
import dev.ferry.agent.migration.IncomingState;
import dev.ferry.agent.migration.MigrationSettings;
import dev.ferry.agent.migration.MigrationTarget;
import dev.ferry.agent.migration.MigrationTimeouts;
import dev.ferry.agent.migration.OutgoingMigration;
import dev.ferry.agent.transport.PageStreamTransport;
import dev.ferry.common.memory.GuestMemory;
import dev.ferry.common.memory.PageDigest;
import dev.ferry.proto.v1.GuestInfo;
import dev.ferry.proto.v1.GuestSpec;
import dev.ferry.proto.v1.GuestState;
import dev.ferry.proto.v1.MigrateOutRequest;
import dev.ferry.proto.v1.PrepareIncomingRequest;
import dev.ferry.proto.v1.PrepareIncomingResponse;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What an agent can be asked to do, as plain calls taking and returning proto messages:
 * the gRPC service is a thin adapter over this. Errors are thrown as
 * IllegalArgumentException (bad request), NoSuchElementException (unknown name),
 * IllegalStateException (not now) or InsufficientCapacityException.
 */
public final class HostOperations implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(HostOperations.class);
    private static final int FINISHED_MIGRATIONS_KEPT = 100;
    private static final long DEFAULT_DISK_BYTES = 64L << 20;

    private final String hostName;
    private final String dataHost;
    private final LocalGuests guests;
    private final IncomingMigrations incoming;
    private final PageStreamTransport transport;
    private final MigrationTimeouts timeouts;
    private final Duration reservationTimeout;
    private final Map<String, OutgoingMigration> outgoing = new LinkedHashMap<>();
    private final ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("reservation-timer").daemon().factory());
    private final SecureRandom random = new SecureRandom();
    private final Map<String, Thread> running = new java.util.concurrent.ConcurrentHashMap<>();
    private final VirtualSwitch vswitch;
    private final SharedStorage storage;
    private volatile Runnable onPlacementChange = () -> {};

    /** {@code storage} may be null: guests then get no disk, and guests with one cannot come here. */
    public HostOperations(String hostName, String dataHost, LocalGuests guests, IncomingMigrations incoming,
                          PageStreamTransport transport, MigrationTimeouts timeouts, Duration reservationTimeout,
                          VirtualSwitch vswitch, SharedStorage storage) {
        this.vswitch = vswitch;
        this.storage = storage;
        this.hostName = hostName;
        this.dataHost = dataHost;
        this.guests = guests;
        this.incoming = incoming;
        this.transport = transport;
        this.timeouts = timeouts;
        this.reservationTimeout = reservationTimeout;
    }

    public String hostName() {
        return hostName;
    }

    public LocalGuests guests() {
        return guests;
    }

    /** Called after a guest starts running here (created or arrived): the controller should hear at once. */
    public void onPlacementChange(Runnable listener) {
        this.onPlacementChange = listener;
    }

    public GuestInfo createGuest(GuestSpec request) {
        GuestSpec checked = validate(request);
        MacAddress mac = checked.getMac().isEmpty() ? MacAddress.random(random) : MacAddress.parse(checked.getMac());
        if (guests.all().stream().anyMatch(g -> g.nic().mac().equals(mac))) {
            throw new IllegalArgumentException("MAC " + mac + " is already used by another guest on " + hostName);
        }
        if ((checked.getProgram().hasKv() || checked.hasDisk()) && storage == null) {
            throw new IllegalArgumentException((checked.hasDisk() ? "the guest is to use disk " + checked.getDisk().getImage()
                    : "program kv logs to a disk") + ", and host " + hostName
                    + " has no shared storage: start its agent with --storage DIR");
        }
        guests.reserve(checked.getName(), checked.getMemoryBytes());
        HostedGuest hosted;
        DiskImage disk = null;
        try {
            disk = storage == null ? null : checked.hasDisk() ? adopt(checked)
                    : storage.create(checked.getName(), diskBytes(checked), checked.getDiskAllocation());
            GuestSpec.Builder spec = checked.toBuilder().setMac(mac.toString()).setDiskBytes(0).clearDiskAllocation();
            if (disk != null) {
                spec.setDisk(disk.spec());
            }
            VirtualNic nic = new VirtualNic(mac);
            hosted = new HostedGuest(Guest.create(spec.build(), new GuestDevices(nic, disk)), nic, disk, 1);
            guests.add(hosted);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the disk of guest " + checked.getName() + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            if (disk != null) {
                disk.closeQuietly();
                if (!checked.hasDisk()) {
                    deleteQuietly(disk.spec());  // ours, made a moment ago; an adopted disk stays
                }
            }
            throw e;
        } finally {
            guests.unreserve(checked.getName());
        }
        hosted.guest().start();
        vswitch.plugIn(hosted.name(), hosted.nic(), hosted.epoch());
        onPlacementChange.run();
        log.info("guest {} created: {} bytes, {}, MAC {}{}", hosted.name(), checked.getMemoryBytes(),
                checked.getProgram().getProgramCase(), mac, disk == null ? "" : ", disk " + disk.spec().getImage());
        return hosted.info(hostName);
    }

    private DiskImage adopt(GuestSpec spec) throws IOException {
        try {
            return storage.adopt(spec.getDisk().getImage());
        } catch (StorageMismatchException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        } catch (DiskLockedException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    private static long diskBytes(GuestSpec spec) {
        long bytes = spec.getDiskBytes() == 0 ? DEFAULT_DISK_BYTES : spec.getDiskBytes();
        if (bytes < 0 || bytes % 4096 != 0) {
            throw new IllegalArgumentException("disk size must be a positive multiple of 4096 bytes, got " + bytes);
        }
        return bytes;
    }

    private void deleteQuietly(DiskSpec disk) {
        try {
            storage.delete(disk);
        } catch (IOException | RuntimeException e) {
            log.warn("could not delete disk image {}: {}", disk.getImage(), e.getMessage());
        }
    }

    private static GuestSpec validate(GuestSpec spec) {
        if (spec.getName().isBlank() || !spec.getName().matches("[A-Za-z0-9][A-Za-z0-9_.-]{0,62}")) {
            throw new IllegalArgumentException("guest name '" + spec.getName()
                    + "' is not valid: use 1-63 letters, digits, '.', '_' or '-', starting with a letter or digit");
        }
        return Guest.checkSpec(spec);
    }

    public void destroyGuest(String name) {
        destroyGuest(name, false);
    }

    /** Destroys a guest; its disk image is deleted unless {@code keepDisk}. */
    public synchronized void destroyGuest(String name, boolean keepDisk) {
        HostedGuest hosted = find(name);
        if (hosted.state() == GuestState.GUEST_MIGRATING_OUT) {
            throw new IllegalStateException("guest '" + name + "' is migrating out; cancel the migration first");
        }
        guests.remove(hosted);
        vswitch.unplug(hosted.nic().mac());
        hosted.guest().close();
        if (hosted.disk() != null) {
            hosted.disk().closeQuietly();
            if (!keepDisk) {
                deleteQuietly(hosted.disk().spec());
            }
        }
        log.info("guest {} destroyed{}", name, keepDisk && hosted.disk() != null
                ? "; its disk " + hosted.disk().spec().getImage() + " is kept" : "");
    }

    public List<GuestInfo> listGuests() {
        return guests.all().stream().map(g -> g.info(hostName)).toList();
    }

    public GuestInfo describeGuest(String name, boolean withDigest) {
        HostedGuest hosted = find(name);
        GuestInfo info = hosted.info(hostName);
        if (!withDigest) {
            return info;
        }
        return info.toBuilder().setHasDigest(true)
                .setMemoryDigest(PageDigest.of(hosted.guest().memory().segment())).build();
    }

    private HostedGuest find(String name) {
        return guests.find(name).orElseThrow(() -> new NoSuchElementException("no guest named '" + name + "' on " + hostName));
    }

    /**
     * Reserves and pre-touches memory for an incoming guest and builds it parked; returns its
     * one-time ticket. Only the room is claimed under a lock: pre-touching takes seconds.
     */
    public PrepareIncomingResponse prepareIncoming(PrepareIncomingRequest request) {
        GuestSpec spec = validate(request.getSpec());
        if (spec.getMac().isEmpty()) {
            throw new IllegalArgumentException("guest " + spec.getName() + " has no MAC address in its spec");
        }
        MacAddress.parse(spec.getMac());
        preflightStorage(spec);
        guests.reserve(spec.getName(), spec.getMemoryBytes());
        try {
            IncomingMigration migration = reserveIncoming(request.getMigrationId(), spec, request.getSourceHost());
            timers.schedule(() -> expire(migration), reservationTimeout.toMillis(), TimeUnit.MILLISECONDS);
            log.info("migration {}: reserved {} bytes for guest {} from {}", request.getMigrationId(),
                    spec.getMemoryBytes(), spec.getName(), request.getSourceHost());
            return PrepareIncomingResponse.newBuilder().setTicket(migration.ticket()).setDataHost(dataHost)
                    .setDataPort(transport.localAddress().getPort()).build();
        } finally {
            guests.unreserve(spec.getName());
        }
    }

    /** The shared-storage check, before any memory is reserved: this host must see the very same image. */
    private void preflightStorage(GuestSpec spec) {
        if (!spec.hasDisk()) {
            return;
        }
        if (storage == null) {
            throw new IllegalStateException("host " + hostName + " has no shared storage, and guest " + spec.getName()
                    + "'s disk " + spec.getDisk().getImage() + " lives on it: start this agent with --storage DIR");
        }
        try {
            storage.check(spec.getDisk());
        } catch (StorageMismatchException e) {
            throw new IllegalStateException("cannot take guest " + spec.getName() + " here: " + e.getMessage(), e);
        }
    }

    private IncomingMigration reserveIncoming(String migrationId, GuestSpec spec, String sourceHost) {
        GuestMemory memory = GuestMemory.allocate(spec.getMemoryBytes());
        IncomingGuest guest;
        DiskImage disk = null;
        try {
            disk = spec.hasDisk() ? storage.open(spec.getDisk()) : null;
            memory.pretouch();
            guest = standby(spec, memory, disk, sourceHost);
        } catch (IOException e) {
            memory.close();
            throw new UncheckedIOException("cannot open the disk of guest " + spec.getName() + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            memory.close();
            if (disk != null) {
                disk.closeQuietly();
            }
            throw e;
        }
        IncomingMigration migration = new IncomingMigration(migrationId, HexFormat.of().formatHex(randomBytes()), spec,
                memory, guest, incoming::remove);
        try {
            incoming.add(migration);
        } catch (RuntimeException e) {
            guest.discard();
            throw e;
        }
        return migration;
    }

    private byte[] randomBytes() {
        byte[] bytes = new byte[16];
        random.nextBytes(bytes);
        return bytes;
    }

    private void expire(IncomingMigration migration) {
        migration.discardIfStillReserved("no source connected within " + reservationTimeout);
    }

    /** The destination's guest, built now with its vCPUs parked: activation only loads registers and resumes. */
    private IncomingGuest standby(GuestSpec spec, GuestMemory memory, DiskImage disk, String sourceHost) {
        VirtualNic nic = new VirtualNic(MacAddress.parse(spec.getMac()));
        StandbyGuest standby = new StandbyGuest(Guest.standby(spec, memory, new GuestDevices(nic, disk)), nic, disk,
                (guest, epoch) -> {
                    HostedGuest hosted = new HostedGuest(guest, nic, disk, epoch);
                    guests.add(hosted);
                    guest.resume();
                    vswitch.plugIn(guest.name(), nic, epoch);  // routes here from now on and announces the MAC
                    onPlacementChange.run();
                }, () -> vswitch.abandon(nic.mac(), sourceHost));  // frames passed on at COMMIT go back
        vswitch.expect(nic.mac());
        return standby;
    }

    /** Starts streaming a guest to a prepared destination; returns at once. */
    public synchronized OutgoingMigration migrateOut(MigrateOutRequest request) {
        HostedGuest hosted = find(request.getGuest());
        if (hosted.state() != GuestState.GUEST_RUNNING) {
            throw new IllegalStateException("guest '" + request.getGuest() + "' is " + hosted.state() + ", not running");
        }
        if (outgoing.containsKey(request.getMigrationId())) {
            throw new IllegalStateException("migration " + request.getMigrationId() + " already exists here");
        }
        MigrationSettings settings = MigrationSettings.from(request.getOptions());
        MigrationTarget target = new MigrationTarget(request.getMigrationId(), hostName, request.getDestinationHost(),
                request.getDataHost(), request.getDataPort(), request.getTicket());
        OutgoingMigration migration = new OutgoingMigration(target, hosted, settings, timeouts, transport,
                new HostedDevices(hosted, vswitch), () -> retire(hosted));
        hosted.setState(GuestState.GUEST_MIGRATING_OUT);
        remember(migration);
        running.put(migration.id(), Thread.ofPlatform().name("migrate-" + request.getMigrationId()).start(migration));
        return migration;
    }

    private void remember(OutgoingMigration migration) {
        running.values().removeIf(thread -> !thread.isAlive());
        outgoing.put(migration.id(), migration);
        if (outgoing.size() > FINISHED_MIGRATIONS_KEPT) {
            outgoing.entrySet().removeIf(e -> e.getValue().feed().ended() && outgoing.size() > FINISHED_MIGRATIONS_KEPT);
        }
    }

    /** Whether the migration accepted the cancel; a committing one ends on its own within its timeouts. */
    private static boolean cancelQuietly(OutgoingMigration migration) {
        try {
            migration.cancel();
            return true;
        } catch (IllegalStateException e) {
            return false;
        }
    }

    /** The guest runs elsewhere now: free it here (its disk stays: the new host holds its lock). */
    private void retire(HostedGuest hosted) {
        guests.remove(hosted);
        hosted.guest().close();
        if (hosted.disk() != null) {
            hosted.disk().closeQuietly();
        }
    }

    /**
     * Cancels a migration this host takes part in: an outgoing one rolls back (until COMMIT),
     * an incoming one not yet active is discarded.
     */
    public synchronized void cancel(String id) {
        OutgoingMigration out = outgoing.get(id);
        if (out != null) {
            out.cancel();
            return;
        }
        IncomingMigration in = incoming.all().stream().filter(m -> m.id().equals(id)).findFirst()
                .orElseThrow(() -> new NoSuchElementException("no migration '" + id + "' on " + hostName));
        IncomingState state = in.state();
        if (state == IncomingState.READY || state == IncomingState.ACTIVE) {
            // at READY a COMMIT may be on its way: discarding now would fence a guest nobody runs
            throw new IllegalStateException("migration " + id + " is " + state + " here; only the source can cancel it now");
        }
        in.discard("cancelled");
    }

    public synchronized OutgoingMigration migration(String id) {
        OutgoingMigration migration = outgoing.get(id);
        if (migration == null) {
            throw new NoSuchElementException("no migration '" + id + "' started from " + hostName);
        }
        return migration;
    }

    /**
     * First step of shutdown: rolls back outgoing migrations that have not committed
     * (interrupting their waits) and waits, bounded, for every migration thread; committing
     * ones get the time to finish. Then drops reservations.
     */
    public void stopMigrations() {
        timers.shutdownNow();
        synchronized (this) {
            outgoing.values().stream().filter(m -> !m.feed().ended() && cancelQuietly(m))
                    .map(m -> running.get(m.id())).filter(java.util.Objects::nonNull).forEach(Thread::interrupt);
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(40);
        for (Thread thread : running.values()) {
            try {
                thread.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        incoming.all().forEach(m -> m.discard("agent shutting down"));
    }

    /** Last step of shutdown, after the page-stream channels are closed: no write reads guest memory any more. */
    public void closeGuests() {
        for (HostedGuest hosted : guests.all()) {
            guests.remove(hosted);
            try {
                hosted.guest().close();
                if (hosted.disk() != null) {
                    hosted.disk().closeQuietly();  // releases the lock after a flush; the image stays for a restart
                }
            } catch (RuntimeException e) {
                log.warn("guest {}: close failed; continuing", hosted.name(), e);
            }
        }
    }

    @Override
    public void close() {
        stopMigrations();
        closeGuests();
    }
}
