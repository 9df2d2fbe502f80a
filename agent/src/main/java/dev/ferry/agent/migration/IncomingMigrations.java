package dev.ferry.agent.migration;

import dev.ferry.proto.v1.Hello;
import dev.ferry.proto.v1.StreamErrorCode;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** The migrations this host is prepared to receive, by migration id. */
public final class IncomingMigrations {
    private final Map<String, IncomingMigration> byId = new ConcurrentHashMap<>();

    public void add(IncomingMigration migration) {
        if (byId.putIfAbsent(migration.id(), migration) != null) {
            throw new IllegalArgumentException("migration " + migration.id() + " is already prepared here");
        }
    }

    public void remove(IncomingMigration migration) {
        byId.remove(migration.id(), migration);
    }

    /** The migration a Hello names, or a BAD_TICKET error that does not reveal which ids exist. */
    public IncomingMigration forHello(Hello hello) throws StreamException {
        IncomingMigration migration = byId.get(hello.getMigrationId());
        if (migration == null) {
            throw new StreamException(StreamErrorCode.BAD_TICKET,
                    "no migration is prepared here for id '" + hello.getMigrationId() + "' with that ticket");
        }
        return migration;
    }

    public boolean hasGuest(String name) {
        return byId.values().stream().anyMatch(m -> m.spec().getName().equals(name));
    }

    public long reservedBytes() {
        return byId.values().stream().mapToLong(IncomingMigration::reservedBytes).sum();
    }

    public Collection<IncomingMigration> all() {
        return List.copyOf(byId.values());
    }
}
