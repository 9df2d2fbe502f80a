package dev.ferry.bench;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ferry.bench.scenario.Measurement;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ReportTest {
    @Test
    void countsAreSummedAndSamplesPooledOverRepeatsNextToThePerRepeatStatistics() {
        Samples samples = new Samples();
        samples.add(new Measurement(Map.of("ops_per_second", 100.0), Map.of("resets", 1L), Map.of("blackout_ms",
                List.of(4.0, 8.0)), List.of()));
        samples.add(new Measurement(Map.of("ops_per_second", 300.0), Map.of("resets", 2L), Map.of("blackout_ms",
                List.of(2.0, 30.0)), List.of()));
        Report report = new Report(Map.of("kv-blackout", samples), 1, 1, 2, 2, 1);

        String json = report.json();
        assertTrue(json.contains("\"repeat\": 2, \"warmup\": 1}"), json);
        assertTrue(json.contains("\"kv-blackout\": {\"resets\": 3, \"blackout_ms\": {\"p50\": 4.0000, \"p99\": 30.0000,"
                + " \"max\": 30.0000, \"samples\": 4}, \"ops_per_second\": {\"median\": 200.0000,"), json);
        String table = report.table();
        assertTrue(table.matches("(?s).*kv-blackout\\s+resets\\s+3\\n.*"), table);
        assertTrue(table.matches("(?s).*kv-blackout\\s+blackout_ms\\s+4\\.000\\s+30\\.000\\s+30\\.000\\s+4\\n.*"), table);
    }

    @Test
    void scenariosWithoutCountsOrSamplesKeepTheirTable() {
        Samples samples = new Samples();
        samples.add(Measurement.of(Map.of("total_ms", 35.0)));
        String table = new Report(Map.of("idle-zero", samples), 1, 1, 2, 1, 0).table();
        assertFalse(table.contains("TOTAL"), table);
        assertFalse(table.contains("P99"), table);
    }
}
