package dev.ferry.agent.migration;

import dev.ferry.agent.guest.Guest;
import dev.ferry.agent.host.HostedGuest;
import dev.ferry.agent.transport.PageStreamTransport;
import dev.ferry.agent.transport.PeerChannel;
import dev.ferry.common.lifecycle.Lifecycle;
import dev.ferry.common.memory.GuestMemory;
import dev.ferry.common.memory.PageDigest;
import dev.ferry.common.wire.PageStreamFormat;
import dev.ferry.proto.v1.Commit;
import dev.ferry.proto.v1.Control;
import dev.ferry.proto.v1.DeviceState;
import dev.ferry.proto.v1.GuestState;
import dev.ferry.proto.v1.Hello;
import dev.ferry.proto.v1.MigrationStatus;
import dev.ferry.proto.v1.StreamErrorCode;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The source side of one migration, run on its own thread: connect, pre-copy rounds
 * until the {@link ConvergencePlanner} says stop, pause and send the rest with the device
 * state, wait for READY, COMMIT, wait for ACTIVE.
 *
 * <p>Any failure before COMMIT rolls back: the guest resumes here and the channels close
 * (the destination discards on close). Once COMMIT has left, the guest never resumes
 * here: without ACTIVE it stays paused and the migration ends FENCED.
 */
public final class OutgoingMigration implements Runnable {
    private static final Logger log = LoggerFactory.getLogger(OutgoingMigration.class);

    private static final Control COMMIT = Control.newBuilder().setCommit(Commit.getDefaultInstance()).build();

    /** A last round this small is sent from the migration thread itself (8 MiB: a few ms at memory speed). */
    static final long INLINE_LAST_ROUND_PAGES = 2048;

    private final MigrationTarget target;
    private final HostedGuest hosted;
    private final Guest guest;
    private final GuestMemory memory;
    private final MigrationSettings settings;
    private final MigrationTimeouts timeouts;
    private final PageStreamTransport transport;
    private final Runnable onCompleted;
    private final SourceDevices devices;
    private final Lifecycle<MigrationStatus> lifecycle;
    private final PageDigest sent;
    private final ConvergencePlanner planner;
    private final MigrationStats stats;
    private final List<ChannelSender> senders = new ArrayList<>();
    private volatile boolean cancelled;
    private boolean paused;
    /**
     * COMMIT was sent without the migration thread waiting for READY: by the event loop the
     * moment READY arrived, or right behind the device state (guarded by the lifecycle's lock).
     */
    private boolean committedOnReady;
    /** Of those, COMMIT went right behind the device state (migration thread only). */
    private boolean commitEarly;
    /** READY was read by the migration thread; if not, it may still come before ACTIVE (migration thread only). */
    private boolean readyRead;
    /** The migration thread gave up on the stop-and-copy: READY must no longer commit (same lock). */
    private boolean readyCommitWithdrawn;
    private volatile long committedNanos;
    /** Set by the migration thread before READY can arrive; read by the event loop in {@link #commitOnReady}. */
    private volatile SourceDevices.Detached detached;

    public OutgoingMigration(MigrationTarget target, HostedGuest hosted, MigrationSettings settings,
                             MigrationTimeouts timeouts, PageStreamTransport transport, SourceDevices devices,
                             Runnable onCompleted) {
        this.target = target;
        this.hosted = hosted;
        this.guest = hosted.guest();
        this.memory = guest.memory();
        this.settings = settings;
        this.timeouts = timeouts;
        this.transport = transport;
        this.onCompleted = onCompleted;
        this.devices = devices;
        this.lifecycle = OutgoingLifecycle.create(target.migrationId());
        this.sent = PageDigest.ofZeroMemory(memory.pageCount());
        this.planner = new ConvergencePlanner(settings);
        this.stats = new MigrationStats(target, guest.name(), memory.byteSize(), settings);
    }

    public String id() {
        return target.migrationId();
    }

    public ProgressFeed feed() {
        return stats.feed();
    }

    public String guestName() {
        return guest.name();
    }

    /** Asks the migration to roll back; refused once COMMIT may have been sent or the migration ended. */
    public void cancel() {
        synchronized (lifecycle) {
            MigrationStatus status = lifecycle.current();
            if (status == MigrationStatus.COMMITTING || lifecycle.isTerminal()) {
                throw new IllegalStateException("migration " + id() + " is " + status + ": too late to cancel");
            }
            cancelled = true;
        }
    }

