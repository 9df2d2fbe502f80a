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
        List<MigrationProgress> kept = new java.util.ArrayList<>();
        for (MigrationProgress m : migrations) {
            long from = m.getStartedUnixMillis();
            long to = endMillis(m);
            if (!m.getGuest().equals(guest) || from > loadEndMillis || to < loadStartMillis || from == 0) {
                continue;
            }
            report.addMigrations(MigrationBlackout.newBuilder().setMigrationId(m.getMigrationId())
                    .setSourceHost(m.getSourceHost()).setDestinationHost(m.getDestinationHost()).setStatus(m.getStatus())
                    .setDowntimeMicros(m.getDowntimeMicros()).setBlackoutMs(result.blackoutMillis(from, to)));
            kept.add(m);
        }
        report.setBlackoutMs(percentiles(report.getMigrationsList().stream().mapToDouble(MigrationBlackout::getBlackoutMs).toArray()));
        kept.sort(java.util.Comparator.comparingLong(MigrationProgress::getStartedUnixMillis));
        List<Double> quiet = quietWindows(result, kept);
        if (!quiet.isEmpty()) {
            report.setQuietWindowMs(percentiles(quiet.stream().mapToDouble(Double::doubleValue).toArray()));
        }
        return report.build();
    }

    /**
     * The blackout's measure without a migration: windows as long as the median migration
     * (start to the destination running), laid end to end between one migration's end and
     * the next one's start ({@code moves} in start order), each the longest wait overlapping
     * it (0 if none), counting only waits that overlap no migration: a wait that began in a
     * migration and ended after it is that migration's. What the load alone shows over as
     * much time as a migration takes, to read the blackouts against percentile for percentile.
     * One pass over the waits: each raises the windows it overlaps.
     */
    public static List<Double> quietWindows(KvLoadResult result, List<MigrationProgress> moves) {
        double[] lengths = moves.stream().filter(m -> m.getTotalMicros() > 0)
                .mapToDouble(m -> (double) (endMillis(m) - m.getStartedUnixMillis())).toArray();
        if (moves.size() < 2 || lengths.length == 0) {
            return List.of();
        }
        long length = Math.max(1, Math.round(percentiles(lengths).getP50()));
        long stride = length + 1;  // windows are [from, from + length], both ends included, as blackouts are
        int gaps = moves.size() - 1;
        long[] gapStart = new long[gaps];
        int[] firstWindow = new int[gaps + 1];
        for (int i = 0; i < gaps; i++) {
            gapStart[i] = endMillis(moves.get(i)) + 1;
            long room = moves.get(i + 1).getStartedUnixMillis() - gapStart[i];  // a window must end before the next start
            firstWindow[i + 1] = firstWindow[i] + (int) Math.max(0, Math.min(Integer.MAX_VALUE / 2, room / stride));
        }
        double[] windows = new double[firstWindow[gaps]];
        for (KvLoad.Wait wait : result.waits()) {
            int gap = gapHolding(moves, wait);
            if (gap < 0) {
                continue;  // overlaps a migration, or lies outside the gaps between them
            }
            int count = firstWindow[gap + 1] - firstWindow[gap];
            long lo = Math.max(0, Math.floorDiv(wait.fromMillis() - gapStart[gap] - length + stride - 1, stride));
            long hi = Math.min(count - 1L, Math.floorDiv(wait.toMillis() - gapStart[gap], stride));
            for (long k = lo; k <= hi; k++) {
                int w = firstWindow[gap] + (int) k;
                windows[w] = Math.max(windows[w], wait.millis());
            }
        }
        List<Double> samples = new java.util.ArrayList<>(windows.length);
        for (double w : windows) {
            samples.add(w);
        }
        return samples;
    }

    /** The gap between migrations i and i + 1 that holds {@code wait} whole, or -1 (binary search by start). */
    private static int gapHolding(List<MigrationProgress> moves, KvLoad.Wait wait) {
        int lo = 0;
        int hi = moves.size() - 1;
        while (lo < hi) {  // the last migration starting at or before the wait's end
            int mid = (lo + hi + 1) >>> 1;
            if (moves.get(mid).getStartedUnixMillis() <= wait.toMillis()) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        MigrationProgress before = moves.get(lo);
        if (before.getStartedUnixMillis() > wait.toMillis() || lo == moves.size() - 1 || wait.fromMillis() <= endMillis(before)) {
            return -1;
        }
        return lo;
    }

    /** When the destination ran the guest, wall-clock ms: the end of the span a blackout is measured over. */
    public static long endMillis(MigrationProgress migration) {
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
