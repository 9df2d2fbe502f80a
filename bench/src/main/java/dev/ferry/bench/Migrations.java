package dev.ferry.bench;

import dev.ferry.proto.v1.AgentDestroyGuestRequest;
import dev.ferry.proto.v1.AgentWatchMigrationRequest;
import dev.ferry.proto.v1.AgentDescribeGuestRequest;
import dev.ferry.proto.v1.GuestSpec;
import dev.ferry.proto.v1.MigrateOutRequest;
import dev.ferry.proto.v1.MigrationOptions;
import dev.ferry.proto.v1.MigrationProgress;
import dev.ferry.proto.v1.PrepareIncomingRequest;
import dev.ferry.proto.v1.PrepareIncomingResponse;
import java.util.Iterator;
import java.util.concurrent.atomic.AtomicInteger;

/** Drives migrations between two agent processes the way the controller does. */
final class Migrations {
    private static final AtomicInteger IDS = new AtomicInteger();

    private Migrations() {}

    /** Prepares on {@code to}, migrates out of {@code from}, follows to the end; returns the final progress. */
    static MigrationProgress run(AgentProcess from, AgentProcess to, GuestSpec requested, MigrationOptions options) {
        // as the source runs it: with the MAC (and disk) its agent chose
        GuestSpec spec = from.stub().describeGuest(AgentDescribeGuestRequest.newBuilder().setName(requested.getName()).build())
                .getSpec();
        String id = "bench-" + ProcessHandle.current().pid() + "-" + IDS.incrementAndGet();
        PrepareIncomingResponse prepared = to.stub().prepareIncoming(PrepareIncomingRequest.newBuilder()
                .setMigrationId(id).setSpec(spec).setSourceHost(from.name()).build());
        from.stub().migrateOut(MigrateOutRequest.newBuilder().setMigrationId(id).setGuest(spec.getName())
                .setDestinationHost(to.name()).setDataHost(prepared.getDataHost()).setDataPort(prepared.getDataPort())
                .setTicket(prepared.getTicket()).setOptions(options).build());
        MigrationProgress last = null;
        Iterator<MigrationProgress> stream = from.stub().watchMigration(
                AgentWatchMigrationRequest.newBuilder().setMigrationId(id).build());
        while (stream.hasNext()) {
            last = stream.next();
        }
        return last;
    }

    static void destroy(AgentProcess host, String guest) {
        host.stub().destroyGuest(AgentDestroyGuestRequest.newBuilder().setName(guest).build());
    }
}
