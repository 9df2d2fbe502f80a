package dev.ferry.controller.kv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.ferry.proto.v1.KvLoadReport;
import dev.ferry.proto.v1.MigrationProgress;
import dev.ferry.proto.v1.MigrationStatus;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class KvLoadReportsTest {
    @Test
    void blackoutsAreReadAgainstTheLoadAloneBetweenMigrations() {
        // listed newest first, as the controller lists them; another guest's migration is left out
        List<MigrationProgress> migrations = List.of(move("m2", "kv", 1200, 40), move("x", "other", 1100, 10),
                move("m1", "kv", 1000, 50));
        KvLoadResult result = result(List.of(new KvLoad.Wait(0, 1040, 1070, 30_000), new KvLoad.Wait(1, 1095, 1101, 6_000),
                new KvLoad.Wait(2, 1230, 1245, 15_000), new KvLoad.Wait(3, 1060, 1064, 4_000)));

        KvLoadReport report = KvLoadReports.of("kv", 3, result, 900, 1300, migrations);

        assertEquals(List.of("m2", "m1"), report.getMigrationsList().stream().map(m -> m.getMigrationId()).toList());
        assertEquals(30.0, report.getBlackoutMs().getMax());
        // 40 ms windows (the median, nearest rank) from 1051: [1051, 1091] 4 ms (the 30 ms wait is m1's),
        // [1092, 1132] 6 ms, [1133, 1173] none
        assertEquals(List.of(4.0, 6.0, 0.0), KvLoadReports.quietWindows(result,
                List.of(migrations.get(2), migrations.get(0))));
        assertEquals(4.0, report.getQuietWindowMs().getP50());
        assertEquals(6.0, report.getQuietWindowMs().getMax());
    }

    @Test
    void aMigrationStillRunningCountsAsOneButNotForTheWindowLength() {
        // m2 has no total yet: the windows are m1's length, 50 ms: [1051, 1101] and [1102, 1152] before m2 starts
        List<MigrationProgress> moves = List.of(move("m1", "kv", 1000, 50), move("m2", "kv", 1200, 0));

        assertEquals(List.of(7.0, 0.0), KvLoadReports.quietWindows(result(List.of(new KvLoad.Wait(0, 1090, 1097, 7_000))),
                moves));
    }

    @Test
    void oneMigrationHasNoWindowsBetweenMigrations() {
        KvLoadReport report = KvLoadReports.of("kv", 1, result(List.of()), 900, 1300, List.of(move("m1", "kv", 1000, 50)));

        assertEquals(1, report.getMigrationsCount());
        assertFalse(report.hasQuietWindowMs());
    }

    private static KvLoadResult result(List<KvLoad.Wait> waits) {
        return new KvLoadResult(1000, 400_000_000L, 0, 0, 0, 0, 0, 0, 64, waits, List.of(), Map.of(), Set.of());
    }

    private static MigrationProgress move(String id, String guest, long startedMillis, long totalMillis) {
        return MigrationProgress.newBuilder().setMigrationId(id).setGuest(guest).setStatus(MigrationStatus.COMPLETED)
                .setStartedUnixMillis(startedMillis).setTotalMicros(totalMillis * 1000).build();
    }
}
