package dev.ferry.controller.rpc;

import dev.ferry.controller.cluster.Cluster;
import dev.ferry.controller.migration.MigrationCoordinator;
import dev.ferry.proto.v1.CancelMigrationRequest;
import dev.ferry.proto.v1.CancelMigrationResponse;
import dev.ferry.proto.v1.ControllerServiceGrpc;
import dev.ferry.proto.v1.CreateGuestRequest;
import dev.ferry.proto.v1.DestroyGuestRequest;
import dev.ferry.proto.v1.DestroyGuestResponse;
import dev.ferry.proto.v1.GuestInfo;
import dev.ferry.proto.v1.HeartbeatRequest;
import dev.ferry.proto.v1.HeartbeatResponse;
import dev.ferry.proto.v1.ListGuestsRequest;
import dev.ferry.proto.v1.ListGuestsResponse;
import dev.ferry.proto.v1.ListHostsRequest;
import dev.ferry.proto.v1.ListHostsResponse;
import dev.ferry.proto.v1.ListMigrationsRequest;
import dev.ferry.proto.v1.ListMigrationsResponse;
import dev.ferry.proto.v1.MigrateRequest;
import dev.ferry.proto.v1.MigrateResponse;
import dev.ferry.proto.v1.MigrationProgress;
import dev.ferry.proto.v1.RegisterHostRequest;
import dev.ferry.proto.v1.RegisterHostResponse;
import dev.ferry.proto.v1.WatchMigrationRequest;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/** The controller's gRPC face: translates messages and delegates; no decisions here. */
public final class ControllerGrpcService extends ControllerServiceGrpc.ControllerServiceImplBase {

    private final Cluster cluster;
    private final MigrationCoordinator migrations;
    private final Duration heartbeatInterval;

    public ControllerGrpcService(Cluster cluster, MigrationCoordinator migrations, Duration heartbeatInterval) {
        this.cluster = cluster;
        this.migrations = migrations;
        this.heartbeatInterval = heartbeatInterval;
    }

    @Override
    public void registerHost(RegisterHostRequest request, StreamObserver<RegisterHostResponse> response) {
        reply(response, () -> {
            cluster.register(request.getHost());
            return RegisterHostResponse.newBuilder().setHeartbeatIntervalMillis(heartbeatInterval.toMillis()).build();
        });
    }

    @Override
    public void heartbeat(HeartbeatRequest request, StreamObserver<HeartbeatResponse> response) {
        reply(response, () -> {
            boolean known = cluster.heartbeat(request);
            return known ? cluster.switchView(request.getHost()).build()
                    : HeartbeatResponse.newBuilder().setReregister(true).build();
        });
    }

    @Override
    public void listHosts(ListHostsRequest request, StreamObserver<ListHostsResponse> response) {
        reply(response, () -> ListHostsResponse.newBuilder().addAllHosts(cluster.hosts()).build());
    }

    @Override
    public void listGuests(ListGuestsRequest request, StreamObserver<ListGuestsResponse> response) {
        reply(response, () -> ListGuestsResponse.newBuilder().addAllGuests(cluster.guests()).build());
    }

    @Override
    public void createGuest(CreateGuestRequest request, StreamObserver<GuestInfo> response) {
        replyLater(response, () -> cluster.createGuest(request));
    }

    @Override
    public void destroyGuest(DestroyGuestRequest request, StreamObserver<DestroyGuestResponse> response) {
        replyLater(response, () -> {
            migrations.requireIdle(request.getName());
            return cluster.destroyGuest(request.getName(), request.getKeepDisk()).thenApply(done -> DestroyGuestResponse.getDefaultInstance());
        });
    }

    @Override
    public void migrate(MigrateRequest request, StreamObserver<MigrateResponse> response) {
        reply(response, () -> MigrateResponse.newBuilder().setMigrationId(migrations.start(request)).build());
    }

    @Override
    public void watchMigration(WatchMigrationRequest request, StreamObserver<MigrationProgress> response) {
        try {
            WatchStream.follow(migrations, request.getMigrationId(), response);
        } catch (RuntimeException e) {
            response.onError(StatusMapper.toStatus(e));
        }
    }

    @Override
    public void listMigrations(ListMigrationsRequest request, StreamObserver<ListMigrationsResponse> response) {
        reply(response, () -> ListMigrationsResponse.newBuilder().addAllMigrations(migrations.migrations()).build());
    }

    @Override
    public void cancelMigration(CancelMigrationRequest request, StreamObserver<CancelMigrationResponse> response) {
        replyLater(response, () -> migrations.cancel(request.getMigrationId())
                .thenApply(done -> CancelMigrationResponse.getDefaultInstance()));
    }

    private static <T> void reply(StreamObserver<T> response, Supplier<T> handler) {
        T value;
        try {
            value = handler.get();
        } catch (RuntimeException e) {
            response.onError(StatusMapper.toStatus(e));
            return;
        }
        response.onNext(value);
        response.onCompleted();
    }

    private static <T> void replyLater(StreamObserver<T> response, Supplier<CompletableFuture<T>> handler) {
        try {
            handler.get().whenComplete((value, error) -> complete(response, value, error));
        } catch (RuntimeException e) {
            response.onError(StatusMapper.toStatus(e));
        }
    }

    private static <T> void complete(StreamObserver<T> response, T value, Throwable error) {
        if (error != null) {
            response.onError(StatusMapper.toStatus(error));
            return;
        }
        response.onNext(value);
        response.onCompleted();
    }
}
