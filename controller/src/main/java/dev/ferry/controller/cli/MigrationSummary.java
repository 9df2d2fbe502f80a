package dev.ferry.controller.cli;

import dev.ferry.proto.v1.MigrationProgress;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The report printed when a migration ends. */
final class MigrationSummary {

    private static final long PAGE = 4096;
    /** What {@code max_downtime_micros = 0} means (common.proto). */
    static final long DEFAULT_MAX_DOWNTIME_MICROS = 50_000;

    private MigrationSummary() {
    }

    /** The summary lines; the downtime target comes from the options the migration ran with. */
    static List<String> lines(MigrationProgress end) {
        List<String> lines = new ArrayList<>();
        lines.add("Migration " + end.getMigrationId() + " " + Outcomes.statusWord(end.getStatus()) + ": "
                + end.getGuest() + " " + end.getSourceHost() + " -> " + end.getDestinationHost());
        lines.add(field("total time", seconds(end.getTotalMicros()) + "  (setup " + Units.formatMillis(end.getSetupMicros()) + ")"));
        lines.add(field("downtime", downtime(end)));
        lines.add(field("rounds", rounds(end) + (end.getStalled()
                ? "  (stalled: the dirty set stopped shrinking; switched over above the target or failed, as asked)" : "")));
        lines.add(field("sent", sent(end)));
        lines.add(field("throughput", throughput(end)));
        lines.add(field("memory", end.getMemoryVerified() ? "verified" : "NOT verified"));
        addFailure(end, lines);
        return lines;
    }

    private static void addFailure(MigrationProgress end, List<String> lines) {
        if (!end.getError().isEmpty()) {
            lines.add(field("error", end.getError()));
        }
        String whereabouts = Outcomes.guestWhereabouts(end);
        if (whereabouts != null) {
            lines.add(whereabouts);
        }
    }

    private static String field(String label, String value) {
        return String.format(Locale.ROOT, "  %-15s%s", label, value);
    }

    private static String seconds(long micros) {
        return String.format(Locale.ROOT, "%.2f s", micros / 1e6);
    }

    // Progress from a controller or agent older than the options field has no target to show.
    private static String downtime(MigrationProgress end) {
        String actual = String.format(Locale.ROOT, "%.1f ms", end.getDowntimeMicros() / 1000.0);
        return end.hasOptions() ? actual + "  (target " + Units.formatMillis(target(end)) + ")" : actual;
    }

    private static long target(MigrationProgress end) {
        long requested = end.getOptions().getMaxDowntimeMicros();
        return requested > 0 ? requested : DEFAULT_MAX_DOWNTIME_MICROS;
    }

    // The per-round list is the truth when present; the round counter is 0-based.
    static int rounds(MigrationProgress p) {
        return p.getRoundsCount() > 0 ? p.getRoundsCount() : p.getRound();
    }

    private static String sent(MigrationProgress end) {
        long pages = end.getPagesSent() + end.getZeroPages();
        return gib(end.getPagesSent() * PAGE) + " in " + pages + " pages (" + end.getZeroPages()
                + " zero), " + gib(end.getBytesOnWire()) + " on the wire";
    }

    // Always GiB, so summaries of different migrations line up and compare at a glance.
    private static String gib(long bytes) {
        return String.format(Locale.ROOT, "%.2f GiB", bytes / (double) (1L << 30));
    }

    // Bytes on the wire over the time spent copying (setup excluded).
    private static String throughput(MigrationProgress end) {
        long copyMicros = end.getTotalMicros() - end.getSetupMicros();
        if (copyMicros <= 0) {
            return "-";
        }
        double perSecond = end.getBytesOnWire() / (copyMicros / 1e6);
        return String.format(Locale.ROOT, "%.2f GiB/s", perSecond / (1L << 30));
    }
}
