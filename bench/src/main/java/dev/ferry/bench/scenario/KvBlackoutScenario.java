package dev.ferry.bench.scenario;

import dev.ferry.common.config.HostPort;
import dev.ferry.controller.kv.KvLoad;
import dev.ferry.controller.kv.KvLoadResult;
import dev.ferry.proto.v1.GuestSpec;
import dev.ferry.proto.v1.KvSpec;
import dev.ferry.proto.v1.MigrationOptions;
import dev.ferry.proto.v1.MigrationProgress;
import dev.ferry.proto.v1.MigrationStatus;
import dev.ferry.proto.v1.ProgramSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * What clients of a migrating guest see: a {@code kv} guest serving 8 clients (spread over
 * both agents' switch ports, each checking every reply) is migrated back and forth 10
 * times, 150 ms apart. A migration's blackout is the longest any client waited for a reply
 * during it (from its start to the destination running the guest).
 * Resets, lost, duplicated and wrong replies are counted, never hidden: the network
 * identity and the guest's transport state should make them all zero.
 */
public final class KvBlackoutScenario implements Scenario {
    /** The two agents, as the bench drives them; the guest starts on the first. */
    public interface Hosts extends MigrationScenario.Hosts {
        /** Migrates from the second agent back to the first. */
        MigrationProgress migrateBack(GuestSpec spec, MigrationOptions options);

        /** Every agent's switch port. */
        List<HostPort> switchPorts();
    }

    private static final long MEMORY = 64L << 20;
    private static final int CLIENTS = 8;
    private static final int MIGRATIONS = 10;
    /**
     * Load runs before the first move until the rate settles (the switch, kv and client
     * paths compiled: the agents warm only the migration path at start): at least 3 s, then
     * until a second's ops/s is within 10 % of the one before, at most 20 s.
     */
    private static final Duration WARMUP_MIN = Duration.ofSeconds(3);
    private static final Duration WARMUP_MAX = Duration.ofSeconds(20);
    /** Between two migrations, so each one's pause is over (and measured) before the next starts. */
    private static final Duration BETWEEN = Duration.ofMillis(150);
    /** The load's own limit, only a backstop: the scenario stops it after the last migration. */
    private static final Duration LOAD_LIMIT = Duration.ofMinutes(5);
    private static final Duration ATTACH_LIMIT = Duration.ofSeconds(20);

    private final Hosts hosts;
    private final MigrationOptions options;
    private final double ratePerClient;
    private int runs;

    /** {@code ratePerClient}: requests per second of each client, 0 = back to back. */
    public KvBlackoutScenario(Hosts hosts, MigrationOptions options, double ratePerClient) {
        this.hosts = hosts;
        this.options = options;
        this.ratePerClient = ratePerClient;
    }

    @Override
    public String name() {
        return "kv-blackout";
    }

    @Override
    public Measurement runOnce() throws Exception {
        GuestSpec guest = GuestSpec.newBuilder().setName(name() + "-" + ++runs).setMemoryBytes(MEMORY).setVcpus(1)
                .setProgram(ProgramSpec.newBuilder().setKv(KvSpec.getDefaultInstance())).build();
        hosts.create(guest);
        try {
            SwitchPortProbe.awaitAttach(guest.getName(), hosts.switchPorts(), ATTACH_LIMIT);
            return underLoad(guest);
        } finally {
            hosts.destroyEverywhere(guest.getName());
        }
    }

    private Measurement underLoad(GuestSpec guest) throws Exception {
        KvLoad load = KvLoad.start(KvLoad.Options.of(guest.getName(), hosts.switchPorts(), CLIENTS, LOAD_LIMIT)
                .withRate(ratePerClient));
        List<MigrationProgress> moves;
        KvLoadResult result;
        try {
            warmUp(load);
            moves = backAndForth(guest);
        } finally {
            load.stop();
            result = load.await();
        }
        return KvBlackouts.measurement(result, moves);
    }

    private static void warmUp(KvLoad load) throws InterruptedException {
        long start = System.nanoTime();
        long previousRate = -1;
        long before = load.answered();
        while (System.nanoTime() - start < WARMUP_MAX.toNanos()) {
            Thread.sleep(1000);
            long now = load.answered();
            long rate = now - before;
            before = now;
            boolean settled = previousRate > 0 && Math.abs(rate - previousRate) <= previousRate / 10;
            if (settled && System.nanoTime() - start >= WARMUP_MIN.toNanos()) {
                return;
            }
            previousRate = rate;
        }
    }

    private List<MigrationProgress> backAndForth(GuestSpec guest) throws InterruptedException {
        List<MigrationProgress> moves = new ArrayList<>();
        for (int i = 0; i < MIGRATIONS; i++) {
            MigrationProgress end = i % 2 == 0 ? hosts.migrate(guest, options) : hosts.migrateBack(guest, options);
            if (end == null || end.getStatus() != MigrationStatus.COMPLETED) {
                throw new IllegalStateException(name() + ": migration " + (i + 1) + " of " + MIGRATIONS + " did not complete: "
                        + (end == null ? "no progress reported" : end.getStatus() + " " + end.getError()));
            }
            moves.add(end);
            Thread.sleep(BETWEEN);
        }
        return moves;
    }
}
