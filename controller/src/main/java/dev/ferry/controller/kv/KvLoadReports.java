package dev.ferry.controller.kv;

import dev.ferry.proto.v1.KvLoadReport;
import dev.ferry.proto.v1.MigrationBlackout;
import dev.ferry.proto.v1.MigrationProgress;
import dev.ferry.proto.v1.Percentiles;
import java.util.Arrays;
import java.util.List;

/** A load run matched with the migrations that happened during it: what the clients saw of each. */
public final class KvLoadReports {
    private KvLoadReports() {}

    /**
     * {@code migrations} may include others; only this guest's that started before the load
     * ended and ended after it started are kept.
     */
    public static KvLoadReport of(String guest, int clients, KvLoadResult result, long loadStartMillis,
                                  long loadEndMillis, List<MigrationProgress> migrations) {
        KvLoadReport.Builder report = KvLoadReport.newBuilder().setGuest(guest).setClients(clients)
                .setSeconds(result.elapsedNanos() / 1e9).setOps(result.ops()).setOpsPerSecond(result.opsPerSecond())
                .setResets(result.resets()).setLost(result.lost()).setDuplicated(result.duplicated())
                .setWrong(result.wrong()).setNotices(result.notices()).setRetransmits(result.retransmits())
                .setVerifiedKeys(result.verifiedKeys()).setLongestWaitMs(result.longestWaitMillis())
                .addAllProblems(result.problems());
        for (MigrationProgress m : migrations) {
            long from = m.getStartedUnixMillis();
            long to = from + m.getTotalMicros() / 1000;
            if (!m.getGuest().equals(guest) || from > loadEndMillis || to < loadStartMillis || from == 0) {
                continue;
            }
            report.addMigrations(MigrationBlackout.newBuilder().setMigrationId(m.getMigrationId())
                    .setSourceHost(m.getSourceHost()).setDestinationHost(m.getDestinationHost()).setStatus(m.getStatus())
                    .setDowntimeMicros(m.getDowntimeMicros()).setBlackoutMs(result.blackoutMillis(from, to)));
        }
        report.setBlackoutMs(percentiles(report.getMigrationsList().stream().mapToDouble(MigrationBlackout::getBlackoutMs).toArray()));
        List<MigrationProgress> kept = migrations.stream()
                .filter(m -> report.getMigrationsList().stream().anyMatch(b -> b.getMigrationId().equals(m.getMigrationId())))
                .sorted(java.util.Comparator.comparingLong(MigrationProgress::getStartedUnixMillis)).toList();
        List<Double> quiet = quietWindows(result, kept);
        if (!quiet.isEmpty()) {
            report.setQuietWindowMs(percentiles(quiet.stream().mapToDouble(Double::doubleValue).toArray()));
        }
        return report.build();
    }

    /**
     * The blackout's measure without a migration: windows as long as the median migration
     * (start to the destination running), laid end to end between one migration's end and
     * the next one's start (in start order), each the longest wait overlapping it, 0 if none.
     * What the load alone shows over as much time as a migration takes, to read the
     * blackouts against percentile for percentile.
     */
    public static List<Double> quietWindows(KvLoadResult result, List<MigrationProgress> moves) {
        if (moves.size() < 2) {
            return List.of();
        }
        long length = Math.max(1, Math.round(percentiles(moves.stream()
                .mapToDouble(m -> (double) (endMillis(m) - m.getStartedUnixMillis())).toArray()).getP50()));
        List<Double> windows = new java.util.ArrayList<>();
        for (int i = 0; i + 1 < moves.size(); i++) {
            long next = moves.get(i + 1).getStartedUnixMillis();
            for (long from = endMillis(moves.get(i)) + 1; from + length < next; from += length + 1) {
                windows.add(result.blackoutMillis(from, from + length));
            }
        }
        return windows;
    }

    private static long endMillis(MigrationProgress migration) {
        return migration.getStartedUnixMillis() + migration.getTotalMicros() / 1000;
    }

    /** Nearest-rank percentiles; all zero for no samples. */
    public static Percentiles percentiles(double[] samples) {
        if (samples.length == 0) {
            return Percentiles.getDefaultInstance();
        }
        double[] sorted = samples.clone();
        Arrays.sort(sorted);
        return Percentiles.newBuilder().setP50(rank(sorted, 0.50)).setP99(rank(sorted, 0.99))
                .setMax(sorted[sorted.length - 1]).build();
    }

    private static double rank(double[] sorted, double p) {
        int index = (int) Math.ceil(p * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
    }
}
