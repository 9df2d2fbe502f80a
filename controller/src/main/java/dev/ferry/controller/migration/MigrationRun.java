package dev.ferry.controller.migration;

import dev.ferry.controller.cluster.AgentCallException;
import dev.ferry.controller.cluster.AgentClients.Agent;
import dev.ferry.proto.v1.AgentCancelMigrationRequest;
import dev.ferry.proto.v1.AgentWatchMigrationRequest;
import dev.ferry.proto.v1.GuestSpec;
import dev.ferry.proto.v1.MigrateOutRequest;
import dev.ferry.proto.v1.MigrationOptions;
import dev.ferry.proto.v1.MigrationProgress;
import dev.ferry.proto.v1.MigrationStatus;
import dev.ferry.proto.v1.PrepareIncomingRequest;
import dev.ferry.proto.v1.PrepareIncomingResponse;
import io.grpc.StatusRuntimeException;
import java.time.Clock;
import java.time.Duration;
import java.util.Iterator;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The controller's side of one migration, run on its own (virtual) thread: prepare the
 * destination, start the source, then follow the source's progress to a terminal status.
 * The source agent drives the migration itself; this only starts, watches and cancels it.
 * A cancel before the source started ends the run here; after, the source agent decides.
 */
final class MigrationRun implements Runnable {

    private static final Logger LOG = LoggerFactory.getLogger(MigrationRun.class);

    /** Timing knobs of a run. */
    record Settings(Clock clock, Duration callTimeout, int watchRetries, Duration retryBackoff) {
    }

    private final MigrationProgress initial;
    private final GuestSpec spec;
    private final MigrationOptions options;
    private final Agent source;
    private final Agent destination;
    private final Settings settings;
    private final Consumer<MigrationProgress> publish;
    private final Object startLock = new Object();
    private boolean cancelRequested;
    private boolean sourceStarted;
    private volatile MigrationProgress last;

    MigrationRun(MigrationProgress initial, GuestSpec spec, MigrationOptions options, Agent source,
            Agent destination, Settings settings, Consumer<MigrationProgress> publish) {
        this.initial = initial;
        this.spec = spec;
        this.options = options;
        this.source = source;
        this.destination = destination;
        this.settings = settings;
        this.publish = publish;
        this.last = initial;
    }

    @Override
    public void run() {
        try {
            startSourceUnlessCancelled(prepareDestination());
            follow();
        } catch (RunEnded e) {
            LOG.warn("migration {}: {}", id(), e.getMessage());
            publish(ended(e.status, e.getMessage()));
        } catch (RuntimeException e) {
            // never leave the guest marked as migrating: say plainly that the outcome is not known
            LOG.error("migration {}: controller error while following it", id(), e);
            publish(ended(MigrationStatus.UNKNOWN, "the controller failed while following this migration (" + e
                    + "); check `ferry guests` and the agents before acting on the guest"));
        }
    }

    /**
     * Asks the migration to roll back. Before the source started, the run ends itself as
     * CANCELLED; after, the source agent rolls back unless it already sent COMMIT. Its refusal
     * comes back as an {@link AgentCallException} naming what failed.
     */
    void cancel() {
        synchronized (startLock) {
            cancelRequested = true;
            if (!sourceStarted) {
                LOG.info("migration {}: cancel requested before the source started", id());
                return;
            }
        }
        try {
            source.call(settings.callTimeout(), stub -> stub.cancelMigration(cancelRequest()));
        } catch (AgentCallException e) {
            throw e.during("source " + source.host() + " did not cancel migration " + id());
        }
        LOG.info("migration {}: cancel forwarded to source {}", id(), source.host());
        if (beforePause(last.getStatus())) {
            releaseDestination();
        }
    }

    // Once the guest is paused the destination may be about to get COMMIT: discarding it then
    // would fence the guest. The source's rollback closes the channels, which discards it anyway.
    private static boolean beforePause(MigrationStatus status) {
        return status == MigrationStatus.SETUP || status == MigrationStatus.PRECOPY;
    }

    // Holding the lock over MigrateOut means a cancel either stops the start or follows it.
    private void startSourceUnlessCancelled(PrepareIncomingResponse prepared) {
        synchronized (startLock) {
            if (cancelRequested) {
                releaseDestination();
                throw new RunEnded(MigrationStatus.CANCELLED, "cancelled before the source started; the guest keeps running on "
                        + source.host());
            }
            startSource(prepared);
            sourceStarted = true;
        }
    }

    private PrepareIncomingResponse prepareDestination() {
        PrepareIncomingRequest request = PrepareIncomingRequest.newBuilder().setMigrationId(id())
                .setSpec(spec).setSourceHost(source.host()).build();
        try {
            return destination.call(settings.callTimeout(), stub -> stub.prepareIncoming(request));
        } catch (AgentCallException e) {
            throw RunEnded.failed("destination " + destination.host() + " could not prepare: " + e.getMessage()
                    + "; the guest keeps running on " + source.host());
        }
    }

