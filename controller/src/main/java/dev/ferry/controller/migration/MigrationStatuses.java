package dev.ferry.controller.migration;

import dev.ferry.proto.v1.MigrationStatus;
import java.util.EnumSet;
import java.util.Set;

/** Which statuses end a migration. */
public final class MigrationStatuses {

    private static final Set<MigrationStatus> TERMINAL = EnumSet.of(MigrationStatus.COMPLETED,
            MigrationStatus.FAILED, MigrationStatus.CANCELLED, MigrationStatus.FENCED);

    private MigrationStatuses() {
    }

    public static boolean isTerminal(MigrationStatus status) {
        return TERMINAL.contains(status);
    }
}
