package dev.ferry.controller.cli;

import dev.ferry.proto.v1.MigrationProgress;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.OptionalLong;

/** The report printed when a migration ends. */
final class MigrationSummary {

    private static final long PAGE = 4096;

    private MigrationSummary() {
    }

    /** The summary lines; {@code targetMicros} is the downtime target if the caller knows it. */
    static List<String> lines(MigrationProgress end, OptionalLong targetMicros) {
        List<String> lines = new ArrayList<>();
        lines.add("Migration " + end.getMigrationId() + " " + Outcomes.statusWord(end.getStatus()) + ": "
                + end.getGuest() + " " + end.getSourceHost() + " -> " + end.getDestinationHost());
        lines.add(field("total time", seconds(end.getTotalMicros()) + "  (setup " + Units.formatMillis(end.getSetupMicros()) + ")"));
        lines.add(field("downtime", downtime(end, targetMicros)));
        lines.add(field("rounds", String.valueOf(rounds(end))));
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

    private static String downtime(MigrationProgress end, OptionalLong targetMicros) {
        String actual = String.format(Locale.ROOT, "%.1f ms", end.getDowntimeMicros() / 1000.0);
        return targetMicros.isPresent() ? actual + "  (target " + Units.formatMillis(targetMicros.getAsLong()) + ")" : actual;
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