    @Override
    public void run() {
        try {
            setUp();
            preCopy();
            stopAndCopy();
        } catch (Exception e) {
            boolean commitNeverLeft = withdrawCommitOnReady();
            if (commitNeverLeft || e instanceof DiscardedByDestination) {
                rollBack(e);
                return;
            }
            // READY arrived and COMMIT left with it while this thread was failing: no way back
            log.warn("migration {}: {} after COMMIT was sent; waiting for ACTIVE", id(), e.toString());
        }
        try {
            commit();
        } catch (RuntimeException e) {
            // a bug after COMMIT may have left: the only safe ending is the fence
            log.error("migration {}: unexpected failure while committing", id(), e);
            if (lifecycle.current() == MigrationStatus.COMMITTING) {
                fence(e);
            }
        }
    }

    private void setUp() throws IOException, InterruptedException {
        stats.publish(MigrationStatus.SETUP);
        BandwidthLimiter limiter = new BandwidthLimiter(settings.bandwidthBytesPerSecond());
        for (int i = 0; i < settings.channels(); i++) {
            PeerChannel peer = transport.connect(target.dataHost(), target.dataPort(), timeouts.connect());
            senders.add(new ChannelSender(i, settings.channels(), peer, memory, sent, limiter,
                    timeouts.writable(), () -> cancelled));
            peer.write(Control.newBuilder().setHello(hello(i)).build());
        }
        for (ChannelSender sender : senders) {
            expect(sender.peer().receive(timeouts.handshake()), Control.BodyCase.HELLO_ACK);
        }
        stats.setupDone();
    }

    private Hello hello(int channel) {
        return Hello.newBuilder().setProtocolVersion(PageStreamFormat.PROTOCOL_VERSION)
                .setMigrationId(target.migrationId()).setTicket(target.ticket())
                .setChannelIndex(channel).setChannelCount(settings.channels())
                .setMemoryBytes(memory.byteSize()).build();
    }

    private void preCopy() throws Exception {
        lifecycle.transition(MigrationStatus.PRECOPY);
        hosted.setState(GuestState.GUEST_MIGRATING_OUT);
        devices.flushAhead();  // overlaps round 0; the flushes at pause then have the last moments' writes only
        // No markAll: the bitmap already holds every page that may be non-zero and unsent
        // (fresh memory starts clean and reads as zero), so never-written memory is not even read.
        List<RoundResult> results = new ArrayList<>();
        for (int round = 0; ; round++) {  // bounded: the planner stops at max_rounds (<= 1000)
            results.add(runRound(round, MigrationStatus.PRECOPY));
            ConvergencePlanner.Decision decision = planner.next(results);
            stats.planned(decision);
            RoundResult last = results.getLast();
            log.info("migration {}: round {} sent {} pages in {} ms ({} MB/s), left {} dirty pages; {}", id(), round,
                    last.pagesSent(), last.nanos() / 1_000_000, (long) (last.bandwidthBytesPerSecond() / 1e6),
                    last.dirtyPagesAfter(), decision.reason());
            if (decision.action() == ConvergencePlanner.Action.FAIL) {
                throw new IllegalStateException(decision.reason());
            }
            if (decision.action() == ConvergencePlanner.Action.STOP_AND_COPY) {
                flushBeforePause(results, decision);
                return;
            }
        }
    }

    /**
     * Flushes the disk while the guest still runs, so the flush in the downtime only has the
     * last moment's writes. While that flush alone takes longer than the downtime target
     * (the planner's {@code afterFlush}), the disk is slow right now: one more round sends
     * what the guest dirtied meanwhile, then it flushes again. These rounds go straight back
     * to the flush: the guest had converged, so they are not judged for a stall.
     */
    private void flushBeforePause(List<RoundResult> results, ConvergencePlanner.Decision stop) throws Exception {
        for (int slowFlushes = 0; ; slowFlushes++) {  // bounded: afterFlush stops at MAX_SLOW_FLUSH_ROUNDS
            Duration flush = devices.prepare();
            if (cancelled) {
                throw new CancellationException("migration cancelled");  // before the pause, not after it
            }
            ConvergencePlanner.Decision after = planner.afterFlush(results, stop, flush.toNanos(), slowFlushes);
            if (after.action() == ConvergencePlanner.Action.STOP_AND_COPY) {
                return;
            }
            log.info("migration {}: {}", id(), after.reason());
            results.add(runRound(results.size(), MigrationStatus.PRECOPY));
        }
    }

