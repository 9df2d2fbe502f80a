package dev.ferry.controller.cli;

import dev.ferry.common.config.HostPort;
import dev.ferry.controller.kv.KvLoad;
import dev.ferry.controller.kv.KvLoadReports;
import dev.ferry.controller.kv.KvLoadResult;
import dev.ferry.proto.v1.KvLoadReport;
import dev.ferry.proto.v1.ListMigrationsRequest;
import dev.ferry.proto.v1.MigrationBlackout;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(name = "kv-load", description = {"Load a kv guest from several connections and check every reply.",
    "Runs for --duration, or until interrupted (Ctrl-C, SIGTERM): either way it reads every key back and reports.",
    "Reports ops/s, resets, lost / duplicated / wrong replies, and for each migration of the guest during the run",
    "the longest any client waited for a reply (the client-observed blackout)."})
final class KvLoadCommand implements Callable<Integer> {

    @ParentCommand
    private FerryCommand ferry;

    @Parameters(index = "0", paramLabel = "GUEST", description = "The kv guest (name or MAC).")
    private String guest;

    @Option(names = "--clients", defaultValue = "8", description = "Connections, each with its own keys (default: ${DEFAULT-VALUE}).")
    private int clients;

    @Option(names = "--duration", defaultValue = "30s", converter = Converters.Time.class,
            description = "How long to run, e.g. 30s, 2m (default: ${DEFAULT-VALUE}).")
    private Duration duration;

    @Option(names = "--via", split = ",", paramLabel = "HOST",
            description = "Hosts whose switch ports the clients attach to, round robin (default: every healthy host).")
    private List<String> via = List.of();

    @Option(names = "--keys", defaultValue = "64", description = "Keys per client (default: ${DEFAULT-VALUE}).")
    private int keys;

    @Option(names = "--value-size", defaultValue = "128", description = "Largest value in bytes, 1-1024 (default: ${DEFAULT-VALUE}).")
    private int valueSize;

    @Option(names = "--rate", defaultValue = "0", paramLabel = "OPS",
            description = "Requests per second per client; 0 = back to back, as fast as replies come (default).")
    private double rate;

    @Override
    public Integer call() throws Exception {
        List<HostPort> ingress = SwitchPorts.resolve(ferry, guest, via, true);
        KvLoad.Options options = new KvLoad.Options(guest, ingress, clients, duration, keys, valueSize, 42,
                Duration.ofMillis(500), Duration.ofSeconds(10), rate);
        long start = System.currentTimeMillis();
        KvLoad load = KvLoad.start(options);
        // Ctrl-C (or SIGTERM) ends the run early but still reads back, matches migrations and reports
        CountDownLatch reported = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            load.stop();
            try {
                reported.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "kv-load-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            return report(load.await(), start);
        } finally {
            reported.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running: it returns now that the report is out
            }
        }
    }

    private int report(KvLoadResult result, long start) {
        long end = System.currentTimeMillis();
        var migrations = ferry.call(stub -> FerryCommand.unary(stub).listMigrations(ListMigrationsRequest.getDefaultInstance()))
                .getMigrationsList();
        KvLoadReport report = KvLoadReports.of(guest, clients, result, start, end, migrations);
        if (ferry.json()) {
            Json.print(ferry.out(), report);
        } else {
            print(report);
        }
        return result.clean() ? ExitCodes.OK : ExitCodes.KV_PROBLEM;
    }

    private void print(KvLoadReport r) {
        var out = ferry.out();
        out.printf(Locale.ROOT, "%s: %d clients, %.1f s, %d ops (%.0f ops/s)%n", r.getGuest(), r.getClients(), r.getSeconds(),
                r.getOps(), r.getOpsPerSecond());
        out.printf(Locale.ROOT, "resets %d, lost %d, duplicated %d, wrong %d; %d notices, %d retransmissions; %d keys verified%n",
                r.getResets(), r.getLost(), r.getDuplicated(), r.getWrong(), r.getNotices(), r.getRetransmits(), r.getVerifiedKeys());
        out.printf(Locale.ROOT, "longest wait for a reply: %.1f ms%n", r.getLongestWaitMs());
        if (r.getMigrationsCount() > 0) {
            Table table = new Table("MIGRATION", "FROM", "TO", "STATUS", "DOWNTIME", "BLACKOUT");
            for (MigrationBlackout m : r.getMigrationsList()) {
                table.row(m.getMigrationId(), m.getSourceHost(), m.getDestinationHost(),
                        m.getStatus().name().toLowerCase(Locale.ROOT), Units.formatMillis(m.getDowntimeMicros()),
                        String.format(Locale.ROOT, "%.1f ms", m.getBlackoutMs()));
            }
            table.print(out);
            out.printf(Locale.ROOT, "client-observed blackout over %d migrations: p50 %.1f ms, p99 %.1f ms, max %.1f ms%n",
                    r.getMigrationsCount(), r.getBlackoutMs().getP50(), r.getBlackoutMs().getP99(), r.getBlackoutMs().getMax());
            if (r.hasQuietWindowMs()) {
                out.printf(Locale.ROOT, "the load alone, between migrations, over windows as long as one: p50 %.1f ms, p99 %.1f ms, max %.1f ms%n",
                        r.getQuietWindowMs().getP50(), r.getQuietWindowMs().getP99(), r.getQuietWindowMs().getMax());
            }
        }
        r.getProblemsList().forEach(p -> out.println("problem: " + p));
    }
}
