package dev.ferry.common.lifecycle;

/**
 * The current state of one thing with a lifecycle. {@link #transition} refuses moves the
 * table does not allow, so an illegal sequence is a loud bug, not a silent corruption.
 * Thread-safe: every method is synchronized; states change rarely.
 */
public final class Lifecycle<S extends Enum<S>> {
    private final String name;
    private final TransitionTable<S> table;
    private S current;

    public Lifecycle(String name, TransitionTable<S> table, S initial) {
        this.name = name;
        this.table = table;
        this.current = initial;
    }

    public synchronized S current() {
        return current;
    }

    /** Moves to {@code next}; throws {@link IllegalStateException} if the table forbids it. */
    public synchronized void transition(S next) {
        if (!table.allows(current, next)) {
            throw new IllegalStateException(name + ": illegal transition " + current + " -> " + next);
        }
        current = next;
    }

    /** Moves to {@code next} if allowed from the current state; tells whether it moved. */
    public synchronized boolean tryTransition(S next) {
        if (!table.allows(current, next)) {
            return false;
        }
        current = next;
        return true;
    }

    public synchronized boolean isTerminal() {
        return table.isTerminal(current);
    }

    @Override
    public synchronized String toString() {
        return name + "[" + current + "]";
    }
}