    private RoundResult runRound(int round, MigrationStatus status) throws Exception {
        stats.roundStarted(round, status);
        long start = System.nanoTime();
        long pages = sum(senders, s -> s.pagesSent.sum());
        long zeros = sum(senders, s -> s.zerosSent.sum());
        long bytes = sum(senders, s -> s.bytesOnWire.sum());
        boolean precopy = status == MigrationStatus.PRECOPY;
        boolean inline = !precopy && memory.dirtyBitmap().dirtyPages() <= INLINE_LAST_ROUND_PAGES;
        if (inline) {
            // a last round of a few pages: waking the event loops and waiting for them costs more
            // than the sending, and on a busy host every hand-off waits for a CPU inside the downtime
            for (ChannelSender sender : senders) {
                sender.sendRound(round);
            }
        } else {
            ParallelRounds.run(senders, round, () -> stats.live(senders, memory.dirtyBitmap().dirtyPages(), status));
        }
        if (precopy) {
            senders.forEach(sender -> sender.requestSync(round));
            for (ChannelSender sender : senders) {
                sender.awaitSync(round, timeouts.writable());
            }
        } else {
            // the last round: its end goes right behind the pages (channel FIFO keeps the order),
            // and READY is the only wait; waiting here as well would be downtime
            senders.forEach(ChannelSender::sendEnd);
        }
        RoundResult result = new RoundResult(round, sum(senders, s -> s.pagesSent.sum()) - pages,
                sum(senders, s -> s.zerosSent.sum()) - zeros, sum(senders, s -> s.bytesOnWire.sum()) - bytes,
                System.nanoTime() - start, memory.dirtyBitmap().dirtyPages());
        stats.roundDone(result, senders);
        return result;
    }

    private void stopAndCopy() throws Exception {
        lifecycle.transition(MigrationStatus.STOP_AND_COPY);
        long start = System.nanoTime();
        paused = true;  // set first: a timed-out pause still leaves the request in place, and rollback must lift it
        guest.pause(timeouts.pause());
        stats.paused();
        long pausedAt = System.nanoTime();
        detached = devices.detach();
        long detachedAt = System.nanoTime();
        runRound(stats.rounds(), MigrationStatus.STOP_AND_COPY);
        long copied = System.nanoTime();
        PeerChannel control = senders.getFirst().peer();
        control.onReady(this::commitOnReady);
        // the guest runs there from ACTIVE on: frames held for it leave at once, not after this thread wakes
        control.onActive(this::handOffOnActive);
        control.write(Control.newBuilder().setDeviceState(DeviceState.newBuilder()
                .setSpec(guest.spec()).addAllVcpuState(guest.cpuStates().stream().map(com.google.protobuf.ByteString::copyFrom).toList())
                .setMemoryDigest(sent.value()).setPagesTotal(sum(senders, ChannelSender::pagesTotal))
                .setVnic(detached.vnic())).build());
        // Nothing in the way (disk released, not cancelled): COMMIT goes right behind the device
        // state, and the destination activates as soon as it has verified the memory. That
        // saves the READY round trip; the destination still answers READY, then ACTIVE, and
        // if it refuses the memory after all it says DISCARDED: the licence to resume here.
        Control early = commitOnReady();
        if (early != null) {
            control.write(early);
            commitEarly = true;
            log.info("migration {}: downtime so far: pause {} us, devices detached {} us, last round queued {} us, "
                    + "COMMIT sent behind the device state", id(), (pausedAt - start) / 1000,
                    (detachedAt - pausedAt) / 1000, (copied - detachedAt) / 1000);
            return;
        }
        // the disk was still flushing: COMMIT leaves the moment it is released, unless READY sent it first
        detached.diskReleased().thenRun(() -> {
            Control commit = commitOnReady();
            if (commit != null) {
                control.write(commit);
            }
        });
        Control reply = control.receive(timeouts.ready());
        if (discardedByDestination(reply)) {
            // a COMMIT may have left with the disk's release: this word still lets the guest resume here
            throw new DiscardedByDestination(reply.getError().getMessage());
        }
        expect(reply, Control.BodyCase.READY);
        readyRead = true;
        awaitDiskReleased();
        log.info("migration {}: downtime so far: pause {} us, devices detached {} us, last round queued {} us, then READY {} us",
                id(), (pausedAt - start) / 1000, (detachedAt - pausedAt) / 1000, (copied - detachedAt) / 1000,
                (System.nanoTime() - copied) / 1000);
    }

