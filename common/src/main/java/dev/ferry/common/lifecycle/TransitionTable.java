package dev.ferry.common.lifecycle;

import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

/** Which state may follow which: the edges of a lifecycle diagram. Immutable once built. */
public final class TransitionTable<S extends Enum<S>> {
    private final Map<S, Set<S>> next;

    private TransitionTable(Map<S, Set<S>> next) {
        this.next = next;
    }

    public static <S extends Enum<S>> Builder<S> builder(Class<S> type) {
        return new Builder<>(type);
    }

    public boolean allows(S from, S to) {
        return next.get(from).contains(to);
    }

    public boolean isTerminal(S state) {
        return next.get(state).isEmpty();
    }

    public static final class Builder<S extends Enum<S>> {
        private final Class<S> type;
        private final Map<S, Set<S>> next;

        private Builder(Class<S> type) {
            this.type = type;
            this.next = new EnumMap<>(type);
            for (S state : type.getEnumConstants()) {
                next.put(state, EnumSet.noneOf(type));
            }
        }

        @SafeVarargs
        public final Builder<S> from(S from, S... to) {
            for (S target : to) {
                next.get(from).add(target);
            }
            return this;
        }

        public TransitionTable<S> build() {
            Map<S, Set<S>> copy = new EnumMap<>(type);
            next.forEach((state, targets) -> copy.put(state, Set.copyOf(targets)));
            return new TransitionTable<>(copy);
        }
    }
}
