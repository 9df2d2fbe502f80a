package dev.ferry.controller.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class UnitsTest {

    @Test
    void sizesAreBinary() {
        assertEquals(4096, Units.parseSize("4096"));
        assertEquals(64 * 1024, Units.parseSize("64k"));
        assertEquals(512L << 20, Units.parseSize("512M"));
        assertEquals(1L << 30, Units.parseSize("1g"));
        assertEquals(1L << 30, Units.parseSize("1GiB"));
        assertEquals(3L << 29, Units.parseSize("1.5g"));
        assertEquals(2L << 40, Units.parseSize("2t"));
    }

    @Test
    void ratesAreSizesPerSecondAndUnlimitedIsZero() {
        assertEquals(100L << 20, Units.parseRate("100m"));
        assertEquals(100L << 20, Units.parseRate("100m/s"));
        assertEquals(0, Units.parseRate("unlimited"));
        assertEquals(0, Units.parseRate("0"));
    }

    @Test
    void durationsTakeMicrosMillisAndSeconds() {
        assertEquals(Duration.ofMillis(50), Units.parseDuration("50ms"));
        assertEquals(Duration.ofNanos(500_000), Units.parseDuration("500us"));
        assertEquals(Duration.ofSeconds(2), Units.parseDuration("2s"));
        assertEquals(Duration.ofMillis(1500), Units.parseDuration("1.5s"));
    }

    @Test
    void malformedInputIsRefusedWithAHint() {
        assertEquals("not a size: '1q' (try 4096, 512m, 1g)",
                assertThrows(IllegalArgumentException.class, () -> Units.parseSize("1q")).getMessage());
        assertThrows(IllegalArgumentException.class, () -> Units.parseRate("fast"));
        assertThrows(IllegalArgumentException.class, () -> Units.parseDuration("50"));
        assertThrows(IllegalArgumentException.class, () -> Units.parseSize("-1g"));
    }

    @Test
    void formatsForPeople() {
        assertEquals("1.0 GiB", Units.formatSize(1L << 30, 1));
        assertEquals("1.00 GiB", Units.formatSize(1L << 30, 2));
        assertEquals("512.0 MiB", Units.formatSize(512L << 20, 1));
        assertEquals("0 B", Units.formatSize(0, 1));
        assertEquals("100.0 MiB/s", Units.formatRate(100L << 20));
        assertEquals("2.00 GiB/s", Units.formatRate(2.0 * (1L << 30)));
        assertEquals("50 ms", Units.formatMillis(50_000));
        assertEquals("3.2 ms", Units.formatMillis(3_200));
    }
}