    /**
     * COMMIT now, if nothing stands in the way (not cancelled, the migration thread still
     * waiting, the disk released) and it has not left yet: asked right behind the device
     * state, as the disk's release completes, and on the event loop as READY arrives, so
     * COMMIT leaves at the first of those moments that allows it. Null leaves the decision
     * to the next of them, or to the migration thread.
     */
    private Control commitOnReady() {
        CompletableFuture<Void> disk = detached == null ? null : detached.diskReleased();
        if (disk == null || !disk.isDone() || disk.isCompletedExceptionally()) {
            return null;
        }
        synchronized (lifecycle) {
            if (cancelled || readyCommitWithdrawn || lifecycle.current() != MigrationStatus.STOP_AND_COPY) {
                return null;
            }
            lifecycle.transition(MigrationStatus.COMMITTING);
            committedOnReady = true;
        }
        committedNanos = System.nanoTime();
        devices.committing(target.destinationHost());
        return COMMIT;
    }

    /** ACTIVE counts only after COMMIT: a destination saying it early is wrong, and the guest still lives here. */
    private void handOffOnActive() {
        synchronized (lifecycle) {
            if (lifecycle.current() != MigrationStatus.COMMITTING) {
                return;
            }
        }
        devices.handedOff(target.destinationHost());
    }

    /** True if READY can no longer commit (it has not): a rollback is safe. */
    private boolean withdrawCommitOnReady() {
        synchronized (lifecycle) {
            readyCommitWithdrawn = true;
            return !committedOnReady;
        }
    }

