package dev.ferry.bench;

import dev.ferry.bench.scenario.KvBlackoutScenario;
import dev.ferry.bench.scenario.Measurement;
import dev.ferry.bench.scenario.MigrationScenario;
import dev.ferry.bench.scenario.ReferenceScenario;
import dev.ferry.agent.migration.MigrationSettings;
import dev.ferry.bench.scenario.Scenario;
import dev.ferry.bench.scenario.TrackingOverheadScenario;
import dev.ferry.common.units.ByteSizes;
import dev.ferry.proto.v1.MigrationOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code scripts/bench}: starts a controller and two agents on loopback (each its own JVM), runs the
 * scenarios with their repeats interleaved, prints a table and writes JSON. Every Ferry
 * throughput is also given as a ratio to the reference measured in the same repeat.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Ferry's end-to-end migration benchmark.")
public final class BenchMain implements Callable<Integer> {
    static final List<String> ALL = List.of("reference", "idle-random", "idle-zero", "dirty-uniform", "dirty-hotset",
            "tracking-overhead", "kv-blackout");

    @Option(names = "--scenario", description = "Run only these (repeatable): ${COMPLETION-CANDIDATES}",
            completionCandidates = Names.class)
    List<String> scenarios = new ArrayList<>();

    @Option(names = "--repeat", defaultValue = "3", description = "Repeats per scenario (default ${DEFAULT-VALUE}).")
    int repeat;

    @Option(names = "--warmup", defaultValue = "1",
            description = "Uncounted passes over the migration scenarios before the repeats, so the agents' JIT has "
                    + "compiled with real profiles, as JMH's warm-up iterations do (default ${DEFAULT-VALUE}; 0 counts cold runs).")
    int warmup;

    @Option(names = "--json", description = "Write the results as JSON to this file.")
    Path json;

    @Option(names = "--channels", defaultValue = "0",
            description = "Channels per migration and reference connections (default: the agents' own, one per two cores, 1-4).")
    int channels;

    @Option(names = "--idle-size", defaultValue = "4g", description = "Guest size of the idle scenarios and the reference.")
    String idleSize;

    @Option(names = "--dirty-size", defaultValue = "1g", description = "Guest size of the dirty scenarios.")
    String dirtySize;

    @Option(names = "--kv-rate", defaultValue = "0",
            description = "kv-blackout: requests per second of each of its 8 clients; 0 = back to back (default).")
    double kvRate;

    @Option(names = "--kv-timeline", description = "kv-blackout: append every migration's start, pause and end and every "
            + "client wait of 1 ms or more, wall-clock ms, as JSON lines to this file (to read blackouts against agent logs).")
    Path kvTimeline;

    @Option(names = "--agent-jar", required = true, description = "The shaded agent jar.")
    Path agentJar;

    @Option(names = "--controller-jar", required = true, description = "The shaded controller jar.")
    Path controllerJar;

    @Option(names = "--bench-jar", required = true, description = "This benchmark's shaded jar (for the reference receiver).")
    Path benchJar;

    @Option(names = "--work-dir", required = true, description = "Where daemon logs, port files and the agents' shared storage go.")
    Path dir;

    static final class Names extends ArrayList<String> {
        Names() {
            super(ALL);
        }
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new BenchMain()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        List<String> selected = scenarios.isEmpty() ? ALL : scenarios;
        for (String name : selected) {
            if (!ALL.contains(name)) {
                throw new CommandLine.ParameterException(new CommandLine(this), "unknown scenario '" + name + "'; known: " + ALL);
            }
        }
        Files.createDirectories(dir);
        long idleBytes = ByteSizes.parse(idleSize);
        long dirtyBytes = ByteSizes.parse(dirtySize);
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        if (channels == 0) {
            channels = MigrationSettings.DEFAULT_CHANNELS;  // the agents run on this machine: the same cores
        }
        MigrationOptions options = MigrationOptions.newBuilder().setChannels(channels).build();
        try (BenchHosts hosts = BenchHosts.start(java, agentJar, controllerJar, dir);
             RawSender reference = selected.contains("reference")
                     ? new RawSender(java, benchJar, dir, idleBytes, channels, repeat) : null) {
            List<Scenario> plan = plan(selected, hosts, reference, options, idleBytes, dirtyBytes);
            Map<String, Samples> results = run(plan);
            Report report = new Report(results, idleBytes, dirtyBytes, channels, repeat, warmup);
            System.out.println(report.table());
            if (json != null) {
                Files.writeString(json, report.json());
                System.out.println("bench: wrote " + json);
            }
        }
        return 0;
    }

