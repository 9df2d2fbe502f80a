package dev.ferry.agent.migration;

import dev.ferry.common.lifecycle.Lifecycle;
import dev.ferry.common.lifecycle.TransitionTable;

/**
 * The destination side of a migration.
 * <pre>
 *   RESERVED ──► RECEIVING ──► READY ──► ACTIVE
 *       │            │           │
 *       └────────────┴───────────┴──► DISCARDED
 * </pre>
 * READY: memory verified, complete state held, not running. Only COMMIT moves it to
 * ACTIVE; anything else before COMMIT (lost channel, error, timeout) discards it.
 */
public enum IncomingState {
    RESERVED, RECEIVING, READY, ACTIVE, DISCARDED;

    static final TransitionTable<IncomingState> TABLE = TransitionTable.builder(IncomingState.class)
            .from(RESERVED, RECEIVING, DISCARDED)
            .from(RECEIVING, READY, DISCARDED)
            .from(READY, ACTIVE, DISCARDED)
            .build();

    public static Lifecycle<IncomingState> lifecycle(String migrationId) {
        return new Lifecycle<>("incoming " + migrationId, TABLE, RESERVED);
    }
}
