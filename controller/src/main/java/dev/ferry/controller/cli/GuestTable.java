package dev.ferry.controller.cli;

import dev.ferry.proto.v1.DirtierSpec;
import dev.ferry.proto.v1.GuestInfo;
import dev.ferry.proto.v1.ProgramSpec;
import java.io.PrintStream;
import java.util.List;
import java.util.Locale;

/** Guests as a table, shared by {@code guests} and {@code create}. */
final class GuestTable {

    private GuestTable() {
    }

    static void print(PrintStream out, List<GuestInfo> guests) {
        Table table = new Table("NAME", "HOST", "STATE", "MEMORY", "PROGRAM", "VCPUS", "MAC", "DISK");
        guests.forEach(g -> table.row(g.getSpec().getName(), g.getHost(), state(g), Units.formatSize(g.getSpec().getMemoryBytes(), 1),
                program(g.getSpec().getProgram()), Math.max(1, g.getSpec().getVcpus()),
                g.getSpec().getMac().isEmpty() ? "-" : g.getSpec().getMac(),
                g.getSpec().hasDisk() ? g.getSpec().getDisk().getImage() : "-"));
        table.print(out);
    }

    private static String state(GuestInfo guest) {
        return guest.getState().name().replaceFirst("^GUEST_", "").toLowerCase(Locale.ROOT).replace('_', '-');
    }

    static String program(ProgramSpec program) {
        return switch (program.getProgramCase()) {
            case DIRTIER -> dirtier(program.getDirtier());
            case IDLE -> program.getIdle().getFillRandom() ? "idle(random)" : "idle";
            case KV -> "kv";
            case PROGRAM_NOT_SET -> "-";
        };
    }

    private static String dirtier(DirtierSpec spec) {
        String rate = spec.getRateBytesPerSecond() == 0 ? "unlimited" : Units.formatRate(spec.getRateBytesPerSecond());
        return "dirtier(" + rate + ", " + spec.getPattern().name().toLowerCase(Locale.ROOT) + ")";
    }
}
