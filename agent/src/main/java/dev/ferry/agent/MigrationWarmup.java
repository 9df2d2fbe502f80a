package dev.ferry.agent;

import dev.ferry.agent.guest.Guest;
import dev.ferry.agent.guest.GuestDevices;
import dev.ferry.agent.host.HostedDevices;
import dev.ferry.agent.host.HostedGuest;
import dev.ferry.agent.host.StandbyGuest;
import dev.ferry.agent.migration.IncomingGuest;
import dev.ferry.agent.migration.IncomingMigration;
import dev.ferry.agent.migration.IncomingMigrations;
import dev.ferry.agent.migration.MigrationSettings;
import dev.ferry.agent.migration.MigrationTarget;
import dev.ferry.agent.migration.MigrationTimeouts;
import dev.ferry.agent.migration.OutgoingMigration;
import dev.ferry.agent.network.ClientPort;
import dev.ferry.agent.network.Trunks;
import dev.ferry.agent.network.VirtualNic;
import dev.ferry.agent.network.VirtualSwitch;
import dev.ferry.agent.storage.DiskImage;
import dev.ferry.agent.storage.SharedStorage;
import dev.ferry.agent.transport.PageStreamTransport;
import dev.ferry.common.kv.KvReply;
import dev.ferry.common.kv.KvRequest;
import dev.ferry.common.memory.GuestMemory;
import dev.ferry.common.net.MacAddress;
import dev.ferry.proto.v1.DirtierSpec;
import dev.ferry.proto.v1.GuestSpec;
import dev.ferry.proto.v1.KvSpec;
import dev.ferry.proto.v1.MigrationOptions;
import dev.ferry.proto.v1.MigrationStatus;
import dev.ferry.proto.v1.ProgramSpec;
import dev.ferry.proto.v1.SwitchMessage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * At start, migrates a small guest from this agent to itself over its own page-stream port,
 * through the real transport, both state machines and the device hand-off (its vNIC moves
 * between two private switches), then throws it away; several times. Code that runs once
 * per migration (commit, activation, the vNIC and switch hand-off, their lambdas and log
 * calls) otherwise runs interpreted and cold inside the first real downtimes, costing
 * 5-20 ms each; here it costs 2-3 s at start (kv part included), and proves the data path works.
 *
 * <p>Two kinds: tiny guests, many times, for the once-per-migration code; then a few larger
 * ones whose memory is mostly written (long runs of pages, zero pages between them) and
 * dirtied fast (scattered pages in later rounds), so the per-page loops on both sides are
 * compiled with the profiles real guests give them. With tiny guests only, those loops were
 * still being recompiled (uncommon traps, OSR) during the first real migrations, on the two
 * cores the migration needed.
 *
 * <p>Last, a {@code kv} guest with a disk: a client on the warm-up switch makes 1000 calls,
 * then it moves with its disk lock, and 250 more calls there. Without it, the first kv migration after
 * an agent started ran the disk hand-off, the kv program's activation and its request path
 * cold on the host that had never run one (the demo: devices detached 5 ms, activation 8.4
 * ms, READY 11 ms, a 40 ms blackout against 13-16 ms for the later ones). Its disk is an
 * image in a temporary directory of this host, never on the shared mount, deleted after.
 */
final class MigrationWarmup {
    private static final Logger log = LoggerFactory.getLogger(MigrationWarmup.class);
    private static final long BYTES = 256 * GuestMemory.PAGE_SIZE;
    /** Enough for the once-per-migration code to be compiled, not just loaded. */
    static final int MIGRATIONS = 10;
    private static final long BULK_BYTES = 32L << 20;
    /** Enough page traffic (~100 MiB each way) for the per-page loops to reach their final compilation. */
    static final int BULK_MIGRATIONS = 3;
    /** One page in this many stays zero. */
    private static final int ZERO_ONE_IN = 8;
    private static final long KV_BYTES = 8L << 20;
    private static final long KV_DISK_BYTES = 1L << 20;
    /** Calls before the kv guest moves, and after; each also stops at {@link #KV_CALLS_TIME}. */
    private static final int KV_CALLS = 1000;
    private static final Duration KV_CALLS_TIME = Duration.ofSeconds(2);
    private static final Duration KV_REPLY_TIMEOUT = Duration.ofSeconds(2);
    /** The kv guest's scratch directory: this prefix, then the agent's PID, so a later start can tell a dead agent's leftovers. */
    static final String SCRATCH_PREFIX = "ferry-warmup-";

