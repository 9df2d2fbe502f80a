package dev.ferry.agent.migration;

import dev.ferry.common.lifecycle.Lifecycle;
import dev.ferry.common.lifecycle.TransitionTable;
import dev.ferry.proto.v1.MigrationStatus;

import static dev.ferry.proto.v1.MigrationStatus.CANCELLED;
import static dev.ferry.proto.v1.MigrationStatus.COMMITTING;
import static dev.ferry.proto.v1.MigrationStatus.COMPLETED;
import static dev.ferry.proto.v1.MigrationStatus.FAILED;
import static dev.ferry.proto.v1.MigrationStatus.FENCED;
import static dev.ferry.proto.v1.MigrationStatus.PRECOPY;
import static dev.ferry.proto.v1.MigrationStatus.SETUP;
import static dev.ferry.proto.v1.MigrationStatus.STOP_AND_COPY;

/**
 * The source side of a migration.
 * <pre>
 *   SETUP ──► PRECOPY ──► STOP_AND_COPY ──► COMMITTING ──► COMPLETED
 *     │          │              │                ├──► FENCED
 *     └──────────┴──────────────┴─► FAILED ◄─────┘ (only on the destination's DISCARDED)
 *     └──────────┴──────────────┴─► CANCELLED
 * </pre>
 * FAILED and CANCELLED mean rolled back: the guest runs on the source. Once COMMIT is
 * sent the way back to the source is only through the destination's explicit word that it
 * discarded its copy (COMMITTING -> FAILED); otherwise COMPLETED, or FENCED (guest paused,
 * an operator or the controller must learn what the destination did).
 */
public final class OutgoingLifecycle {
    static final TransitionTable<MigrationStatus> TABLE = TransitionTable.builder(MigrationStatus.class)
            .from(SETUP, PRECOPY, FAILED, CANCELLED)
            .from(PRECOPY, STOP_AND_COPY, FAILED, CANCELLED)
            .from(STOP_AND_COPY, COMMITTING, FAILED, CANCELLED)
            .from(COMMITTING, COMPLETED, FENCED, FAILED)
            .build();

    private OutgoingLifecycle() {}

    public static Lifecycle<MigrationStatus> create(String migrationId) {
        return new Lifecycle<>("outgoing " + migrationId, TABLE, SETUP);
    }
}
