package dev.ferry.controller.cli;

import dev.ferry.proto.v1.CancelMigrationRequest;
import dev.ferry.proto.v1.CancelMigrationResponse;
import dev.ferry.proto.v1.ControllerServiceGrpc.ControllerServiceBlockingStub;
import dev.ferry.proto.v1.ListMigrationsRequest;
import dev.ferry.proto.v1.MigrationProgress;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(name = "cancel", description = "Roll back a running migration (unless it committed).")
final class CancelCommand implements Callable<Integer> {

    @ParentCommand
    private FerryCommand ferry;

    @Parameters(index = "0", paramLabel = "ID", description = "Migration id, e.g. m-1a2b3c4d.")
    private String id;

    @Override
    public Integer call() {
        CancelMigrationRequest request = CancelMigrationRequest.newBuilder().setMigrationId(id).build();
        return ferry.call(stub -> {
            CancelMigrationResponse response = FerryCommand.unary(stub).cancelMigration(request);
            if (ferry.json()) {
                Json.print(ferry.out(), response);
            } else {
                ferry.out().println("cancel requested for " + id + "; the guest keeps running on "
                        + sourceHost(stub) + " if it had not committed");
            }
            return ExitCodes.OK;
        });
    }

    // The answer to a cancel is empty; the migration list names the source.
    private String sourceHost(ControllerServiceBlockingStub stub) {
        return FerryCommand.unary(stub).listMigrations(ListMigrationsRequest.getDefaultInstance()).getMigrationsList()
                .stream().filter(m -> m.getMigrationId().equals(id)).map(MigrationProgress::getSourceHost)
                .findFirst().orElse("the source");
    }
}