    private MigrationWarmup() {}

    /** What the warm-up did: migrations completed, kv calls answered. */
    record Outcome(int migrations, int kvCalls) {}

    /** Runs the warm-up; the kv guest's disk goes in a new directory under {@code scratch}, deleted after. */
    static Outcome run(IncomingMigrations incoming, PageStreamTransport transport, Path scratch) {
        long start = System.nanoTime();
        deleteLeftovers(scratch);
        int migrations = 0;
        int kvCalls = 0;
        try (VirtualSwitch from = new VirtualSwitch("warmup-source", Trunks.NONE);
             VirtualSwitch to = new VirtualSwitch("warmup-destination", Trunks.NONE)) {
            for (int i = 0; i < MIGRATIONS + BULK_MIGRATIONS; i++) {
                if (!dirtier(incoming, transport, from, to, i < MIGRATIONS ? BYTES : BULK_BYTES)) {
                    return new Outcome(migrations, kvCalls);
                }
                migrations++;
            }
            KvCalls kv = kv(incoming, transport, from, to, scratch);
            migrations += kv.moved() ? 1 : 0;
            kvCalls += kv.answered();
        }
        log.info("migration path warmed up over loopback ({} migrations, {} kv calls) in {} ms", migrations, kvCalls,
                (System.nanoTime() - start) / 1_000_000);
        return new Outcome(migrations, kvCalls);
    }

    private record KvCalls(boolean moved, int answered) {}

    private static boolean dirtier(IncomingMigrations incoming, PageStreamTransport transport, VirtualSwitch from,
                                   VirtualSwitch to, long bytes) {
        long dirtyRate = bytes > BYTES ? bytes * 2 : BYTES * 8;  // bulk: scattered pages in every later round
        GuestSpec spec = spec(bytes, ProgramSpec.newBuilder().setDirtier(DirtierSpec.newBuilder().setRateBytesPerSecond(dirtyRate)));
        VirtualNic sourceNic = new VirtualNic(MacAddress.parse(spec.getMac()));
        Guest guest = Guest.create(spec, new GuestDevices(sourceNic, null));
        if (bytes > BYTES) {
            fillMost(guest.memory());
        }
        guest.start();
        from.plugIn(spec.getName(), sourceNic, 1);
        Guest moved = migrate(incoming, transport, from, to, new HostedGuest(guest, sourceNic, null, 1), null);
        if (moved == null) {
            return false;
        }
        to.unplug(sourceNic.mac());
        moved.close();
        return true;
    }

    /** A kv guest with a disk in a temporary directory: calls, the move with its disk lock, calls there. */
    private static KvCalls kv(IncomingMigrations incoming, PageStreamTransport transport, VirtualSwitch from, VirtualSwitch to,
                              Path scratch) {
        int answered = 0;
        Path directory = null;
        DiskImage sourceDisk = null;
        DiskImage destinationDisk = null;
        Guest guest = null;
        Guest moved = null;
        try {
            directory = Files.createTempDirectory(scratch, SCRATCH_PREFIX + ProcessHandle.current().pid() + "-");
            SharedStorage storage = new SharedStorage(directory);
            GuestSpec unplaced = spec(KV_BYTES, ProgramSpec.newBuilder().setKv(KvSpec.getDefaultInstance()));
            sourceDisk = storage.create(unplaced.getName(), KV_DISK_BYTES);
            GuestSpec spec = unplaced.toBuilder().setDisk(sourceDisk.spec()).build();
            destinationDisk = storage.open(sourceDisk.spec());
            VirtualNic sourceNic = new VirtualNic(MacAddress.parse(spec.getMac()));
            guest = Guest.create(spec, new GuestDevices(sourceNic, sourceDisk));
            guest.start();
            from.plugIn(spec.getName(), sourceNic, 1);
            answered += new WarmupClient(from, spec.getName()).calls(KV_CALLS);
            moved = migrate(incoming, transport, from, to, new HostedGuest(guest, sourceNic, sourceDisk, 1), destinationDisk);
            guest = null;  // closed by the migration, or by migrate() when it failed
            if (moved != null) {
                answered += new WarmupClient(to, spec.getName()).calls(KV_CALLS / 4);
                to.unplug(sourceNic.mac());
            }
            return new KvCalls(moved != null, answered);
        } catch (IOException | RuntimeException e) {
            log.warn("kv warm-up failed: {} (the first kv migrations may have longer downtime)", e.toString());
            return new KvCalls(false, answered);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new KvCalls(false, answered);
        } finally {
            if (guest != null) {
                guest.close();
            }
            if (moved != null) {
                moved.close();
            }
            if (sourceDisk != null) {
                sourceDisk.closeQuietly();
            }
            if (destinationDisk != null) {
                destinationDisk.closeQuietly();
            }
            deleteQuietly(directory);
        }
    }

