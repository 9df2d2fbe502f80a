package dev.ferry.controller.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ferry.proto.v1.MigrationOptions;
import dev.ferry.proto.v1.MigrationProgress;
import dev.ferry.proto.v1.MigrationStatus;
import dev.ferry.proto.v1.RoundStats;
import java.util.List;
import org.junit.jupiter.api.Test;

class MigrationSummaryTest {

    private static final MigrationProgress COMPLETED = MigrationProgress.newBuilder().setMigrationId("m-1a2b3c4d")
            .setGuest("demo").setSourceHost("host-a").setDestinationHost("host-b").setStatus(MigrationStatus.COMPLETED)
            .setTotalMicros(2_410_000).setSetupMicros(12_000).setDowntimeMicros(3_200).setPagesSent(260_941)
            .setZeroPages(1203).setBytesOnWire(1_084_479_242L).setMemoryVerified(true)
            .addRounds(RoundStats.newBuilder().setRound(0)).addRounds(RoundStats.newBuilder().setRound(1))
            .addRounds(RoundStats.newBuilder().setRound(2)).addRounds(RoundStats.newBuilder().setRound(3))
            .setOptions(MigrationOptions.newBuilder().setMaxDowntimeMicros(50_000)).build();

    @Test
    void completedMigrationHasTheDocumentedShape() {
        assertEquals(List.of(
                "Migration m-1a2b3c4d completed: demo host-a -> host-b",
                "  total time     2.41 s  (setup 12 ms)",
                "  downtime       3.2 ms  (target 50 ms)",
                "  rounds         4",
                "  sent           1.00 GiB in 262144 pages (1203 zero), 1.01 GiB on the wire",
                "  throughput     0.42 GiB/s",
                "  memory         verified"), MigrationSummary.lines(COMPLETED));
    }

    @Test
    void downtimeTargetComesFromTheOptionsWithZeroMeaningTheDefault() {
        MigrationProgress tight = COMPLETED.toBuilder().setOptions(MigrationOptions.newBuilder().setMaxDowntimeMicros(500)).build();
        MigrationProgress defaulted = COMPLETED.toBuilder().setOptions(MigrationOptions.getDefaultInstance()).build();

        assertEquals("  downtime       3.2 ms  (target 0.5 ms)", MigrationSummary.lines(tight).get(2));
        assertEquals("  downtime       3.2 ms  (target 50 ms)", MigrationSummary.lines(defaulted).get(2));
        assertEquals("  downtime       3.2 ms", MigrationSummary.lines(COMPLETED.toBuilder().clearOptions().build()).get(2));
    }

    @Test
    void failedMigrationSaysWhyAndWhereTheGuestIs() {
        MigrationProgress failed = COMPLETED.toBuilder().setStatus(MigrationStatus.FAILED).setMemoryVerified(false)
                .setError("destination closed the data channel").clearOptions().build();
        List<String> lines = MigrationSummary.lines(failed);

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

        assertEquals("Migration m-1a2b3c4d fenced: demo host-a -> host-b", MigrationSummary.lines(fenced).getFirst());
        assertEquals(true, MigrationSummary.lines(fenced).getLast().contains("paused on host-a and needs an operator"));
        assertEquals(ExitCodes.FENCED, ExitCodes.of(fenced));
    }

    @Test
    void unknownOutcomeIsNotReportedAsARollback() {
        MigrationProgress lost = COMPLETED.toBuilder().setStatus(MigrationStatus.UNKNOWN).setMemoryVerified(false)
                .setError("lost contact with source agent host-a (UNAVAILABLE); migration status unknown").build();
        List<String> lines = MigrationSummary.lines(lost);

        assertEquals("Migration m-1a2b3c4d unknown: demo host-a -> host-b", lines.getFirst());
        assertEquals("  error          lost contact with source agent host-a (UNAVAILABLE); migration status unknown",
                lines.get(7));
        assertEquals("The outcome is not known: the controller lost contact with the source agent. Check `ferry guests` "
                + "and the agents on host-a and host-b before acting on demo.", lines.getLast());
        assertEquals(ExitCodes.UNKNOWN, ExitCodes.of(lost));
    }

    @Test
    void failedMeansRolledBackWhateverItsErrorSays() {
        MigrationProgress failed = COMPLETED.toBuilder().setStatus(MigrationStatus.FAILED).setMemoryVerified(false)
                .setError("lost contact with source agent host-a").build();

        assertEquals("The guest keeps running on the source, host-a.", MigrationSummary.lines(failed).getLast());
        assertEquals(ExitCodes.MIGRATION_FAILED, ExitCodes.of(failed));
    }

    @Test
    void aStalledMigrationSaysSo() {
        MigrationProgress stalled = MigrationProgress.newBuilder().setMigrationId("m-1").setStatus(MigrationStatus.COMPLETED)
                .setStalled(true).setRound(7).build();
        assertTrue(MigrationSummary.lines(stalled).get(3).startsWith("  rounds         7  (stalled:"),
                MigrationSummary.lines(stalled).get(3));
    }
}
