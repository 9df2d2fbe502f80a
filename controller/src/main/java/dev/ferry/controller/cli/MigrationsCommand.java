package dev.ferry.controller.cli;

import dev.ferry.proto.v1.ListMigrationsRequest;
import dev.ferry.proto.v1.ListMigrationsResponse;
import dev.ferry.proto.v1.MigrationProgress;
import dev.ferry.proto.v1.MigrationStatus;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

@Command(name = "migrations", description = "List migrations since the controller started, newest first.")
final class MigrationsCommand implements Callable<Integer> {

    @ParentCommand
    private FerryCommand ferry;

    @Override
    public Integer call() {
        ListMigrationsResponse migrations = ferry.call(stub -> FerryCommand.unary(stub)
                .listMigrations(ListMigrationsRequest.getDefaultInstance()));
        if (ferry.json()) {
            Json.print(ferry.out(), migrations);
            return ExitCodes.OK;
        }
        Table table = new Table("ID", "GUEST", "FROM", "TO", "STATUS", "ROUNDS", "DOWNTIME", "TOTAL", "VERIFIED");
        migrations.getMigrationsList().forEach(m -> table.row(m.getMigrationId(), m.getGuest(), m.getSourceHost(),
                m.getDestinationHost(), Outcomes.statusWord(m.getStatus()), MigrationSummary.rounds(m), downtime(m),
                total(m), m.getMemoryVerified() ? "yes" : "no"));
        table.print(ferry.out());
        return ExitCodes.OK;
    }

    private static String downtime(MigrationProgress m) {
        return m.getStatus() == MigrationStatus.COMPLETED ? String.format(Locale.ROOT, "%.1f ms", m.getDowntimeMicros() / 1000.0) : "-";
    }

    private static String total(MigrationProgress m) {
        return Outcomes.isTerminal(m.getStatus()) ? String.format(Locale.ROOT, "%.2f s", m.getTotalMicros() / 1e6) : "-";
    }
}