    /**
     * Migrates {@code hosted} (running, plugged into {@code from}) to a standby that plugs into
     * {@code to} when activated; returns the running copy, or null if the migration failed
     * (then both copies are gone).
     */
    private static Guest migrate(IncomingMigrations incoming, PageStreamTransport transport, VirtualSwitch from,
                                 VirtualSwitch to, HostedGuest hosted, DiskImage destinationDisk) {
        Guest guest = hosted.guest();
        GuestSpec spec = guest.spec();
        String id = spec.getName();
        VirtualNic nic = new VirtualNic(hosted.nic().mac());
        AtomicReference<Guest> running = new AtomicReference<>();
        IncomingMigration destination;
        OutgoingMigration source;
        try {
            destination = standby(spec, nic, destinationDisk, to, running, incoming);
        } catch (RuntimeException e) {
            guest.close();
            throw e;
        }
        try {
            source = new OutgoingMigration(new MigrationTarget(id, "self", "self", loopback(transport),
                    transport.localAddress().getPort(), id), hosted, MigrationSettings.from(MigrationOptions.getDefaultInstance()),
                    MigrationTimeouts.DEFAULT, transport, new HostedDevices(hosted, from), guest::close);
        } catch (RuntimeException e) {
            destination.discard("warm-up could not start: " + e);
            guest.close();
            throw e;
        }
        source.run();
        from.unplug(hosted.nic().mac());
        MigrationStatus end = source.feed().latest().getStatus();
        if (end == MigrationStatus.COMPLETED) {
            return running.get();
        }
        destination.discard("warm-up ended " + end);
        guest.close();
        Guest ran = running.get();
        if (ran != null) {
            to.unplug(nic.mac());
            ran.close();
        }
        log.warn("migration warm-up over loopback ended {}: {} (first migrations may have longer downtime)",
                end, source.feed().latest().getError());
        return null;
    }

    /**
     * The destination's side, registered: the real standby path (built parked, activated by
     * COMMIT), which plugs into {@code to} and hands over the running copy. On failure frees
     * what it made.
     */
    private static IncomingMigration standby(GuestSpec spec, VirtualNic nic, DiskImage disk, VirtualSwitch to,
                                             AtomicReference<Guest> running, IncomingMigrations incoming) {
        GuestMemory memory = GuestMemory.allocate(spec.getMemoryBytes());
        IncomingGuest standby;
        try {
            standby = new StandbyGuest(Guest.standby(spec, memory, new GuestDevices(nic, disk)), nic, disk,
                    (activated, epoch) -> {
                        activated.resume();
                        to.plugIn(spec.getName(), nic, epoch);
                        running.set(activated);
                    }, () -> { });
        } catch (RuntimeException e) {
            memory.close();  // Guest.standby leaves it to the caller when it throws
            throw e;
        }
        IncomingMigration destination = new IncomingMigration(spec.getName(), spec.getName(), spec, memory, standby,
                incoming::remove);
        try {
            incoming.add(destination);
        } catch (RuntimeException e) {
            standby.discard();
            throw e;
        }
        return destination;
    }

    private static GuestSpec spec(long bytes, ProgramSpec.Builder program) {
        String id = "warmup-" + UUID.randomUUID();
        MacAddress mac = MacAddress.random(new Random());
        return GuestSpec.newBuilder().setName(id).setMemoryBytes(bytes).setVcpus(1).setMac(mac.toString())
                .setProgram(program).build();
    }

