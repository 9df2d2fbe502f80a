package dev.ferry.agent.migration;

import static dev.ferry.proto.v1.MigrationStatus.CANCELLED;
import static dev.ferry.proto.v1.MigrationStatus.COMMITTING;
import static dev.ferry.proto.v1.MigrationStatus.COMPLETED;
import static dev.ferry.proto.v1.MigrationStatus.FAILED;
import static dev.ferry.proto.v1.MigrationStatus.FENCED;
import static dev.ferry.proto.v1.MigrationStatus.PRECOPY;
import static dev.ferry.proto.v1.MigrationStatus.SETUP;
import static dev.ferry.proto.v1.MigrationStatus.STOP_AND_COPY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ferry.common.lifecycle.Lifecycle;
import dev.ferry.common.lifecycle.TransitionTable;
import dev.ferry.proto.v1.MigrationStatus;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The two migration lifecycles allow exactly the edges their Javadoc diagrams draw. */
class LifecycleTablesTest {

    private static final Map<MigrationStatus, Set<MigrationStatus>> OUTGOING_EDGES = Map.of(
            SETUP, EnumSet.of(PRECOPY, FAILED, CANCELLED),
            PRECOPY, EnumSet.of(STOP_AND_COPY, FAILED, CANCELLED),
            STOP_AND_COPY, EnumSet.of(COMMITTING, FAILED, CANCELLED),
            COMMITTING, EnumSet.of(COMPLETED, FENCED, FAILED));

    private static final Map<IncomingState, Set<IncomingState>> INCOMING_EDGES = Map.of(
            IncomingState.RESERVED, EnumSet.of(IncomingState.RECEIVING, IncomingState.DISCARDED),
            IncomingState.RECEIVING, EnumSet.of(IncomingState.READY, IncomingState.DISCARDED),
            IncomingState.READY, EnumSet.of(IncomingState.ACTIVE, IncomingState.DISCARDED));

    /** Every (from, to) pair of the enum: allowed exactly when the diagram has the edge. */
    private static <S extends Enum<S>> void assertExactly(TransitionTable<S> table, Class<S> type, Map<S, Set<S>> edges) {
        List<String> wrong = new ArrayList<>();
        for (S from : type.getEnumConstants()) {
            for (S to : type.getEnumConstants()) {
                boolean expected = edges.getOrDefault(from, Set.of()).contains(to);
                if (table.allows(from, to) != expected) {
                    wrong.add(from + " -> " + to + (expected ? " should be allowed" : " should be refused"));
                }
            }
        }
        assertTrue(wrong.isEmpty(), String.join("\n", wrong));
    }

    @Test
    void outgoingAllowsExactlyTheDiagramsEdges() {
        assertExactly(OutgoingLifecycle.TABLE, MigrationStatus.class, OUTGOING_EDGES);
    }

    @Test
    void afterCommitTheOnlyWayBackIsTheDestinationsDiscard() {
        // FAILED after COMMIT is taken only on the destination's DISCARDED (CommitFaultTest proves
        // that silence fences instead); a cancel can never undo a commit
        for (MigrationStatus to : MigrationStatus.values()) {
            boolean allowed = OutgoingLifecycle.TABLE.allows(COMMITTING, to);
            assertEquals(to == COMPLETED || to == FENCED || to == FAILED, allowed, "COMMITTING -> " + to);
        }
        assertFalse(OutgoingLifecycle.TABLE.allows(COMMITTING, CANCELLED));
        assertFalse(OutgoingLifecycle.TABLE.allows(FENCED, FAILED), "a fenced guest does not silently resume");
    }

    @Test
    void outgoingTerminalStates() {
        for (MigrationStatus s : List.of(COMPLETED, FAILED, CANCELLED, FENCED)) {
            assertTrue(OutgoingLifecycle.TABLE.isTerminal(s), s + " is terminal");
        }
        for (MigrationStatus s : List.of(SETUP, PRECOPY, STOP_AND_COPY, COMMITTING)) {
            assertFalse(OutgoingLifecycle.TABLE.isTerminal(s), s + " is not terminal");
        }
    }

    @Test
    void outgoingLifecycleStartsInSetupAndRefusesIllegalMoves() {
        Lifecycle<MigrationStatus> l = OutgoingLifecycle.create("m1");
        assertEquals(SETUP, l.current());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> l.transition(COMMITTING));
        assertTrue(e.getMessage().contains("m1") && e.getMessage().contains("SETUP -> COMMITTING"), e.getMessage());
        assertEquals(SETUP, l.current());
        l.transition(PRECOPY);
        l.transition(STOP_AND_COPY);
        l.transition(COMMITTING);
        assertFalse(l.tryTransition(PRECOPY));
        assertEquals(COMMITTING, l.current());
        assertThrows(IllegalStateException.class, () -> l.transition(CANCELLED));
        l.transition(FENCED);
        assertTrue(l.isTerminal());
    }

    @Test
    void incomingAllowsExactlyTheDiagramsEdges() {
        assertExactly(IncomingState.TABLE, IncomingState.class, INCOMING_EDGES);
    }

    @Test
    void onlyReadyBecomesActive() {
        for (IncomingState from : IncomingState.values()) {
            assertEquals(from == IncomingState.READY, IncomingState.TABLE.allows(from, IncomingState.ACTIVE), from + " -> ACTIVE");
        }
    }

    @Test
    void discardedIsReachableBeforeActivationOnly() {
        assertTrue(IncomingState.TABLE.allows(IncomingState.RESERVED, IncomingState.DISCARDED));
        assertTrue(IncomingState.TABLE.allows(IncomingState.RECEIVING, IncomingState.DISCARDED));
        assertTrue(IncomingState.TABLE.allows(IncomingState.READY, IncomingState.DISCARDED));
        assertFalse(IncomingState.TABLE.allows(IncomingState.ACTIVE, IncomingState.DISCARDED), "a running guest is never discarded");
        assertTrue(IncomingState.TABLE.isTerminal(IncomingState.ACTIVE));
        assertTrue(IncomingState.TABLE.isTerminal(IncomingState.DISCARDED));
        for (IncomingState s : List.of(IncomingState.RESERVED, IncomingState.RECEIVING, IncomingState.READY)) {
            assertFalse(IncomingState.TABLE.isTerminal(s), s.toString());
        }
    }

    @Test
    void incomingLifecycleStartsReserved() {
        Lifecycle<IncomingState> l = IncomingState.lifecycle("m2");
        assertEquals(IncomingState.RESERVED, l.current());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> l.transition(IncomingState.ACTIVE));
        assertTrue(e.getMessage().contains("m2"), e.getMessage());
        l.transition(IncomingState.RECEIVING);
        l.transition(IncomingState.READY);
        l.transition(IncomingState.ACTIVE);
        assertFalse(l.tryTransition(IncomingState.DISCARDED));
        assertEquals(IncomingState.ACTIVE, l.current());
    }
}
