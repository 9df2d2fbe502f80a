package dev.ferry.bench.scenario;

import dev.ferry.controller.kv.KvLoad;
import dev.ferry.controller.kv.KvLoadReports;
import dev.ferry.controller.kv.KvLoadResult;
import dev.ferry.proto.v1.MigrationProgress;
import dev.ferry.proto.v1.Percentiles;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The figures of one {@code kv-blackout} repeat, from what the clients saw and the
 * migrations' own final statistics. Every time is wall-clock milliseconds: the clients
 * and the agents share the machine's clock.
 */
final class KvBlackouts {
    private KvBlackouts() {}

    static Measurement measurement(KvLoadResult result, List<MigrationProgress> moves) {
        List<Double> blackouts = moves.stream().map(m -> blackoutMillis(result, m)).toList();
        List<Double> downtimes = moves.stream().map(m -> m.getDowntimeMicros() / 1e3).toList();
        List<Double> beforePause = moves.stream().map(m -> waitBeforePauseMillis(result, m)).toList();
        Percentiles blackout = percentiles(blackouts);
        Map<String, Double> metrics = new LinkedHashMap<>();
        metrics.put("ops_per_second", result.opsPerSecond());
        metrics.put("blackout_p50_ms", blackout.getP50());
        metrics.put("blackout_p99_ms", blackout.getP99());
        metrics.put("blackout_max_ms", blackout.getMax());
        metrics.put("downtime_median_ms", percentiles(downtimes).getP50());
        metrics.put("quiet_wait_max_ms", quietWaitMillis(result, moves));
        Map<String, Long> counts = new LinkedHashMap<>();
        counts.put("resets", result.resets());
        counts.put("lost", result.lost());
        counts.put("duplicated", result.duplicated());
        counts.put("wrong", result.wrong());
        Map<String, List<Double>> samples = new LinkedHashMap<>();
        samples.put("blackout_ms", blackouts);
        samples.put("downtime_ms", downtimes);
        samples.put("wait_before_pause_ms", beforePause);
        samples.put("quiet_window_ms", KvLoadReports.quietWindows(result, moves));  // moves are in start order
        return new Measurement(metrics, counts, samples, result.problems());
    }

    private static double blackoutMillis(KvLoadResult result, MigrationProgress migration) {
        return result.blackoutMillis(migration.getStartedUnixMillis(), KvLoadReports.endMillis(migration));
    }

    /**
     * The longest wait during the migration that was over before the guest paused: what
     * pre-copy's competition for the CPU costs the clients, as against the pause itself.
     * Millisecond clock: a wait ending in the pause's first millisecond may count as either.
     */
    private static double waitBeforePauseMillis(KvLoadResult result, MigrationProgress migration) {
        long pausedMillis = KvLoadReports.endMillis(migration) - migration.getDowntimeMicros() / 1000;
        return result.waits().stream()
                .filter(g -> g.toMillis() >= migration.getStartedUnixMillis() && g.toMillis() < pausedMillis)
                .mapToDouble(KvLoad.Wait::millis).max().orElse(0);
    }

    /**
     * One repeat as JSON lines, for reading the blackouts against what happened when: each
     * migration's start, pause and end, then every wait of a millisecond or more (its length
     * in microseconds); times are wall-clock milliseconds (the agents' logs use the same clock).
     */
    static List<String> timeline(String repeat, KvLoadResult result, List<MigrationProgress> moves) {
        List<String> lines = new java.util.ArrayList<>();
        for (MigrationProgress m : moves) {
            lines.add(String.format(java.util.Locale.ROOT,
                    "{\"repeat\": \"%s\", \"migration\": \"%s\", \"start\": %d, \"paused\": %d, \"end\": %d, \"setup_us\": %d, \"downtime_us\": %d}",
                    json(repeat), json(m.getMigrationId()), m.getStartedUnixMillis(), KvLoadReports.endMillis(m) - m.getDowntimeMicros() / 1000,
                    KvLoadReports.endMillis(m), m.getSetupMicros(), m.getDowntimeMicros()));
        }
        for (KvLoad.Wait w : result.waits()) {
            lines.add(String.format(java.util.Locale.ROOT,
                    "{\"repeat\": \"%s\", \"wait_us\": %d, \"client\": %d, \"from\": %d, \"to\": %d}",
                    json(repeat), w.micros(), w.client(), w.fromMillis(), w.toMillis()));
        }
        return lines;
    }

    /** {@code text} as the inside of a JSON string. */
    private static String json(String text) {
        StringBuilder out = new StringBuilder(text.length());
        for (char c : text.toCharArray()) {
            if (c == '"' || c == '\\') {
                out.append('\\').append(c);
            } else if (c < 0x20) {
                out.append(String.format(java.util.Locale.ROOT, "\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    /**
     * The longest wait for a reply that overlaps no migration, once they have started
     * (the warm-up is left out: it has the clients' first, cold calls). The load's own
     * hiccups on this machine, to read the blackouts against.
     */
    private static double quietWaitMillis(KvLoadResult result, List<MigrationProgress> moves) {
        long first = moves.getFirst().getStartedUnixMillis();
        return result.waits().stream()
                .filter(g -> g.fromMillis() >= first && moves.stream().noneMatch(m -> overlaps(g, m)))
                .mapToDouble(KvLoad.Wait::millis).max().orElse(0);
    }

    /** As {@link KvLoadResult#blackoutMillis} matches them. */
    private static boolean overlaps(KvLoad.Wait wait, MigrationProgress migration) {
        return wait.toMillis() >= migration.getStartedUnixMillis() && wait.fromMillis() <= KvLoadReports.endMillis(migration);
    }

    /** Nearest rank, as the kv load reports them: with 10 migrations, p99 is the longest. */
    private static Percentiles percentiles(List<Double> samples) {
        return KvLoadReports.percentiles(samples.stream().mapToDouble(Double::doubleValue).toArray());
    }
}
