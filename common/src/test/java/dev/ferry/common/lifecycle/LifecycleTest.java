package dev.ferry.common.lifecycle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class LifecycleTest {
    enum State { NEW, STARTING, RUNNING, STOPPING, STOPPED, FAILED }

    /** NEW -> STARTING -> RUNNING -> STOPPING -> STOPPED; any live state may fail; FAILED and STOPPED end. */
    private static final TransitionTable<State> TABLE = TransitionTable.builder(State.class)
            .from(State.NEW, State.STARTING, State.FAILED)
            .from(State.STARTING, State.RUNNING, State.FAILED)
            .from(State.RUNNING, State.STOPPING, State.FAILED)
            .from(State.STOPPING, State.STOPPED, State.FAILED)
            .build();

    private static final EnumSet<State> TERMINAL = EnumSet.of(State.STOPPED, State.FAILED);

    private static boolean allowedByDiagram(State from, State to) {
        return switch (from) {
            case NEW -> to == State.STARTING || to == State.FAILED;
            case STARTING -> to == State.RUNNING || to == State.FAILED;
            case RUNNING -> to == State.STOPPING || to == State.FAILED;
            case STOPPING -> to == State.STOPPED || to == State.FAILED;
            case STOPPED, FAILED -> false;
        };
    }

    @Test
    void tableAllowsExactlyTheDeclaredEdges() {
        for (State from : State.values()) {
            for (State to : State.values()) {
                assertEquals(allowedByDiagram(from, to), TABLE.allows(from, to), from + " -> " + to);
            }
            assertEquals(TERMINAL.contains(from), TABLE.isTerminal(from), from + " terminal");
        }
    }

    @Test
    void selfTransitionsAreNotImplied() {
        for (State s : State.values()) {
            assertFalse(TABLE.allows(s, s), s + " -> " + s);
        }
    }

    @Test
    void builtTableIsNotChangedByLaterBuilderUse() {
        TransitionTable.Builder<State> builder = TransitionTable.builder(State.class).from(State.NEW, State.RUNNING);
        TransitionTable<State> built = builder.build();
        builder.from(State.NEW, State.STOPPED);
        assertFalse(built.allows(State.NEW, State.STOPPED));
        assertTrue(builder.build().allows(State.NEW, State.STOPPED));
        assertTrue(built.allows(State.NEW, State.RUNNING));
    }

    @Test
    void fromAccumulatesTargets() {
        TransitionTable<State> table = TransitionTable.builder(State.class)
                .from(State.NEW, State.STARTING)
                .from(State.NEW, State.FAILED)
                .build();
        assertTrue(table.allows(State.NEW, State.STARTING));
        assertTrue(table.allows(State.NEW, State.FAILED));
        assertTrue(table.isTerminal(State.RUNNING), "a state with no edges is terminal");
    }

    @Test
    void happyPathWalksToTheEnd() {
        Lifecycle<State> lifecycle = new Lifecycle<>("guest g1", TABLE, State.NEW);
        assertEquals(State.NEW, lifecycle.current());
        assertFalse(lifecycle.isTerminal());
        for (State next : List.of(State.STARTING, State.RUNNING, State.STOPPING, State.STOPPED)) {
            lifecycle.transition(next);
            assertEquals(next, lifecycle.current());
        }
        assertTrue(lifecycle.isTerminal());
        assertEquals("guest g1[STOPPED]", lifecycle.toString());
    }

    @Test
    void illegalTransitionThrowsNamingBothStatesAndKeepsTheState() {
        Lifecycle<State> lifecycle = new Lifecycle<>("migration m-1", TABLE, State.NEW);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> lifecycle.transition(State.RUNNING));
        assertTrue(e.getMessage().contains("NEW"), e.getMessage());
        assertTrue(e.getMessage().contains("RUNNING"), e.getMessage());
        assertTrue(e.getMessage().contains("migration m-1"), e.getMessage());
        assertTrue(e.getMessage().indexOf("NEW") < e.getMessage().indexOf("RUNNING"), "from before to: " + e.getMessage());
        assertEquals(State.NEW, lifecycle.current());
    }

    @Test
    void everyIllegalMoveIsRefused() {
        for (State from : State.values()) {
            for (State to : State.values()) {
                Lifecycle<State> lifecycle = new Lifecycle<>("x", TABLE, from);
                if (allowedByDiagram(from, to)) {
                    lifecycle.transition(to);
                    assertEquals(to, lifecycle.current());
                } else {
                    assertThrows(IllegalStateException.class, () -> lifecycle.transition(to), from + " -> " + to);
                    assertEquals(from, lifecycle.current());
                }
            }
        }
    }

    @Test
    void tryTransitionReportsWithoutThrowing() {
        Lifecycle<State> lifecycle = new Lifecycle<>("x", TABLE, State.NEW);
        assertFalse(lifecycle.tryTransition(State.STOPPED));
        assertEquals(State.NEW, lifecycle.current(), "a refused move changes nothing");
        assertTrue(lifecycle.tryTransition(State.STARTING));
        assertEquals(State.STARTING, lifecycle.current());
        assertFalse(lifecycle.tryTransition(State.STARTING), "no self transition");
        assertEquals(State.STARTING, lifecycle.current());
    }

    @Test
    void terminalStatesAcceptNothing() {
        for (State end : TERMINAL) {
            Lifecycle<State> lifecycle = new Lifecycle<>("x", TABLE, end);
            assertTrue(lifecycle.isTerminal());
            for (State to : State.values()) {
                assertFalse(lifecycle.tryTransition(to), end + " -> " + to);
                assertThrows(IllegalStateException.class, () -> lifecycle.transition(to));
            }
            assertEquals(end, lifecycle.current());
        }
    }

    @Test
    @Timeout(30)
    void onlyOneOfManyRacingThreadsWinsATransition() throws Exception {
        int threads = 8;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            for (int trial = 0; trial < 200; trial++) {
                Lifecycle<State> lifecycle = new Lifecycle<>("race", TABLE, State.RUNNING);
                CountDownLatch start = new CountDownLatch(1);
                List<Future<Boolean>> results = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    State target = t % 2 == 0 ? State.STOPPING : State.FAILED;
                    results.add(pool.submit(() -> {
                        start.await();
                        return lifecycle.tryTransition(target);
                    }));
                }
                start.countDown();
                int winners = 0;
                for (Future<Boolean> result : results) {
                    winners += result.get(10, TimeUnit.SECONDS) ? 1 : 0;
                }
                // RUNNING -> STOPPING or FAILED; then STOPPING -> FAILED may follow, nothing else
                State end = lifecycle.current();
                if (end == State.STOPPING) {
                    assertEquals(1, winners, "trial " + trial);
                } else {
                    assertEquals(State.FAILED, end);
                    assertTrue(winners == 1 || winners == 2, "trial " + trial + ": " + winners + " winners");
                }
            }
        } finally {
            pool.shutdownNow();
            assertTrue(pool.awaitTermination(10, TimeUnit.SECONDS));
        }
    }
}