    private void startSource(PrepareIncomingResponse prepared) {
        MigrateOutRequest request = MigrateOutRequest.newBuilder().setMigrationId(id()).setGuest(spec.getName())
                .setDestinationHost(destination.host()).setDataHost(prepared.getDataHost())
                .setDataPort(prepared.getDataPort()).setTicket(prepared.getTicket()).setOptions(options).build();
        try {
            source.call(settings.callTimeout(), stub -> stub.migrateOut(request));
        } catch (AgentCallException e) {
            releaseDestination();
            throw RunEnded.failed("source " + source.host() + " could not start the migration: " + e.getMessage()
                    + "; the guest keeps running on " + source.host());
        }
    }

    // Best effort: the destination also drops an unused reservation when its ticket expires.
    private void releaseDestination() {
        try {
            destination.call(settings.callTimeout(), stub -> stub.cancelMigration(cancelRequest()));
        } catch (AgentCallException e) {
            LOG.warn("migration {}: could not release the reservation on {}: {}", id(), destination.host(), e.getMessage());
        }
    }

    /** Follows the source's stream; re-opens it a bounded number of times when it breaks. */
    private void follow() {
        int failures = 0;
        MigrationProgress atLastBreak = null;
        while (true) {
            String broke = watchOnce();
            if (broke == null) {
                return;
            }
            if (Thread.currentThread().isInterrupted()) {
                LOG.info("migration {}: controller stopping; no longer watching", id());
                return;
            }
            failures = advancedSince(atLastBreak) ? 1 : failures + 1;
            atLastBreak = last;
            if (failures > settings.watchRetries()) {
                throw new RunEnded(MigrationStatus.UNKNOWN, lostContact(broke));
            }
            LOG.warn("migration {}: watch of {} broke ({}); retry {} of {}", id(), source.host(), broke, failures,
                    settings.watchRetries());
            pause();
        }
    }

    // A re-opened stream that moved the migration forward earns a fresh set of retries.
    private boolean advancedSince(MigrationProgress before) {
        return before != null && (last.getRound() != before.getRound() || last.getStatus() != before.getStatus());
    }

    /** Returns null when the migration ended, else why the stream broke. */
    private String watchOnce() {
        AgentWatchMigrationRequest request = AgentWatchMigrationRequest.newBuilder().setMigrationId(id()).build();
        try {
            Iterator<MigrationProgress> stream = source.blocking().watchMigration(request);
            while (stream.hasNext()) {
                if (publish(stream.next())) {
                    return null;
                }
            }
            return "the stream ended before the migration did";
        } catch (StatusRuntimeException e) {
            return e.getStatus().getCode() + (e.getStatus().getDescription() == null ? "" : ": " + e.getStatus().getDescription());
        }
    }

    private String lostContact(String broke) {
        return "lost contact with source agent " + source.host() + " (" + broke + ") after "
                + settings.watchRetries() + " retries; migration status unknown: the guest may be running on "
                + source.host() + " or " + destination.host() + ", or be paused; check `ferry guests`";
    }

    private void pause() {
        try {
            Thread.sleep(settings.retryBackoff());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Stamps the controller's identity fields on an agent snapshot and publishes it; true if terminal. */
    private boolean publish(MigrationProgress progress) {
        MigrationProgress.Builder stamped = progress.toBuilder().setMigrationId(id()).setGuest(spec.getName())
                .setSourceHost(source.host()).setDestinationHost(destination.host());
        if (stamped.getStartedUnixMillis() == 0) {
            stamped.setStartedUnixMillis(initial.getStartedUnixMillis());
        }
        if (stamped.getMemoryBytes() == 0) {
            stamped.setMemoryBytes(initial.getMemoryBytes());
        }
        if (!stamped.hasOptions()) {
            stamped.setOptions(initial.getOptions());
        }
        last = stamped.build();
        publish.accept(last);
        return MigrationStatuses.isTerminal(last.getStatus());
    }

    private MigrationProgress ended(MigrationStatus status, String error) {
        long elapsedMillis = settings.clock().millis() - initial.getStartedUnixMillis();
        return last.toBuilder().setStatus(status).setError(error)
                .setTotalMicros(Math.max(0, elapsedMillis) * 1000).build();
    }

    private AgentCancelMigrationRequest cancelRequest() {
        return AgentCancelMigrationRequest.newBuilder().setMigrationId(id()).build();
    }

    private String id() {
        return initial.getMigrationId();
    }

    /** Ends the run with this terminal status and message. */
    private static final class RunEnded extends RuntimeException {
        private final MigrationStatus status;

        RunEnded(MigrationStatus status, String message) {
            super(message);
            this.status = status;
        }

        static RunEnded failed(String message) {
            return new RunEnded(MigrationStatus.FAILED, message);
        }
    }
}
