package dev.ferry.controller.rpc;

import dev.ferry.controller.migration.MigrationCoordinator;
import dev.ferry.controller.migration.MigrationWatcher;
import dev.ferry.proto.v1.MigrationProgress;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.atomic.AtomicReference;

/** Bridges a WatchMigration response stream to the coordinator's watcher interface. */
final class WatchStream implements MigrationWatcher {

    private final StreamObserver<MigrationProgress> response;

    private WatchStream(StreamObserver<MigrationProgress> response) {
        this.response = response;
    }

    /** Subscribes the stream; a client that goes away is unsubscribed. */
    static void follow(MigrationCoordinator migrations, String id, StreamObserver<MigrationProgress> response) {
        ServerCallStreamObserver<MigrationProgress> call = (ServerCallStreamObserver<MigrationProgress>) response;
        // Set before subscribing: gRPC only accepts the handler before the first message.
        AtomicReference<Runnable> unsubscribe = new AtomicReference<>(() -> { });
        call.setOnCancelHandler(() -> unsubscribe.get().run());
        unsubscribe.set(migrations.watch(id, new WatchStream(response)));
        if (call.isCancelled()) {
            unsubscribe.get().run();
        }
    }

    @Override
    public void onProgress(MigrationProgress progress) {
        response.onNext(progress);
    }

    @Override
    public void onEnd() {
        response.onCompleted();
    }
}