    /** The destination takes the disk lock at COMMIT: this host's flush and release must be done by then. */
    private void awaitDiskReleased() throws IOException, InterruptedException {
        try {
            detached.diskReleased().get(timeouts.ready().toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IOException("cannot flush and release the disk: " + e.getCause().getMessage(), e.getCause());
        } catch (java.util.concurrent.TimeoutException e) {
            throw new IOException("the disk flush did not finish within " + timeouts.ready().toMillis() + " ms", e);
        }
    }

    private void commit() {
        PeerChannel control = senders.getFirst().peer();
        control.onReady(null);
        boolean sent;
        synchronized (lifecycle) {
            sent = committedOnReady;
            readyCommitWithdrawn = true;
        }
        if (!sent && !beginCommit()) {
            rollBack(new CancellationException("migration cancelled"));
            return;
        }
        long committed = sent ? committedNanos : System.nanoTime();
        stats.publish(MigrationStatus.COMMITTING);
        try {
            // from the moment COMMIT may have left, only ACTIVE (completed) or fencing remain
            if (!sent) {
                control.write(COMMIT);
                devices.committing(target.destinationHost());
            }
            Control reply = control.receive(timeouts.active());
            if (!readyRead && reply.hasReady()) {  // COMMIT left before READY was read: READY still comes first
                reply = control.receive(timeouts.active());
            }
            if (discardedByDestination(reply)) {
                // the one way back after COMMIT: the destination says it will never run its copy
                rollBack(new IOException("destination discarded its copy after COMMIT: " + reply.getError().getMessage()));
                return;
            }
            expect(reply, Control.BodyCase.ACTIVE);
        } catch (Exception e) {
            fence(e);
            return;
        }
        log.info("migration {}: COMMIT{} to ACTIVE {} us", id(),
                commitEarly ? " (sent behind the device state)" : sent ? " (sent as READY arrived or the disk was released)" : "",
                (control.lastArrivalNanos() - committed) / 1000);
        complete(control.lastArrivalNanos());
    }

    /** Moves to COMMITTING unless a cancel got in first; one lock with {@link #cancel}. */
    private boolean beginCommit() {
        synchronized (lifecycle) {
            if (cancelled) {
                return false;
            }
            lifecycle.transition(MigrationStatus.COMMITTING);
            return true;
        }
    }

    private void complete(long activeArrivedNanos) {
        stats.activated(activeArrivedNanos);
        devices.handedOff(target.destinationHost());
        closeChannels();
        int mismatches = sent.countMismatches(memory.segment());
        if (mismatches != 0) {
            log.error("migration {}: {} pages of the frozen source differ from what was sent: a write escaped "
                    + "dirty tracking; the destination's copy may be wrong", id(), mismatches);
        }
        lifecycle.transition(MigrationStatus.COMPLETED);
        stats.finish(MigrationStatus.COMPLETED, mismatches == 0, mismatches == 0 ? ""
                : mismatches + " pages differ between the frozen source and what was sent");
        onCompleted.run();
        log.info("migration {}: completed, downtime {} us", id(), stats.downtimeMicros());
    }

    private void fence(Exception cause) {
        lifecycle.transition(MigrationStatus.FENCED);
        hosted.setState(GuestState.GUEST_FENCED);
        closeChannels();
        String message = "COMMIT was sent but the destination did not confirm ACTIVE (" + cause.getMessage()
                + "): the guest stays paused on " + target.sourceHost() + " (fenced) until an operator learns "
                + "whether it runs on " + target.destinationHost();
        log.error("migration {}: {}", id(), message);
        stats.finish(MigrationStatus.FENCED, false, message);
    }

    private void rollBack(Exception cause) {
        MigrationStatus end = cancelled || cause instanceof CancellationException ? MigrationStatus.CANCELLED : MigrationStatus.FAILED;
        lifecycle.transition(end);
        closeChannels();
        memory.dirtyBitmap().markAll();  // the destination's copy is gone: a later migration sends everything
        String reason = cause.getMessage() == null ? cause.toString() : cause.getMessage();
        try {
            awaitReleaseSettled();
            devices.reattach();
        } catch (IOException | RuntimeException e) {
            // running without its disk lock could corrupt the disk another host may write: stay paused
            hosted.setState(GuestState.GUEST_FENCED);
            String message = reason + "; rolled back, but " + guest.name() + " could not take its devices back ("
                    + e.getMessage() + "): it stays paused on " + target.sourceHost();
            log.error("migration {}: {}", id(), message);
            stats.finish(end, false, message);
            return;
        }
        if (paused) {
            guest.resume();
        }
        hosted.setState(GuestState.GUEST_RUNNING);
        log.warn("migration {}: rolled back, guest {} keeps running here: {}", id(), guest.name(), reason);
        stats.finish(end, false, reason + "; rolled back: " + guest.name() + " keeps running on " + target.sourceHost());
    }

    /**
     * A release still in flight would unlock the disk after {@link SourceDevices#reattach}
     * found it locked and left it so: the guest would run without its lock. Wait for it to
     * finish either way (a failed release keeps the lock) before taking the devices back.
     */
    private void awaitReleaseSettled() throws IOException {
        SourceDevices.Detached held = detached;
        if (held == null) {
            return;
        }
        try {
            held.diskReleased().get(timeouts.ready().toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            // the release failed and kept the lock: reattach finds it held
        } catch (java.util.concurrent.TimeoutException e) {
            throw new IOException("the disk's release did not finish within " + timeouts.ready().toMillis() + " ms", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while the disk's release finished", e);
        }
    }

    private void closeChannels() {
        for (ChannelSender sender : senders) {
            sender.peer().close();
        }
    }

    /**
     * The destination says it threw its copy away and will never run it: DISCARDED, or any
     * error marked discarded (its own channel failed before it read the device state, with
     * a COMMIT crossing on the wire). Safe to resume here, COMMIT or not.
     */
    static boolean discardedByDestination(Control reply) {
        return reply.hasError() && (reply.getError().getCode() == StreamErrorCode.DISCARDED || reply.getError().getDiscarded());
    }

    /** The destination gave its copy up for good (DISCARDED): safe to resume here, COMMIT or not. */
    private static final class DiscardedByDestination extends IOException {
        DiscardedByDestination(String message) {
            super("destination discarded its copy: " + message);
        }
    }

    private static void expect(Control reply, Control.BodyCase expected) throws IOException {
        if (reply.getBodyCase() == Control.BodyCase.ERROR) {
            throw new IOException("destination refused: " + reply.getError().getCode() + ": " + reply.getError().getMessage());
        }
        if (reply.getBodyCase() != expected) {
            throw new IOException("destination sent " + reply.getBodyCase() + " where " + expected + " was due");
        }
    }

    private static long sum(List<ChannelSender> senders, java.util.function.ToLongFunction<ChannelSender> f) {
        return senders.stream().mapToLong(f).sum();
    }

}
