package dev.ferry.controller.migration;

import dev.ferry.proto.v1.MigrationStatus;
import java.util.EnumSet;
import java.util.Set;

/** Which statuses end a migration. UNKNOWN ends it for the controller: it stopped following it. */
public final class MigrationStatuses {

    private static final Set<MigrationStatus> TERMINAL = EnumSet.of(MigrationStatus.COMPLETED,
            MigrationStatus.FAILED, MigrationStatus.CANCELLED, MigrationStatus.FENCED, MigrationStatus.UNKNOWN);

    private MigrationStatuses() {
    }

    public static boolean isTerminal(MigrationStatus status) {
        return TERMINAL.contains(status);
    }
}
