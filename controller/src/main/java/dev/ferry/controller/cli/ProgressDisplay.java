package dev.ferry.controller.cli;

import dev.ferry.proto.v1.MigrationProgress;
import dev.ferry.proto.v1.MigrationStatus;
import java.io.PrintStream;
import java.util.Locale;

/**
 * Live progress of a migration. On a terminal one line is redrawn in place; otherwise (logs,
 * pipes) a line is printed only when the round or the status changes, not on every update.
 */
abstract sealed class ProgressDisplay {

    static ProgressDisplay of(FerryCommand ferry) {
        if (ferry.json()) {
            return new None();
        }
        return ferry.context.tty() ? new Redrawn(ferry.out()) : new Lines(ferry.out());
    }

    abstract void show(MigrationProgress progress);

    /** Called once after the last update, before the summary. */
    abstract void end();

    static String line(MigrationProgress p) {
        return String.format(Locale.ROOT, "%-13s round %-3d sent %.2f GiB  remaining %.1f MiB  dirty %.1f MiB/s  bw %s  %3d%%",
                Outcomes.statusWord(p.getStatus()), p.getRound(), p.getPagesSent() * 4096.0 / (1L << 30),
                p.getRemainingBytes() / (1024.0 * 1024), p.getDirtyRateBytesPerSecond() / (1024.0 * 1024),
                Units.formatRate(p.getBandwidthBytesPerSecond()), percent(p));
    }

    static int percent(MigrationProgress p) {
        if (p.getStatus() == MigrationStatus.COMPLETED) {
            return 100;
        }
        if (p.getMemoryBytes() <= 0 || p.getStatus() == MigrationStatus.SETUP) {
            return 0;
        }
        double done = 100.0 * (p.getMemoryBytes() - p.getRemainingBytes()) / p.getMemoryBytes();
        return (int) Math.max(0, Math.min(99, done));
    }

    /** JSON output: nothing while it runs. */
    static final class None extends ProgressDisplay {
        @Override
        void show(MigrationProgress progress) {
        }

        @Override
        void end() {
        }
    }

    /** One line, redrawn with a carriage return. */
    static final class Redrawn extends ProgressDisplay {
        private final PrintStream out;
        private int width;

        Redrawn(PrintStream out) {
            this.out = out;
        }

        @Override
        void show(MigrationProgress progress) {
            String text = line(progress);
            out.print("\r" + text + " ".repeat(Math.max(0, width - text.length())));
            out.flush();
            width = text.length();
        }

        @Override
        void end() {
            if (width > 0) {
                out.println();
            }
        }
    }

    /** A line per round or status change. */
    static final class Lines extends ProgressDisplay {
        private final PrintStream out;
        private MigrationProgress shown;

        Lines(PrintStream out) {
            this.out = out;
        }

        @Override
        void show(MigrationProgress progress) {
            if (shown == null || shown.getRound() != progress.getRound() || shown.getStatus() != progress.getStatus()) {
                out.println(line(progress));
                shown = progress;
            }
        }

        @Override
        void end() {
        }
    }
}