    private List<Scenario> plan(List<String> names, BenchHosts hosts, RawSender reference, MigrationOptions options,
                                       long idleBytes, long dirtyBytes) {
        List<Scenario> plan = new ArrayList<>();
        for (String name : ALL) {
            if (names.contains(name)) {
                plan.add(switch (name) {
                    case "reference" -> new ReferenceScenario(reference, idleBytes);
                    case "idle-random" -> new MigrationScenario(name, (n, i) -> GuestSpecs.idle(n + "-" + i, idleBytes, true),
                            java.time.Duration.ZERO, hosts, options);
                    case "idle-zero" -> new MigrationScenario(name, (n, i) -> GuestSpecs.idle(n + "-" + i, idleBytes, false),
                            java.time.Duration.ZERO, hosts, options);
                    case "dirty-uniform" -> new MigrationScenario(name,
                            (n, i) -> GuestSpecs.dirtier(n + "-" + i, dirtyBytes, 256L << 20, dirtyBytes),
                            java.time.Duration.ofSeconds(3), hosts, options);
                    case "dirty-hotset" -> new MigrationScenario(name,
                            (n, i) -> GuestSpecs.dirtier(n + "-" + i, dirtyBytes, 0, 64L << 20),
                            java.time.Duration.ofSeconds(3), hosts, options);
                    case "tracking-overhead" -> new TrackingOverheadScenario();
                    case "kv-blackout" -> new KvBlackoutScenario(hosts, options, kvRate, kvTimeline);
                    default -> throw new IllegalArgumentException(name);
                });
            }
        }
        return plan;
    }

    /**
     * Warm-up passes first (migration scenarios only: the reference and the tracking
     * measurement run no agent code), printed but not counted. Then the repeats, interleaved
     * (A B C, A B C, ...) so slow drifts of the machine hit every scenario alike.
     */
    private Map<String, Samples> run(List<Scenario> plan) throws Exception {
        for (int i = 1; i <= warmup; i++) {
            for (Scenario scenario : plan) {
                if (scenario instanceof ReferenceScenario || scenario instanceof TrackingOverheadScenario) {
                    continue;
                }
                System.out.printf("bench: %s, warm-up %d of %d (not counted)%n", scenario.name(), i, warmup);
                Measurement measured = scenario.runOnce();
                System.out.println("bench:   " + measured.metrics() + (measured.counts().isEmpty() ? "" : " " + measured.counts()));
                measured.problems().forEach(problem -> System.out.println("bench:   problem: " + problem));
            }
        }
        Map<String, Samples> results = new LinkedHashMap<>();
        for (int i = 1; i <= repeat; i++) {
            Map<String, Double> reference = null;
            for (Scenario scenario : plan) {
                System.out.printf("bench: %s, repeat %d of %d%n", scenario.name(), i, repeat);
                Measurement measured = scenario.runOnce();
                Map<String, Double> metrics = new LinkedHashMap<>(measured.metrics());
                if (scenario instanceof ReferenceScenario) {
                    reference = metrics;
                } else if (reference != null && metrics.containsKey("wire_gbps")) {
                    // bytes that really moved, against raw TCP moving bytes in the same repeat
                    metrics.put("ratio_to_reference", metrics.get("wire_gbps") / reference.get("throughput_gbps"));
                    // and against plain Java doing the same verification (a page hash on both ends)
                    metrics.put("ratio_to_verified_reference", metrics.get("wire_gbps") / reference.get("verified_throughput_gbps"));
                }
                System.out.println("bench:   " + metrics + (measured.counts().isEmpty() ? "" : " " + measured.counts()));
                measured.problems().forEach(problem -> System.out.println("bench:   problem: " + problem));
                results.computeIfAbsent(scenario.name(), k -> new Samples()).add(measured.withMetrics(metrics));
            }
        }
        return results;
    }
}
