package dev.ferry.controller;

import dev.ferry.proto.v1.AgentCancelMigrationRequest;
import dev.ferry.proto.v1.AgentCancelMigrationResponse;
import dev.ferry.proto.v1.AgentDestroyGuestRequest;
import dev.ferry.proto.v1.AgentDestroyGuestResponse;
import dev.ferry.proto.v1.AgentServiceGrpc;
import dev.ferry.proto.v1.AgentWatchMigrationRequest;
import dev.ferry.proto.v1.GuestInfo;
import dev.ferry.proto.v1.GuestSpec;
import dev.ferry.proto.v1.GuestState;
import dev.ferry.proto.v1.MigrateOutRequest;
import dev.ferry.proto.v1.MigrateOutResponse;
import dev.ferry.proto.v1.MigrationProgress;
import dev.ferry.proto.v1.MigrationStatus;
import dev.ferry.proto.v1.PrepareIncomingRequest;
import dev.ferry.proto.v1.PrepareIncomingResponse;
import dev.ferry.proto.v1.RoundStats;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An AgentService that keeps guests in a map and plays a scripted migration: its
 * WatchMigration sends the script's updates (optionally holding after the first until a
 * test opens the gate), then completes, or breaks with UNAVAILABLE if told to. Like a real
 * source, a cancelled migration ends CANCELLED instead of playing the rest of its script.
 */
public final class FakeAgent extends AgentServiceGrpc.AgentServiceImplBase {

    public final String host;
    public final Map<String, GuestInfo> guests = new ConcurrentHashMap<>();
    public final List<MigrateOutRequest> migrateOuts = new CopyOnWriteArrayList<>();
    public final List<PrepareIncomingRequest> prepares = new CopyOnWriteArrayList<>();
    public final List<String> cancels = new CopyOnWriteArrayList<>();
    public final AtomicInteger watchCalls = new AtomicInteger();
    public volatile List<MigrationProgress> script = completedScript();
    public volatile Status prepareFailure;
    public volatile CountDownLatch prepareGate = new CountDownLatch(0);
    public volatile Status cancelFailure;
    public volatile boolean breakWatch;
    public volatile CountDownLatch gate = new CountDownLatch(0);

    public FakeAgent(String host) {
        this.host = host;
    }

    /** Two pre-copy rounds, stop-and-copy, then a verified completion. */
    public static List<MigrationProgress> completedScript() {
        return List.of(precopy(0, 262144, 1L << 30), precopy(1, 300, 8L << 20),
                progress(MigrationStatus.STOP_AND_COPY, 2).build(),
                progress(MigrationStatus.COMPLETED, 2).setMemoryVerified(true).setDowntimeMicros(3200)
                        .setSetupMicros(12000).setTotalMicros(2_410_000).setPagesSent(261000).setZeroPages(1203)
                        .setBytesOnWire(1_084_000_000L).addRounds(RoundStats.newBuilder().setRound(0))
                        .addRounds(RoundStats.newBuilder().setRound(1)).addRounds(RoundStats.newBuilder().setRound(2))
                        .addRounds(RoundStats.newBuilder().setRound(3)).build());
    }

    /** A round of pre-copy, then a rollback. */
    public static List<MigrationProgress> failedScript(String error) {
        return List.of(precopy(0, 1000, 1L << 30),
                progress(MigrationStatus.FAILED, 0).setError(error).setTotalMicros(500_000).build());
    }

    public static MigrationProgress precopy(int round, long sent, long remaining) {
        return progress(MigrationStatus.PRECOPY, round).setPagesSent(sent).setRemainingBytes(remaining)
                .setDirtyRateBytesPerSecond(50 << 20).setBandwidthBytesPerSecond(2.0 * (1L << 30)).build();
    }

    private static MigrationProgress.Builder progress(MigrationStatus status, int round) {
        return MigrationProgress.newBuilder().setStatus(status).setRound(round);
    }

    @Override
    public void createGuest(GuestSpec spec, StreamObserver<GuestInfo> response) {
        GuestInfo guest = GuestInfo.newBuilder().setSpec(spec).setHost(host).setState(GuestState.GUEST_RUNNING).build();
        guests.put(spec.getName(), guest);
        reply(response, guest);
    }

    @Override
    public void destroyGuest(AgentDestroyGuestRequest request, StreamObserver<AgentDestroyGuestResponse> response) {
        if (guests.remove(request.getName()) == null) {
            response.onError(Status.NOT_FOUND.withDescription("no guest " + request.getName()).asRuntimeException());
            return;
        }
        reply(response, AgentDestroyGuestResponse.getDefaultInstance());
    }

    @Override
    public void prepareIncoming(PrepareIncomingRequest request, StreamObserver<PrepareIncomingResponse> response) {
        prepares.add(request);
        if (!await(prepareGate)) {
            response.onError(Status.DEADLINE_EXCEEDED.withDescription("prepare gate never opened").asRuntimeException());
            return;
        }
        if (prepareFailure != null) {
            response.onError(prepareFailure.asRuntimeException());
            return;
        }
        reply(response, PrepareIncomingResponse.newBuilder().setTicket("ticket-" + request.getMigrationId())
                .setDataHost("127.0.0.1").setDataPort(7800).build());
    }

    @Override
    public void migrateOut(MigrateOutRequest request, StreamObserver<MigrateOutResponse> response) {
        migrateOuts.add(request);
        reply(response, MigrateOutResponse.getDefaultInstance());
    }

    @Override
    public void cancelMigration(AgentCancelMigrationRequest request, StreamObserver<AgentCancelMigrationResponse> response) {
        if (cancelFailure != null) {
            response.onError(cancelFailure.asRuntimeException());
            return;
        }
        cancels.add(request.getMigrationId());
        reply(response, AgentCancelMigrationResponse.getDefaultInstance());
    }

    // Plays on its own thread: with direct executors the handler would otherwise run on the caller's thread.
    @Override
    public void watchMigration(AgentWatchMigrationRequest request, StreamObserver<MigrationProgress> response) {
        watchCalls.incrementAndGet();
        List<MigrationProgress> updates = script;
        CountDownLatch hold = gate;
        Thread.ofVirtual().start(() -> play(request.getMigrationId(), updates, hold, response));
    }

    private void play(String id, List<MigrationProgress> updates, CountDownLatch hold, StreamObserver<MigrationProgress> response) {
        for (int i = 0; i < updates.size(); i++) {
            if (i > 0 && cancels.contains(id)) {
                response.onNext(progress(MigrationStatus.CANCELLED, updates.get(i - 1).getRound())
                        .setError("migration cancelled").build());
                response.onCompleted();
                return;
            }
            response.onNext(updates.get(i));
            if (i == 0 && !await(hold)) {
                response.onError(Status.DEADLINE_EXCEEDED.withDescription("gate never opened").asRuntimeException());
                return;
            }
        }
        if (breakWatch) {
            response.onError(Status.UNAVAILABLE.withDescription("connection reset").asRuntimeException());
        } else {
            response.onCompleted();
        }
    }

    private static boolean await(CountDownLatch hold) {
        try {
            return hold.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static <T> void reply(StreamObserver<T> response, T value) {
        response.onNext(value);
        response.onCompleted();
    }
}
