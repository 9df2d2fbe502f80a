package dev.ferry.controller.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ferry.controller.FakeAgent;
import dev.ferry.proto.v1.MigrationProgress;
import dev.ferry.proto.v1.MigrationStatus;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class ProgressDisplayTest {

    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);

    @Test
    void withoutATerminalOneLinePerRoundOrStatusChange() {
        ProgressDisplay display = new ProgressDisplay.Lines(out);
        updates().forEach(display::show);
        display.end();

        List<String> lines = text().lines().toList();
        assertEquals(4, lines.size(), text());
        assertTrue(lines.get(0).startsWith("precopy       round 0   sent 0.00 GiB  remaining 1024.0 MiB  dirty 50.0 MiB/s  bw 2.00 GiB/s"),
                lines.get(0));
        assertTrue(lines.get(3).startsWith("completed"), lines.get(3));
        assertTrue(lines.get(3).endsWith("100%"), lines.get(3));
    }

    @Test
    void onATerminalOneLineIsRedrawnInPlace() {
        ProgressDisplay display = new ProgressDisplay.Redrawn(out);
        updates().forEach(display::show);
        display.end();

        assertEquals(updates().size(), text().chars().filter(c -> c == '\r').count());
        assertEquals(1, text().chars().filter(c -> c == '\n').count());
        assertTrue(text().endsWith("100%\n"), text());
    }

    @Test
    void percentFollowsRemainingBytes() {
        MigrationProgress half = FakeAgent.precopy(1, 0, 512L << 20).toBuilder().setMemoryBytes(1L << 30).build();
        assertEquals(50, ProgressDisplay.percent(half));
        assertEquals(0, ProgressDisplay.percent(MigrationProgress.newBuilder().setStatus(MigrationStatus.SETUP)
                .setMemoryBytes(1L << 30).build()), "nothing copied yet during setup");
    }

    private static List<MigrationProgress> updates() {
        MigrationProgress r0 = FakeAgent.precopy(0, 10, 1L << 30);
        MigrationProgress r1 = FakeAgent.precopy(1, 20, 1L << 20);
        return List.of(r0, r0.toBuilder().setPagesSent(11).build(), r1, r1,
                MigrationProgress.newBuilder().setStatus(MigrationStatus.STOP_AND_COPY).setRound(1).build(),
                MigrationProgress.newBuilder().setStatus(MigrationStatus.COMPLETED).setRound(1).build());
    }

    private String text() {
        return bytes.toString(StandardCharsets.UTF_8);
    }
}
