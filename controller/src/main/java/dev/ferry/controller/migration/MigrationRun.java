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
 * The source agent drives the migration itself; this only starts and watches it.
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
    private MigrationProgress last;

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
            startSource(prepareDestination());
            follow();
        } catch (RunFailed e) {
            LOG.warn("migration {}: {}", id(), e.getMessage());
            publish(ended(e.getMessage()));
        }
    }

    private PrepareIncomingResponse prepareDestination() {
        PrepareIncomingRequest request = PrepareIncomingRequest.newBuilder().setMigrationId(id())
                .setSpec(spec).setSourceHost(source.host()).build();
        try {
            return destination.call(settings.callTimeout(), stub -> stub.prepareIncoming(request));
        } catch (AgentCallException e) {
            throw new RunFailed("destination " + destination.host() + " could not prepare: " + e.getMessage()
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
            throw new RunFailed("source " + source.host() + " could not start the migration: " + e.getMessage()
                    + "; the guest keeps running on " + source.host());
        }
    }

    // Best effort: the destination also drops an unused reservation when its ticket expires.
    private void releaseDestination() {
        try {
            destination.call(settings.callTimeout(), stub -> stub.cancelMigration(
                    AgentCancelMigrationRequest.newBuilder().setMigrationId(id()).build()));
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
                throw new RunFailed(lostContact(broke));
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
        last = stamped.build();
        publish.accept(last);
        return MigrationStatuses.isTerminal(last.getStatus());
    }

    private MigrationProgress ended(String error) {
        long elapsedMillis = settings.clock().millis() - initial.getStartedUnixMillis();
        return last.toBuilder().setStatus(MigrationStatus.FAILED).setError(error)
                .setTotalMicros(Math.max(0, elapsedMillis) * 1000).build();
    }

    private String id() {
        return initial.getMigrationId();
    }

    /** Ends the run with a FAILED status and this message. */
    private static final class RunFailed extends RuntimeException {
        RunFailed(String message) {
            super(message);
        }
    }
}
