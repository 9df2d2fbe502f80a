package dev.ferry.controller.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.ferry.proto.v1.MigrationProgress;
import dev.ferry.proto.v1.MigrationStatus;
import dev.ferry.proto.v1.RoundStats;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class MigrationSummaryTest {

    private static final MigrationProgress COMPLETED = MigrationProgress.newBuilder().setMigrationId("m-1a2b3c4d")
            .setGuest("demo").setSourceHost("host-a").setDestinationHost("host-b").setStatus(MigrationStatus.COMPLETED)
            .setTotalMicros(2_410_000).setSetupMicros(12_000).setDowntimeMicros(3_200).setPagesSent(260_941)
            .setZeroPages(1203).setBytesOnWire(1_084_479_242L).setMemoryVerified(true)
            .addRounds(RoundStats.newBuilder().setRound(0)).addRounds(RoundStats.newBuilder().setRound(1))
            .addRounds(RoundStats.newBuilder().setRound(2)).addRounds(RoundStats.newBuilder().setRound(3)).build();

    @Test
    void completedMigrationHasTheDocumentedShape() {
        assertEquals(List.of(
                "Migration m-1a2b3c4d completed: demo host-a -> host-b",
                "  total time     2.41 s  (setup 12 ms)",
                "  downtime       3.2 ms  (target 50 ms)",
                "  rounds         4",
                "  sent           1.00 GiB in 262144 pages (1203 zero), 1.01 GiB on the wire",
                "  throughput     0.42 GiB/s",
                "  memory         verified"), MigrationSummary.lines(COMPLETED, OptionalLong.of(50_000)));
    }

    @Test
    void failedMigrationSaysWhyAndWhereTheGuestIs() {
        MigrationProgress failed = COMPLETED.toBuilder().setStatus(MigrationStatus.FAILED).setMemoryVerified(false)
                .setError("destination closed the data channel").build();
        List<String> lines = MigrationSummary.lines(failed, OptionalLong.empty());

        assertEquals("Migration m-1a2b3c4d failed: demo host-a -> host-b", lines.getFirst());
        assertEquals("  downtime       3.2 ms", lines.get(2));
        assertEquals("  memory         NOT verified", lines.get(6));
        assertEquals("  error          destination closed the data channel", lines.get(7));
        assertEquals("The guest keeps running on the source, host-a.", lines.get(8));
        assertEquals(ExitCodes.MIGRATION_FAILED, ExitCodes.of(failed));
    }

    @Test
    void fencedMigrationAsksForAnOperator() {
        MigrationProgress fenced = COMPLETED.toBuilder().setStatus(MigrationStatus.FENCED).setMemoryVerified(false)
                .setError("no answer to COMMIT").build();

        assertEquals("Migration m-1a2b3c4d fenced: demo host-a -> host-b", MigrationSummary.lines(fenced, OptionalLong.empty()).getFirst());
        assertEquals(true, MigrationSummary.lines(fenced, OptionalLong.empty()).getLast().contains("paused on host-a and needs an operator"));
        assertEquals(ExitCodes.FENCED, ExitCodes.of(fenced));
    }

    @Test
    void lostContactIsNotReportedAsARollback() {
        MigrationProgress lost = COMPLETED.toBuilder().setStatus(MigrationStatus.FAILED).setMemoryVerified(false)
                .setError("lost contact with source agent host-a (UNAVAILABLE); migration status unknown").build();

        assertEquals(true, MigrationSummary.lines(lost, OptionalLong.empty()).getLast().startsWith("The outcome is unknown"));
        assertEquals(ExitCodes.UNKNOWN, ExitCodes.of(lost));
    }
}
