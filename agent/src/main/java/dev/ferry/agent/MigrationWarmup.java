package dev.ferry.agent;

import dev.ferry.agent.guest.Guest;
import dev.ferry.agent.host.HostedGuest;
import dev.ferry.agent.host.StandbyGuest;
import dev.ferry.agent.guest.GuestDevices;
import dev.ferry.agent.host.HostedDevices;
import dev.ferry.agent.network.Trunks;
import dev.ferry.agent.network.VirtualNic;
import dev.ferry.agent.network.VirtualSwitch;
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
 * At start, migrates a small guest from this agent to itself over its own page-stream port,
 * through the real transport, both state machines and the device hand-off (its vNIC moves
 * between two private switches), then throws it away; several times. Code that runs once
 * per migration (commit, activation, the vNIC and switch hand-off, their lambdas and log
 * calls) otherwise runs interpreted and cold inside the first real downtimes, costing
 * 5-20 ms each; here it costs about a second at start, and proves the data path works.
 *
 * <p>Two kinds: tiny guests, many times, for the once-per-migration code; then a few larger
 * ones whose memory is mostly written (long runs of pages, zero pages between them) and
 * dirtied fast (scattered pages in later rounds), so the per-page loops on both sides are
 * compiled with the profiles real guests give them. With tiny guests only, those loops were
 * still being recompiled (uncommon traps, OSR) during the first real migrations, on the two
 * cores the migration needed.
 */
final class MigrationWarmup {
    private static final Logger log = LoggerFactory.getLogger(MigrationWarmup.class);
    private static final long BYTES = 256 * GuestMemory.PAGE_SIZE;
    /** Enough for the once-per-migration code to be compiled, not just loaded. */
    private static final int MIGRATIONS = 10;
    private static final long BULK_BYTES = 32L << 20;
    /** Enough page traffic (~100 MiB each way) for the per-page loops to reach their final compilation. */
    private static final int BULK_MIGRATIONS = 3;
    /** One page in this many stays zero. */
    private static final int ZERO_ONE_IN = 8;

    private MigrationWarmup() {}

    static void run(IncomingMigrations incoming, PageStreamTransport transport) {
        long start = System.nanoTime();
        try (VirtualSwitch from = new VirtualSwitch("warmup-source", Trunks.NONE);
             VirtualSwitch to = new VirtualSwitch("warmup-destination", Trunks.NONE)) {
            for (int i = 0; i < MIGRATIONS + BULK_MIGRATIONS; i++) {
                if (!once(incoming, transport, from, to, i < MIGRATIONS ? BYTES : BULK_BYTES)) {
                    return;
                }
            }
        }
        log.info("migration path warmed up over loopback ({} migrations) in {} ms", MIGRATIONS + BULK_MIGRATIONS,
                (System.nanoTime() - start) / 1_000_000);
    }

    private static boolean once(IncomingMigrations incoming, PageStreamTransport transport, VirtualSwitch from,
                                VirtualSwitch to, long bytes) {
        String id = "warmup-" + UUID.randomUUID();
        MacAddress mac = MacAddress.random(new java.util.Random());
        long dirtyRate = bytes > BYTES ? bytes * 2 : BYTES * 8;  // bulk: scattered pages in every later round
        GuestSpec spec = GuestSpec.newBuilder().setName(id).setMemoryBytes(bytes).setVcpus(1).setMac(mac.toString())
                .setProgram(ProgramSpec.newBuilder().setDirtier(DirtierSpec.newBuilder().setRateBytesPerSecond(dirtyRate)))
                .build();
        VirtualNic sourceNic = new VirtualNic(mac);
        Guest guest = Guest.create(spec, new GuestDevices(sourceNic, null));
        if (bytes > BYTES) {
            fillMost(guest.memory());
        }
        guest.start();
        from.plugIn(id, sourceNic, 1);
        GuestMemory memory = GuestMemory.allocate(bytes);
        // the real standby path, thrown away once activated
        VirtualNic nic = new VirtualNic(mac);
        IncomingGuest standby = new StandbyGuest(Guest.standby(spec, memory, new GuestDevices(nic, null)), nic, null,
                (activated, epoch) -> {
                    activated.resume();
                    to.plugIn(id, nic, epoch);
                    to.unplug(mac);
                    activated.close();
                }, () -> { });
        IncomingMigration destination = new IncomingMigration(id, id, spec, memory, standby, incoming::remove);
        incoming.add(destination);
        HostedGuest hosted = new HostedGuest(guest, sourceNic, null, 1);
        OutgoingMigration source = new OutgoingMigration(new MigrationTarget(id, "self", "self", loopback(transport),
                transport.localAddress().getPort(), id), hosted, MigrationSettings.from(MigrationOptions.getDefaultInstance()),
                MigrationTimeouts.DEFAULT, transport, new HostedDevices(hosted, from), guest::close);
        source.run();
        from.unplug(mac);
        MigrationStatus end = source.feed().latest().getStatus();
        if (end != MigrationStatus.COMPLETED) {
            destination.discard("warm-up ended " + end);
            guest.close();
            log.warn("migration warm-up over loopback ended {}: {} (first migrations may have longer downtime)",
                    end, source.feed().latest().getError());
            return false;
        }
        return true;
    }

    private static void fillMost(GuestMemory memory) {
        for (int page = 0; page < memory.pageCount(); page++) {
            if (page % ZERO_ONE_IN != 0) {
                memory.fillPage(page, page * 0x9E3779B97F4A7C15L, 0xBF58476D1CE4E5B9L);
            }
        }
    }

    private static String loopback(PageStreamTransport transport) {
        InetSocketAddress address = transport.localAddress();
        return address.getAddress().isAnyLocalAddress() ? "127.0.0.1" : address.getHostString();
    }
}