    private static void fillMost(GuestMemory memory) {
        for (int page = 0; page < memory.pageCount(); page++) {
            if (page % ZERO_ONE_IN != 0) {
                memory.fillPage(page, page * 0x9E3779B97F4A7C15L, 0xBF58476D1CE4E5B9L);
            }
        }
    }

    private static String loopback(PageStreamTransport transport) {
        InetSocketAddress address = transport.localAddress();
        return address.getAddress().isAnyLocalAddress() ? "127.0.0.1" : address.getHostString();
    }

    /**
     * Scratch directories of agents that died during their warm-up: named with a PID no
     * process has any more. (A PID that is alive may be another agent warming up now, or a
     * reused number: left alone.)
     */
    static void deleteLeftovers(Path scratch) {
        try (Stream<Path> entries = Files.list(scratch)) {
            for (Path entry : entries.filter(MigrationWarmup::leftOfADeadAgent).toList()) {
                log.info("deleting {}, left by an agent that died during its warm-up", entry);
                deleteQuietly(entry);
            }
        } catch (IOException | UncheckedIOException e) {
            log.debug("cannot list {} for warm-up leftovers: {}", scratch, e.toString());
        }
    }

    private static boolean leftOfADeadAgent(Path entry) {
        String name = entry.getFileName().toString();
        if (!name.startsWith(SCRATCH_PREFIX) || !Files.isDirectory(entry)) {
            return false;
        }
        int dash = name.indexOf('-', SCRATCH_PREFIX.length());
        try {
            long pid = Long.parseLong(name.substring(SCRATCH_PREFIX.length(), dash < 0 ? name.length() : dash));
            return ProcessHandle.of(pid).isEmpty();
        } catch (NumberFormatException e) {
            return false;  // not named by this code
        }
    }

    /** The warm-up's own files: a disk image and its directories, nothing else. */
    private static void deleteQuietly(Path directory) {
        if (directory == null) {
            return;
        }
        try (Stream<Path> files = Files.walk(directory, 4)) {
            for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(file);
            }
        } catch (IOException | UncheckedIOException e) {
            log.warn("cannot delete the kv warm-up's directory {}: {}", directory, e.toString());
        }
    }

    /**
     * A client attached to a warm-up switch port, as {@code ferry kv} is to an agent's: one
     * call at a time, each reply awaited (bounded in time), PUT, GET and DEL over a few keys.
     */
    private static final class WarmupClient {
        private final BlockingQueue<SwitchMessage> received = new LinkedBlockingQueue<>();
        private final ClientPort port = new ClientPort(received::add);
        private final VirtualSwitch vswitch;
        private long seq;

        WarmupClient(VirtualSwitch vswitch, String guest) throws InterruptedException {
            this.vswitch = vswitch;
            vswitch.attach(port, guest);
            SwitchMessage attached = received.poll(KV_REPLY_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            if (attached == null || !attached.hasAttached()) {
                throw new IllegalStateException("the warm-up switch did not attach the client: " + attached);
            }
            call(KvRequest.open(0));
        }

        /** Makes up to {@code count} calls (fewer if time runs out); returns how many were answered. */
        int calls(int count) throws InterruptedException {
            long deadline = System.nanoTime() + KV_CALLS_TIME.toNanos();
            int i = 0;
            for (; i < count && System.nanoTime() < deadline; i++) {
                byte[] key = ("k" + (i & 63)).getBytes(StandardCharsets.UTF_8);
                call(switch (i % 4) {
                    case 0, 1 -> KvRequest.put(++seq, key, ("v" + i).getBytes(StandardCharsets.UTF_8));
                    case 2 -> KvRequest.get(++seq, key);
                    default -> KvRequest.del(++seq, key);
                });
            }
            return i;
        }

        private void call(KvRequest request) throws InterruptedException {
            vswitch.fromClient(port, request.encode());
            SwitchMessage reply = received.poll(KV_REPLY_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            if (reply == null || !reply.hasPayload()) {
                throw new IllegalStateException("no reply from the kv warm-up guest to call " + request.seq() + ": " + reply);
            }
            KvReply answer = KvReply.decode(reply.getPayload().toByteArray());
            if (answer.seq() != request.seq() || answer.type() == KvReply.Type.ERROR || answer.type() == KvReply.Type.RESET) {
                throw new IllegalStateException("the kv warm-up guest answered call " + request.seq() + " with " + answer);
            }
        }
    }
}
