package dev.ferry.agent.rpc;

import dev.ferry.agent.host.HostOperations;
import dev.ferry.agent.migration.OutgoingMigration;
import dev.ferry.agent.migration.ProgressFeed;
import dev.ferry.proto.v1.AgentCancelMigrationRequest;
import dev.ferry.proto.v1.AgentCancelMigrationResponse;
import dev.ferry.proto.v1.AgentDescribeGuestRequest;
import dev.ferry.proto.v1.AgentDestroyGuestRequest;
import dev.ferry.proto.v1.AgentDestroyGuestResponse;
import dev.ferry.proto.v1.AgentListGuestsRequest;
import dev.ferry.proto.v1.AgentListGuestsResponse;
import dev.ferry.proto.v1.AgentServiceGrpc;
import dev.ferry.proto.v1.AgentWatchMigrationRequest;
import dev.ferry.proto.v1.GuestInfo;
import dev.ferry.proto.v1.GuestSpec;
import dev.ferry.proto.v1.MigrateOutRequest;
import dev.ferry.proto.v1.MigrateOutResponse;
import dev.ferry.proto.v1.MigrationProgress;
import dev.ferry.proto.v1.PrepareIncomingRequest;
import dev.ferry.proto.v1.PrepareIncomingResponse;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.function.Supplier;

/** The agent's gRPC face: each call delegates to {@link HostOperations}. */
public final class AgentGrpcService extends AgentServiceGrpc.AgentServiceImplBase {
    private final HostOperations host;

    public AgentGrpcService(HostOperations host) {
        this.host = host;
    }

    @Override
    public void createGuest(GuestSpec request, StreamObserver<GuestInfo> response) {
        answer(response, () -> host.createGuest(request));
    }

    @Override
    public void destroyGuest(AgentDestroyGuestRequest request, StreamObserver<AgentDestroyGuestResponse> response) {
        answer(response, () -> {
            host.destroyGuest(request.getName(), request.getKeepDisk());
            return AgentDestroyGuestResponse.getDefaultInstance();
        });
    }

    @Override
    public void listGuests(AgentListGuestsRequest request, StreamObserver<AgentListGuestsResponse> response) {
        answer(response, () -> AgentListGuestsResponse.newBuilder().addAllGuests(host.listGuests()).build());
    }

    @Override
    public void describeGuest(AgentDescribeGuestRequest request, StreamObserver<GuestInfo> response) {
        answer(response, () -> host.describeGuest(request.getName(), request.getWithDigest()));
    }

    @Override
    public void prepareIncoming(PrepareIncomingRequest request, StreamObserver<PrepareIncomingResponse> response) {
        answer(response, () -> host.prepareIncoming(request));
    }

    @Override
    public void migrateOut(MigrateOutRequest request, StreamObserver<MigrateOutResponse> response) {
        answer(response, () -> {
            host.migrateOut(request);
            return MigrateOutResponse.getDefaultInstance();
        });
    }

    @Override
    public void cancelMigration(AgentCancelMigrationRequest request, StreamObserver<AgentCancelMigrationResponse> response) {
        answer(response, () -> {
            host.cancel(request.getMigrationId());
            return AgentCancelMigrationResponse.getDefaultInstance();
        });
    }

    @Override
    public void watchMigration(AgentWatchMigrationRequest request, StreamObserver<MigrationProgress> response) {
        OutgoingMigration migration;
        try {
            migration = host.migration(request.getMigrationId());
        } catch (RuntimeException e) {
            response.onError(StatusMapping.toStatus(e));
            return;
        }
        ServerCallStreamObserver<MigrationProgress> call = (ServerCallStreamObserver<MigrationProgress>) response;
        ProgressFeed.Watcher watcher = new ProgressFeed.Watcher() {
            @Override
            public void onProgress(MigrationProgress progress) {
                if (!call.isCancelled()) {
                    call.onNext(progress);
                }
            }

            @Override
            public void onEnd() {
                if (!call.isCancelled()) {
                    call.onCompleted();
                }
            }
        };
        call.setOnCancelHandler(() -> migration.feed().unwatch(watcher));
        migration.feed().watch(watcher);
    }

    private static <T> void answer(StreamObserver<T> response, Supplier<T> call) {
        T result;
        try {
            result = call.get();
        } catch (RuntimeException e) {
            response.onError(StatusMapping.toStatus(e));
            return;
        }
        response.onNext(result);
        response.onCompleted();
    }
}
