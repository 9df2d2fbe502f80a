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
     * Load runs before the first move until the rate stops growing (the switch, kv and client
     * paths compiled in three JVMs sharing the cores: the agents warm only the migration path
     * at start): at least 5 s, then until the last {@link #SETTLE_SECONDS} one-second rates
     * are within 10 % of their mean, at most 30 s. (A rate within 10 % of the second before
     * was not enough: measured, it still climbed from ~4,000 to ~12,000 ops/s over the repeats.)
     */
    private static final Duration WARMUP_MIN = Duration.ofSeconds(5);
    private static final Duration WARMUP_MAX = Duration.ofSeconds(30);
    private static final int SETTLE_SECONDS = 4;
    /** Between two migrations, so each one's pause is over (and measured) before the next starts. */
    private static final Duration BETWEEN = Duration.ofMillis(150);
    /** The load's own limit, only a backstop: the scenario stops it after the last migration. */
    private static final Duration LOAD_LIMIT = Duration.ofMinutes(5);
    private static final Duration ATTACH_LIMIT = Duration.ofSeconds(20);

    private final Hosts hosts;
    private final MigrationOptions options;
    private final double ratePerClient;
    private final java.nio.file.Path timeline;
    private int runs;

    /**
     * {@code ratePerClient}: requests per second of each client, 0 = back to back;
     * {@code timeline}: a file each repeat appends its migrations and waits to, or null.
     */
    public KvBlackoutScenario(Hosts hosts, MigrationOptions options, double ratePerClient, java.nio.file.Path timeline) {
        this.hosts = hosts;
        this.options = options;
        this.ratePerClient = ratePerClient;
        this.timeline = timeline;
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
        if (timeline != null) {
            java.nio.file.Files.write(timeline, KvBlackouts.timeline(guest.getName(), result, moves),
                    java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
        }
        return KvBlackouts.measurement(result, moves);
    }

    private static void warmUp(KvLoad load) throws InterruptedException {
        long start = System.nanoTime();
        java.util.ArrayDeque<Long> rates = new java.util.ArrayDeque<>();
        long before = load.answered();
        while (System.nanoTime() - start < WARMUP_MAX.toNanos()) {
            Thread.sleep(1000);
            long now = load.answered();
            rates.addLast(now - before);
            before = now;
            if (rates.size() > SETTLE_SECONDS) {
                rates.removeFirst();
            }
            if (System.nanoTime() - start >= WARMUP_MIN.toNanos() && settled(rates)) {
                break;
            }
        }
        System.out.printf("bench:   kv load warmed up for %d s, last %d s at %s ops/s%n",
                (System.nanoTime() - start) / 1_000_000_000L, rates.size(), rates);
    }

    /** A full window of rates, each within 10 % of their mean. */
    static boolean settled(java.util.Collection<Long> rates) {
        if (rates.size() < SETTLE_SECONDS) {
            return false;
        }
        double mean = rates.stream().mapToLong(Long::longValue).average().orElse(0);
        return mean > 0 && rates.stream().allMatch(r -> Math.abs(r - mean) <= mean / 10);
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
