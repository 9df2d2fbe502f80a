package dev.ferry.controller.migration;

import dev.ferry.controller.cluster.AgentClients.Agent;
import dev.ferry.controller.cluster.Cluster;
import dev.ferry.controller.cluster.RequestRejectedException;
import dev.ferry.proto.v1.GuestInfo;
import dev.ferry.proto.v1.GuestState;
import dev.ferry.proto.v1.HostInfo;
import dev.ferry.proto.v1.MigrateRequest;
import dev.ferry.proto.v1.MigrationOptions;
import dev.ferry.proto.v1.MigrationProgress;
import dev.ferry.proto.v1.MigrationStatus;
import java.time.Clock;
import java.time.Duration;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts, follows and cancels migrations. {@link #start} validates and returns at once;
 * each migration then runs on its own thread of the injected executor. One migration per
 * guest at a time: the start check and the claim happen under this object's lock.
 */
public final class MigrationCoordinator {

    private static final Logger LOG = LoggerFactory.getLogger(MigrationCoordinator.class);
    private static final Set<GuestState> MIGRATABLE = EnumSet.of(GuestState.GUEST_RUNNING,
            GuestState.GUEST_PAUSED, GuestState.GUEST_STATE_UNSPECIFIED);

    private final Cluster cluster;
    private final ExecutorService runs;
    private final MigrationRun.Settings settings;
    private final MigrationIds ids;
    private final MigrationHistory history = new MigrationHistory();
    private final Map<String, String> activeByGuest = new HashMap<>();
    private final Map<String, MigrationRun> runsById = new HashMap<>();

    public MigrationCoordinator(Cluster cluster, ExecutorService runs, Clock clock,
            Duration callTimeout, int watchRetries, Duration retryBackoff, RandomGenerator random) {
        this.cluster = cluster;
        this.runs = runs;
        this.settings = new MigrationRun.Settings(clock, callTimeout, watchRetries, retryBackoff);
        this.ids = new MigrationIds(random);
    }

    /** Validates the request, records the migration and starts it; returns its id. */
    public synchronized String start(MigrateRequest request) {
        validate(request.getOptions());
        GuestInfo guest = cluster.guest(request.getGuest());
        refuseIfBusy(guest);
        HostInfo destination = cluster.host(request.getDestinationHost());
        if (destination.getName().equals(guest.getHost())) {
            throw RequestRejectedException.precondition("guest " + guest.getSpec().getName()
                    + " already runs on host " + guest.getHost() + "; pick another destination");
        }
        cluster.healthyHost(destination.getName());
        cluster.healthyHost(guest.getHost());
        return launch(guest, cluster.agent(guest.getHost()), cluster.agent(destination.getName()), request.getOptions());
    }

    /** Sends the migration's latest progress, then every update; returns the unsubscribe action. */
    public Runnable watch(String id, MigrationWatcher watcher) {
        return history.find(id).orElseThrow(() -> RequestRejectedException.notFound("no migration with id " + id))
                .subscribe(watcher);
    }

    /**
     * Cancels a migration that has not ended: the run forwards it to the source agent, on a
     * thread of the executor. NOT_FOUND for an unknown id, FAILED_PRECONDITION once it ended.
     */
    public CompletableFuture<Void> cancel(String id) {
        MigrationRecord record = history.find(id).orElseThrow(() -> RequestRejectedException.notFound("no migration with id " + id));
        MigrationRun run;
        synchronized (this) {
            run = runsById.get(id);
        }
        if (run == null || record.finished()) {
            throw RequestRejectedException.precondition("migration " + id + " already ended ("
                    + record.latest().getStatus() + "); there is nothing to cancel");
        }
        return CompletableFuture.runAsync(run::cancel, runs);
    }

    /** Refuses operations that would pull a guest from under its running migration (e.g. destroy). */
    public synchronized void requireIdle(String guest) {
        String running = activeByGuest.get(guest);
        if (running != null) {
            throw RequestRejectedException.precondition("guest " + guest + " is migrating (" + running
                    + "); wait for it to end with `ferry watch " + running + "` or stop it with `ferry cancel " + running + "`");
        }
    }

    public List<MigrationProgress> migrations() {
        return history.newestFirst();
    }

    private void refuseIfBusy(GuestInfo guest) {
        String name = guest.getSpec().getName();
        String running = activeByGuest.get(name);
        if (running != null) {
            throw RequestRejectedException.precondition("guest " + name + " is already migrating (" + running
                    + "); wait for it with `ferry watch " + running + "`");
        }
        if (!MIGRATABLE.contains(guest.getState())) {
            throw RequestRejectedException.precondition("guest " + name + " is " + guest.getState()
                    + " on host " + guest.getHost() + " and cannot be migrated now");
        }
    }

    private String launch(GuestInfo guest, Agent source, Agent destination, MigrationOptions options) {
        String id = uniqueId();
        MigrationProgress initial = MigrationProgress.newBuilder().setMigrationId(id).setGuest(guest.getSpec().getName())
                .setSourceHost(source.host()).setDestinationHost(destination.host()).setStatus(MigrationStatus.SETUP)
                .setMemoryBytes(guest.getSpec().getMemoryBytes()).setOptions(options)
                .setStartedUnixMillis(settings.clock().millis()).build();
        MigrationRecord record = new MigrationRecord(initial);
        history.add(record);
        activeByGuest.put(guest.getSpec().getName(), id);
        LOG.info("migration {}: guest {} {} -> {}", id, guest.getSpec().getName(), source.host(), destination.host());
        MigrationRun run = new MigrationRun(initial, guest.getSpec(), options, source, destination, settings,
                progress -> publish(record, progress));
        runsById.put(id, run);
        runs.execute(run);
        return id;
    }

    /** A terminal status first updates the directory and frees the guest, then reaches watchers. */
    private void publish(MigrationRecord record, MigrationProgress progress) {
        if (MigrationStatuses.isTerminal(progress.getStatus())) {
            finish(progress);
        }
        record.update(progress);
    }

    private void finish(MigrationProgress progress) {
        if (progress.getStatus() == MigrationStatus.COMPLETED) {
            cluster.guestMoved(progress.getGuest(), progress.getSourceHost(), progress.getDestinationHost());
        }
        synchronized (this) {
            activeByGuest.remove(progress.getGuest(), progress.getMigrationId());
            runsById.remove(progress.getMigrationId());
        }
        LOG.info("migration {}: {}{}", progress.getMigrationId(), progress.getStatus(),
                progress.getError().isEmpty() ? "" : ": " + progress.getError());
    }

    private String uniqueId() {
        String id = ids.next();
        while (history.contains(id)) {
            id = ids.next();
        }
        return id;
    }

    private static void validate(MigrationOptions options) {
        if (options.getMaxDowntimeMicros() < 0 || options.getMaxRounds() < 0 || options.getChannels() < 0
                || options.getBandwidthBytesPerSecond() < 0 || options.getStallRounds() < 0) {
            throw RequestRejectedException.invalid("migration options must not be negative: " + options);
        }
    }

    /** Stops following migrations (the agents carry on with them), waiting at most {@code timeout}. */
    public void close(Duration timeout) {
        runs.shutdownNow();
        try {
            if (!runs.awaitTermination(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                LOG.warn("migration watchers did not stop in {}", timeout);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
