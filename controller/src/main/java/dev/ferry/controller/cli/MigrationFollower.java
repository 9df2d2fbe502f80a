package dev.ferry.controller.cli;

import dev.ferry.proto.v1.ControllerServiceGrpc.ControllerServiceBlockingStub;
import dev.ferry.proto.v1.MigrationProgress;
import dev.ferry.proto.v1.WatchMigrationRequest;
import java.util.Iterator;

/** Follows a migration to its end, showing progress, then prints the summary. Shared by migrate and watch. */
final class MigrationFollower {

    private final FerryCommand ferry;

    MigrationFollower(FerryCommand ferry) {
        this.ferry = ferry;
    }

    /** Returns the exit code for how the migration ended. */
    int follow(ControllerServiceBlockingStub stub, String id) {
        MigrationProgress end = watch(stub, id);
        if (!Outcomes.isTerminal(end.getStatus())) {
            throw new IllegalStateException("the controller ended the watch of " + id + " while it was "
                    + Outcomes.statusWord(end.getStatus()) + "; follow it again with `ferry watch " + id + "`");
        }
        if (ferry.json()) {
            Json.print(ferry.out(), end);
        } else {
            MigrationSummary.lines(end).forEach(ferry.out()::println);
        }
        return ExitCodes.of(end);
    }

    private MigrationProgress watch(ControllerServiceBlockingStub stub, String id) {
        ProgressDisplay display = ProgressDisplay.of(ferry);
        MigrationProgress last = MigrationProgress.getDefaultInstance();
        try {
            Iterator<MigrationProgress> updates = stub.watchMigration(WatchMigrationRequest.newBuilder().setMigrationId(id).build());
            while (updates.hasNext()) {
                last = updates.next();
                display.show(last);
            }
        } finally {
            display.end();
        }
        return last;
    }
}
