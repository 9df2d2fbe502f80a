package dev.ferry.bench.scenario;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.ferry.controller.kv.KvLoad.Wait;
import dev.ferry.controller.kv.KvLoadResult;
import dev.ferry.proto.v1.MigrationProgress;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class KvBlackoutsTest {
    /** Migrations over [1000, 1050] and [1200, 1240] ms. */
    private static final List<MigrationProgress> MOVES = List.of(move(1000, 50, 5), move(1200, 40, 9));

    @Test
    void eachMigrationsBlackoutIsTheLongestPauseOverlappingIt() {
        Measurement m = KvBlackouts.measurement(result(List.of(
                new Wait(0, 990, 995, 5_000),      // before the first: neither blackout nor quiet
                new Wait(1, 1040, 1070, 30_000),   // reaches into the first
                new Wait(2, 1045, 1050, 5_000),
                new Wait(3, 1100, 1112, 12_000),   // between the two
                new Wait(4, 1230, 1245, 15_000))), MOVES);

        assertEquals(List.of(30.0, 15.0), m.samples().get("blackout_ms"));
        assertEquals(List.of(5.0, 9.0), m.samples().get("downtime_ms"));
        assertEquals(15.0, m.metrics().get("blackout_p50_ms"), "nearest rank");
        assertEquals(30.0, m.metrics().get("blackout_p99_ms"));
        assertEquals(30.0, m.metrics().get("blackout_max_ms"));
        assertEquals(12.0, m.metrics().get("quiet_wait_max_ms"));
    }

    @Test
    void theLongestWaitOverBeforeThePauseIsKeptApart() {
        // the pauses: [1045, 1050] and [1231, 1240]
        Measurement m = KvBlackouts.measurement(result(List.of(
                new Wait(0, 995, 1002, 7_000),     // began before the migration, ended in its pre-copy
                new Wait(1, 1010, 1020, 10_000),   // pre-copy
                new Wait(2, 1040, 1070, 30_000),   // runs into the pause: not before it
                new Wait(3, 1205, 1213, 8_000),
                new Wait(4, 1225, 1235, 10_000))), MOVES);

        assertEquals(List.of(10.0, 8.0), m.samples().get("wait_before_pause_ms"));
        assertEquals(List.of(30.0, 10.0), m.samples().get("blackout_ms"), "the blackout counts them all");
    }

    @Test
    void aMigrationNoClientPausedInHasNoBlackoutAndEveryProblemIsCounted() {
        Measurement m = KvBlackouts.measurement(result(List.of()), MOVES);

        assertEquals(List.of(0.0, 0.0), m.samples().get("blackout_ms"));
        assertEquals(Map.of("resets", 1L, "lost", 2L, "duplicated", 3L, "wrong", 4L), m.counts());
        assertEquals(List.of("client 0: reset: test"), m.problems());
    }

    @Test
    void quietWindowsAreAsLongAsTheMedianMigrationAndLieBetweenMigrations() {
        // median of 50 and 40 ms (nearest rank): 40 ms windows in (1050, 1200): [1051, 1091], [1092, 1132], [1133, 1173]
        Measurement m = KvBlackouts.measurement(result(List.of(
                new Wait(0, 1040, 1070, 30_000),   // the first migration's: not the load alone's
                new Wait(1, 1060, 1065, 5_000),    // the first window's
                new Wait(2, 1090, 1101, 11_000),   // spans the first two windows: both
                new Wait(3, 1180, 1190, 10_000),   // after the last whole window: none
                new Wait(4, 1190, 1205, 15_000))), MOVES);  // runs into the second migration: its

        assertEquals(List.of(11.0, 11.0, 0.0), m.samples().get("quiet_window_ms"));
    }

    @Test
    void theTimelineHasEveryMigrationAndEveryWait() {
        List<String> lines = KvBlackouts.timeline("kv-2", result(List.of(new Wait(3, 1040, 1070, 30_000))), MOVES);

        assertEquals(List.of(
                "{\"repeat\": \"kv-2\", \"migration\": \"\", \"start\": 1000, \"paused\": 1045, \"end\": 1050, \"setup_us\": 0, \"downtime_us\": 5000}",
                "{\"repeat\": \"kv-2\", \"migration\": \"\", \"start\": 1200, \"paused\": 1231, \"end\": 1240, \"setup_us\": 0, \"downtime_us\": 9000}",
                "{\"repeat\": \"kv-2\", \"wait_us\": 30000, \"client\": 3, \"from\": 1040, \"to\": 1070}"), lines);
    }

    private static KvLoadResult result(List<Wait> gaps) {
        return new KvLoadResult(2000, 2_000_000_000L, 1, 2, 3, 4, 0, 0, 512, gaps, List.of("client 0: reset: test"),
                Map.of(), Set.of());
    }

    private static MigrationProgress move(long startedMillis, long totalMillis, long downtimeMillis) {
        return MigrationProgress.newBuilder().setStartedUnixMillis(startedMillis).setTotalMicros(totalMillis * 1000)
                .setDowntimeMicros(downtimeMillis * 1000).build();
    }
}
