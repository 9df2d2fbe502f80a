package dev.ferry.agent;

import dev.ferry.agent.guest.Guest;
import dev.ferry.agent.host.HostedGuest;
import dev.ferry.agent.host.StandbyGuest;
import dev.ferry.agent.migration.SourceDevices;
import dev.ferry.agent.network.VirtualNic;
import dev.ferry.common.net.MacAddress;
import dev.ferry.agent.migration.IncomingGuest;
import dev.ferry.agent.migration.IncomingMigration;
import dev.ferry.agent.migration.IncomingMigrations;
import dev.ferry.agent.migration.MigrationSettings;
import dev.ferry.agent.migration.MigrationTarget;
import dev.ferry.agent.migration.MigrationTimeouts;
import dev.ferry.agent.migration.OutgoingMigration;
import dev.ferry.agent.transport.PageStreamTransport;
import dev.ferry.common.memory.GuestMemory;
import dev.ferry.proto.v1.DirtierSpec;
import dev.ferry.proto.v1.GuestSpec;
import dev.ferry.proto.v1.MigrationOptions;
import dev.ferry.proto.v1.MigrationStatus;
import dev.ferry.proto.v1.ProgramSpec;
import java.net.InetSocketAddress;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * At start, migrates a tiny guest from this agent to itself over its own page-stream port,
 * through the real transport and both state machines, then throws it away. Code that runs
 * once per migration (commit, activation, their first lambdas and log calls) ran
 * interpreted and cold inside the first real downtime, costing 5-20 ms of it; here it
 * costs a fraction of a second at start, and proves the data path works.
 */
final class MigrationWarmup {
    private static final Logger log = LoggerFactory.getLogger(MigrationWarmup.class);
    private static final long BYTES = 256 * GuestMemory.PAGE_SIZE;

    private MigrationWarmup() {}

    static void run(IncomingMigrations incoming, PageStreamTransport transport) {
        long start = System.nanoTime();
        String id = "warmup-" + UUID.randomUUID();
        GuestSpec spec = GuestSpec.newBuilder().setName(id).setMemoryBytes(BYTES).setVcpus(1)
                .setProgram(ProgramSpec.newBuilder().setDirtier(DirtierSpec.newBuilder().setRateBytesPerSecond(BYTES * 8)))
                .build();
        Guest guest = Guest.create(spec);
        guest.start();
        GuestMemory memory = GuestMemory.allocate(BYTES);
        // the real standby path, thrown away once activated
        VirtualNic nic = new VirtualNic(MacAddress.random(new java.util.Random()));  // never plugged into the switch
        IncomingGuest standby = new StandbyGuest(Guest.standby(spec, memory), nic, null, (activated, epoch) -> {
            activated.resume();
            activated.close();
        });
        IncomingMigration destination = new IncomingMigration(id, id, spec, memory, standby, incoming::remove);
        incoming.add(destination);
        OutgoingMigration source = new OutgoingMigration(new MigrationTarget(id, "self", "self", loopback(transport),
                transport.localAddress().getPort(), id), new HostedGuest(guest, nic, null, 1), MigrationSettings.from(
                MigrationOptions.getDefaultInstance()), MigrationTimeouts.DEFAULT, transport, SourceDevices.NONE, guest::close);
        source.run();
        MigrationStatus end = source.feed().latest().getStatus();
        if (end != MigrationStatus.COMPLETED) {
            destination.discard("warm-up ended " + end);
            guest.close();
            log.warn("migration warm-up over loopback ended {}: {} (first migrations may have longer downtime)",
                    end, source.feed().latest().getError());
            return;
        }
        log.info("migration path warmed up over loopback in {} ms", (System.nanoTime() - start) / 1_000_000);
    }

    private static String loopback(PageStreamTransport transport) {
        InetSocketAddress address = transport.localAddress();
        return address.getAddress().isAnyLocalAddress() ? "127.0.0.1" : address.getHostString();
    }
}
